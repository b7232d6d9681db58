package io.javafuse.path;

import io.javafuse.api.MountOptions;
import io.javafuse.testing.MountExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static io.javafuse.path.PathLinksTest.assertConsistent;
import static org.assertj.core.api.Assertions.assertThat;

/** Many threads changing names at once, in separate and in shared directories. */
@Timeout(120)
class PathConcurrencyTest {
    private static final int THREADS = 8;

    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    private static List<String> find(Path mnt) throws Exception {
        return Shell.ok(mnt, "find", ".", "-mindepth", "1").lines().sorted().toList();
    }

    private static void runAll(int threads, ThreadBody body) throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(executor.submit(() -> {
                    body.run(thread);
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get(90, TimeUnit.SECONDS);
            }
        } finally {
            executor.shutdownNow();
        }
    }

    @FunctionalInterface
    interface ThreadBody {
        void run(int thread) throws Exception;
    }

    @Test
    void parallelMkdirRenameAndUnlinkEndInTheExpectedTree() throws Exception {
        ExamplePathFs fs = new ExamplePathFs();
        PathAdapter adapter = new PathAdapter(fs);
        Path mnt = mounts.mount(adapter, PathMountTest.UNCACHED).mountpoint();
        Path shared = Files.createDirectory(mnt.resolve("shared"));
        int rounds = 40;
        Set<String> expected = new TreeSet<>();
        expected.add("./shared");
        for (int t = 0; t < THREADS; t++) {
            expected.add("./t" + t);
            for (int i = 0; i < rounds; i++) {
                if (i % 5 == 1) {
                    expected.add("./shared/x" + t + "-" + i);
                    expected.add("./shared/x" + t + "-" + i + "/f");
                } else if (i % 3 != 0) {
                    expected.add("./t" + t + "/r" + i);
                    expected.add("./t" + t + "/r" + i + "/f");
                }
                if (i % 2 != 0) {
                    expected.add("./shared/t" + t + "-" + i + "-m");
                }
            }
        }
        runAll(THREADS, t -> {
            Path own = Files.createDirectory(mnt.resolve("t" + t));
            ThreadLocalRandom random = ThreadLocalRandom.current();
            for (int i = 0; i < rounds; i++) {
                Path d = Files.createDirectory(own.resolve("d" + i));
                Files.writeString(d.resolve("f"), t + "/" + i);
                Path r = Files.move(d, own.resolve("r" + i));
                Path s = Files.createDirectory(shared.resolve("t" + t + "-" + i));
                Path m = Files.move(s, shared.resolve("t" + t + "-" + i + "-m"));
                if (i % 2 == 0) {
                    Files.delete(m);
                }
                if (i % 5 == 1) {
                    Files.move(r, shared.resolve("x" + t + "-" + i));
                } else if (i % 3 == 0) {
                    Files.delete(r.resolve("f"));
                    Files.delete(r);
                }
                // Readers in the middle of it all: listings and lookups of other threads' names.
                if (i % 4 == 0) {
                    try (Stream<Path> list = Files.list(shared)) {
                        list.forEach(p -> Files.exists(p.resolve("f")));
                    }
                }
                Files.exists(mnt.resolve("t" + random.nextInt(THREADS)).resolve("r" + random.nextInt(rounds)));
            }
        });
        assertThat(find(mnt)).containsExactlyElementsOf(expected);
        try (Stream<Path> walk = Files.walk(mnt)) {
            assertThat(walk.filter(p -> !p.equals(mnt)).map(p -> "./" + mnt.relativize(p)).sorted())
                    .containsExactlyElementsOf(expected);
        }
        for (String path : expected) {
            if (path.endsWith("/f")) {
                assertThat(Files.readString(mnt.resolve(path))).as(path).matches("\\d+/\\d+");
            }
        }
        assertThat(fs.allPaths()).containsExactlyElementsOf(expected);
        assertConsistent(adapter);
    }

    @Test
    void randomOperationsOnSharedNamesLeaveTheKernelAndTheFilesystemAgreeing() throws Exception {
        ExamplePathFs fs = new ExamplePathFs();
        PathAdapter adapter = new PathAdapter(fs);
        // The kernel's default caches: its cached names must follow every rename the adapter records.
        Path mnt = mounts.mount(adapter, MountOptions.defaults()).mountpoint();
        for (int d = 0; d < 3; d++) {
            Files.createDirectory(mnt.resolve("d" + d));
        }
        AtomicLong operations = new AtomicLong();
        runAll(THREADS, _ -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            for (int i = 0; i < 400; i++) {
                Path a = randomPath(mnt, random);
                Path b = randomPath(mnt, random);
                try {
                    switch (random.nextInt(6)) {
                        case 0 -> Files.createDirectory(a);
                        case 1 -> Files.writeString(a, "x");
                        case 2 -> Files.delete(a);
                        case 3, 4 -> Files.move(a, b, StandardCopyOption.REPLACE_EXISTING);
                        default -> {
                            try (Stream<Path> list = Files.list(a)) {
                                list.forEach(Files::isDirectory);
                            }
                        }
                    }
                    operations.incrementAndGet();
                } catch (IOException expectedOften) {
                    // ENOENT, EEXIST, ENOTEMPTY, ENOTDIR, EINVAL ...: the names race on purpose.
                }
            }
        });
        assertThat(operations.get()).isPositive();
        assertThat(find(mnt)).containsExactlyElementsOf(fs.allPaths());
        assertConsistent(adapter);
    }

    private static Path randomPath(Path mnt, ThreadLocalRandom random) {
        Path dir = mnt.resolve("d" + random.nextInt(3));
        if (random.nextInt(3) == 0) {
            dir = dir.resolve("n" + random.nextInt(3));
        }
        return dir.resolve("n" + random.nextInt(3));
    }

    @Test
    void pathsStayValidForOpenFilesWhileTheirDirectoriesAreRenamed() throws Exception {
        ExamplePathFs fs = new ExamplePathFs();
        PathAdapter adapter = new PathAdapter(fs);
        Path mnt = mounts.mount(adapter, PathMountTest.UNCACHED).mountpoint();
        Files.createDirectories(mnt.resolve("hot/sub"));
        List<FileChannel> channels = new ArrayList<>();
        for (int i = 0; i < THREADS - 1; i++) {
            Path file = mnt.resolve("hot/sub/file" + i);
            Files.writeString(file, "x".repeat(i + 1));
            channels.add(FileChannel.open(file, StandardOpenOption.READ));
        }
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicLong stats = new AtomicLong();
        AtomicLong renames = new AtomicLong();
        try {
            runAll(THREADS, t -> {
                if (t == 0) {
                    // Renames every level above the open files, back and forth, for 3 seconds.
                    long end = System.nanoTime() + 3_000_000_000L;
                    String top = "hot";
                    String sub = "sub";
                    while (System.nanoTime() < end) {
                        String newTop = top.equals("hot") ? "cold" : "hot";
                        Files.move(mnt.resolve(top), mnt.resolve(newTop));
                        top = newTop;
                        String newSub = sub.equals("sub") ? "sub2" : "sub";
                        Files.move(mnt.resolve(top).resolve(sub), mnt.resolve(top).resolve(newSub));
                        sub = newSub;
                        renames.addAndGet(2);
                    }
                    stop.set(true);
                    return;
                }
                FileChannel channel = channels.get(t - 1);
                while (!stop.get()) {
                    try {
                        // fstat: a GETATTR with no handle, so the filesystem gets the node's path.
                        assertThat(channel.size()).isEqualTo(t);
                        stats.incrementAndGet();
                    } catch (Throwable e) {
                        failures.add(e);
                        return;
                    }
                }
            });
        } finally {
            for (FileChannel channel : channels) {
                channel.close();
            }
        }
        assertThat(failures).isEmpty();
        assertThat(renames.get()).isGreaterThan(10);
        assertThat(stats.get()).isGreaterThan(100);
        assertConsistent(adapter);
    }
}
