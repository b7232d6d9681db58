package io.javafuse;

import io.javafuse.abi.InitFlags;
import io.javafuse.api.Attr;
import io.javafuse.api.ConnectionInfo;
import io.javafuse.api.DirectoryFiller;
import io.javafuse.api.Entry;
import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.api.Open;
import io.javafuse.api.Request;
import io.javafuse.testing.MountExtension;
import io.javafuse.testing.RestoreFusectl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The engine against the real kernel: how a session ends, how handler failures and asynchronous
 * answers reach the caller, interrupts, concurrency, the INIT agreement and mount errors. Each
 * test mounts small filesystems written for it, through {@link MountExtension}, so nothing stays
 * mounted whatever the outcome.
 */
@ExtendWith(RestoreFusectl.class)
class EngineMountTest {
    @RegisterExtension
    final MountExtension mounts = new MountExtension();



    // ---- a small filesystem: a root directory of read-only files, each a node of its own

    /**
     * Files in the root directory, node ids 2, 3, ... in the order they were added. Tests override
     * what they want to go wrong or slow. Counts destroy() calls.
     */
    static class FilesFs implements FileSystem {
        static final Instant T = Instant.ofEpochSecond(1_700_000_000);

        final Map<String, byte[]> files = new LinkedHashMap<>();
        final Set<String> directIo = ConcurrentHashMap.newKeySet();
        final AtomicInteger destroyed = new AtomicInteger();

        FilesFs file(String name, byte[] content) {
            files.put(name, content);
            return this;
        }

        FilesFs file(String name, String content) {
            return file(name, content.getBytes(StandardCharsets.UTF_8));
        }

        /** Opens of this file bypass the page cache, so that every read(2) reaches the filesystem. */
        FilesFs directIo(String name) {
            directIo.add(name);
            return this;
        }

        String name(long nodeId) throws FuseException {
            int index = (int) nodeId - 2;
            if (index < 0 || index >= files.size()) {
                throw new FuseException(Errno.ENOENT);
            }
            return new ArrayList<>(files.keySet()).get(index);
        }

        long nodeId(String name) {
            return new ArrayList<>(files.keySet()).indexOf(name) + 2;
        }

        Attr attr(long nodeId) throws FuseException {
            if (nodeId == ROOT_ID) {
                return new Attr(ROOT_ID, FileMode.S_IFDIR | 0755, 2, 0, 0, 0, 0, 0, 0, T, T, T);
            }
            byte[] content = files.get(name(nodeId));
            return new Attr(nodeId, FileMode.S_IFREG | 0644, 1, 0, 0, 0, content.length, (content.length + 511) / 512,
                    0, T, T, T);
        }

        @Override
        public Entry lookup(Request request, long parent, String name) throws IOException {
            if (parent != ROOT_ID || !files.containsKey(name)) {
                throw new FuseException(Errno.ENOENT);
            }
            return Entry.of(attr(nodeId(name)));
        }

        @Override
        public Attr getattr(Request request, long nodeId, long fh) throws IOException {
            return attr(nodeId);
        }

        @Override
        public Open open(Request request, long nodeId, int flags) throws IOException {
            Open open = Open.handle(nodeId);
            return directIo.contains(name(nodeId)) ? open.with(Open.DIRECT_IO) : open;
        }

        @Override
        public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
                throws IOException {
            return copy(files.get(name(nodeId)), offset, destination);
        }

        @Override
        public Open opendir(Request request, long nodeId, int flags) {
            return Open.handle(0);
        }

        @Override
        public void readdir(Request request, long nodeId, long fh, long offset, DirectoryFiller out)
                throws IOException {
            List<String> names = new ArrayList<>(List.of(".", ".."));
            names.addAll(files.keySet());
            for (int i = (int) offset; i < names.size(); i++) {
                long ino = i < 2 ? ROOT_ID : nodeId(names.get(i));
                if (!out.add(names.get(i), ino, i < 2 ? FileMode.S_IFDIR : FileMode.S_IFREG, i + 1)) {
                    return;
                }
            }
        }

        @Override
        public void destroy() {
            destroyed.incrementAndGet();
        }

        static int copy(byte[] content, long offset, MemorySegment destination) {
            int n = (int) Math.max(0, Math.min(destination.byteSize(), content.length - offset));
            MemorySegment.copy(content, (int) offset, destination, ValueLayout.JAVA_BYTE, 0, n);
            return n;
        }
    }

    // ---- how a session ends

    @Test
    @Timeout(60)
    void anUnmountFromOutsideEndsTheSession() throws Exception {
        FilesFs fs = new FilesFs().file("a", "A");
        Mount mount = mounts.mount(fs);
        assertThat(Files.readString(mount.mountpoint().resolve("a"))).isEqualTo("A");

        Result umount = run(Duration.ofSeconds(10), "umount", mount.mountpoint().toString());
        assertThat(umount.exitCode()).as(umount.output()).isZero();

        assertThat(mount.awaitTermination(Duration.ofSeconds(5))).isTrue();
        assertThat(mount.isAlive()).isFalse();
        assertThat(fs.destroyed).hasValue(1);
        assertThat(inProcMounts(mount.mountpoint())).isFalse();

        long start = System.nanoTime();
        mount.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        assertThat(fs.destroyed).as("close() after the session ended destroys nothing more").hasValue(1);
    }

    @Test
    @Timeout(60)
    void closeDestroysTheFilesystemExactlyOnce() throws Exception {
        FilesFs fs = new FilesFs().file("a", "A");
        Mount mount = mounts.mount(fs);
        assertThat(Files.readString(mount.mountpoint().resolve("a"))).isEqualTo("A");
        assertThat(fs.destroyed).hasValue(0);

        mount.close();
        assertThat(fs.destroyed).hasValue(1);
        assertThat(mount.isAlive()).isFalse();
        assertThat(inProcMounts(mount.mountpoint())).isFalse();

        mount.close();
        assertThat(fs.destroyed).hasValue(1);
    }

    @Test
    @Timeout(90)
    void closeReturnsWhileAFileIsHeldOpen() throws Exception {
        FilesFs fs = new FilesFs().file("held", "held open");
        Mount mount = mounts.mount(fs);
        Path mountpoint = mount.mountpoint();
        FileChannel channel = FileChannel.open(mountpoint.resolve("held"), StandardOpenOption.READ);
        try {
            assertThat(channel.read(ByteBuffer.allocate(64))).isEqualTo(9);

            long start = System.nanoTime();
            mount.close();
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(took).as("close() detaches a busy mount, then aborts it").isLessThan(Duration.ofSeconds(25));
            assertThat(mount.isAlive()).isFalse();
            assertThat(fs.destroyed).hasValue(1);
            assertThat(inProcMounts(mountpoint)).isFalse();
        } finally {
            try {
                channel.close();
            } catch (IOException abortedConnection) {
                // closing a file of an aborted connection may report ENOTCONN
            }
        }
        assertThat(inProcMounts(mountpoint)).isFalse();
    }

    // ---- handler failures

    @Test
    @Timeout(60)
    void aHandlerThatThrowsUnexpectedlyAnswersEioAndTheMountKeepsServing() throws Exception {
        FilesFs fs = new FilesFs() {
            @Override
            public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
                    throws IOException {
                if (name(nodeId).equals("boom")) {
                    throw new IllegalStateException("a bug in the filesystem (expected by the test)");
                }
                return super.read(request, nodeId, fh, offset, destination);
            }
        }.file("boom", "never read").file("ok", "fine");
        Mount mount = mounts.mount(fs);
        Path boom = mount.mountpoint().resolve("boom");

        assertThatThrownBy(() -> Files.readAllBytes(boom)).isInstanceOf(IOException.class)
                .hasMessageContaining("Input/output error");
        Result cat = run(Duration.ofSeconds(10), "cat", boom.toString());
        assertThat(cat.exitCode()).isNotZero();
        assertThat(cat.output()).contains("Input/output error");

        assertThat(Files.readString(mount.mountpoint().resolve("ok"))).isEqualTo("fine");
        assertThat(mount.isAlive()).isTrue();
    }

    @Test
    @Timeout(60)
    void aFuseExceptionOrAStandardExceptionGivesExactlyItsErrno() throws Exception {
        FilesFs fs = new FilesFs() {
            @Override
            public Entry lookup(Request request, long parent, String name) throws IOException {
                return switch (name) {
                    case "denied" -> throw new FuseException(Errno.EACCES);
                    case "vanished" -> throw new NoSuchFileException(name);
                    default -> super.lookup(request, parent, name);
                };
            }
        }.file("ok", "fine");
        Mount mount = mounts.mount(fs);
        Path denied = mount.mountpoint().resolve("denied");
        Path vanished = mount.mountpoint().resolve("vanished");

        assertThatThrownBy(() -> Files.readAllBytes(denied)).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> Files.readAttributes(denied, "unix:*")).isInstanceOf(AccessDeniedException.class);
        Result stat = run(Duration.ofSeconds(10), "stat", denied.toString());
        assertThat(stat.exitCode()).isNotZero();
        assertThat(stat.output()).contains("Permission denied");

        assertThatThrownBy(() -> Files.readAllBytes(vanished)).isInstanceOf(NoSuchFileException.class);
        stat = run(Duration.ofSeconds(10), "stat", vanished.toString());
        assertThat(stat.exitCode()).isNotZero();
        assertThat(stat.output()).contains("No such file or directory");

        assertThat(Files.readString(mount.mountpoint().resolve("ok"))).isEqualTo("fine");
    }

    @Test
    @Timeout(60)
    void anOperationTheFilesystemDoesNotImplementIsEnosysAndTheMountKeepsWorking() throws Exception {
        FileSystem lookupAndGetattrOnly = new FileSystem() {
            final Instant t = Instant.ofEpochSecond(1_700_000_000);

            @Override
            public Entry lookup(Request request, long parent, String name) throws IOException {
                if (parent == ROOT_ID && name.equals("file")) {
                    return Entry.of(getattr(request, 2, NO_HANDLE));
                }
                throw new FuseException(Errno.ENOENT);
            }

            @Override
            public Attr getattr(Request request, long nodeId, long fh) {
                return nodeId == ROOT_ID
                        ? new Attr(1, FileMode.S_IFDIR | 0755, 2, 0, 0, 0, 0, 0, 0, t, t, t)
                        : new Attr(2, FileMode.S_IFREG | 0644, 1, 0, 0, 0, 42, 1, 0, t, t, t);
            }
        };
        Mount mount = mounts.mount(lookupAndGetattrOnly);

        Result mkdir = run(Duration.ofSeconds(10), "mkdir", mount.mountpoint().resolve("new").toString());
        assertThat(mkdir.exitCode()).isNotZero();
        assertThat(mkdir.output()).contains("Function not implemented");

        assertThat(Files.size(mount.mountpoint().resolve("file"))).isEqualTo(42);
        assertThat(Files.isDirectory(mount.mountpoint())).isTrue();
        assertThat(Files.exists(mount.mountpoint().resolve("new"))).isFalse();
        assertThat(mount.isAlive()).isTrue();
    }

    // ---- answers from other threads, interrupts, concurrency

    @Test
    @Timeout(60)
    void handlersCanAnswerLaterFromAnotherThread() throws Exception {
        byte[] content = pattern(300_000);
        AtomicInteger laterAttrs = new AtomicInteger();
        AtomicInteger laterReads = new AtomicInteger();
        FilesFs fs = new FilesFs() {
            final java.util.concurrent.Executor in50ms =
                    CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS);

            @Override
            public Attr getattr(Request request, long nodeId, long fh) {
                return request.later(CompletableFuture.supplyAsync(() -> {
                    laterAttrs.incrementAndGet();
                    try {
                        return attr(nodeId);
                    } catch (FuseException e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                }, in50ms));
            }

            @Override
            public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination) {
                request.later(CompletableFuture.supplyAsync(() -> {
                    laterReads.incrementAndGet();
                    return copy(files.get("data"), offset, destination);
                }, in50ms));
                return 0; // ignored: the answer is the stage's
            }
        }.file("data", content);
        Mount mount = mounts.mount(fs);

        // The root's attributes come from getattr only (it has no lookup).
        assertThat(Files.isDirectory(mount.mountpoint())).isTrue();
        assertThat(Files.readAllBytes(mount.mountpoint().resolve("data"))).isEqualTo(content);
        assertThat(laterAttrs.get()).isPositive();
        assertThat(laterReads.get()).isPositive();

        // A stage completed exceptionally answers with its exception's errno.
        Mount failing = mounts.mount(new FilesFs() {
            @Override
            public Entry lookup(Request request, long parent, String name) {
                return request.later(CompletableFuture.failedFuture(new FuseException(Errno.EACCES)));
            }
        });
        assertThatThrownBy(() -> Files.size(failing.mountpoint().resolve("x")))
                .isInstanceOf(AccessDeniedException.class);
        assertThat(failing.isAlive()).isTrue();
    }

    @Test
    @Timeout(90)
    void anInterruptedCallerReachesTheHandlerAndTheMountKeepsServing() throws Exception {
        CountDownLatch readStarted = new CountDownLatch(1);
        AtomicBoolean sawInterrupt = new AtomicBoolean();
        FilesFs fs = new FilesFs() {
            @Override
            public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
                    throws IOException {
                if (!name(nodeId).equals("slow")) {
                    return super.read(request, nodeId, fh, offset, destination);
                }
                readStarted.countDown();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!request.isInterrupted() && System.nanoTime() < deadline) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        // the engine interrupts the handler's thread as well; the flag is what we poll
                    }
                }
                if (request.isInterrupted()) {
                    sawInterrupt.set(true);
                    throw new FuseException(Errno.EINTR);
                }
                return super.read(request, nodeId, fh, offset, destination);
            }
        }.file("slow", pattern(8192)).file("fast", "fast").directIo("slow");
        Mount mount = mounts.mount(fs);

        Process dd = new ProcessBuilder("dd", "if=" + mount.mountpoint().resolve("slow"), "of=/dev/null", "bs=4k",
                "count=1").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            assertThat(readStarted.await(20, TimeUnit.SECONDS)).as("dd's read reached the handler").isTrue();
            Result kill = run(Duration.ofSeconds(10), "kill", "-INT", Long.toString(dd.pid()));
            assertThat(kill.exitCode()).as(kill.output()).isZero();

            assertThat(dd.waitFor(2, TimeUnit.SECONDS)).as("dd exits within 2 s of SIGINT").isTrue();
            assertThat(sawInterrupt).isTrue();
        } finally {
            dd.destroyForcibly();
        }
        assertThat(Files.size(mount.mountpoint().resolve("fast"))).isEqualTo(4);
        assertThat(Files.readString(mount.mountpoint().resolve("fast"))).isEqualTo("fast");
        assertThat(mount.isAlive()).isTrue();
    }

    @Test
    @Timeout(90)
    void manyReadersServeConcurrentCallers() throws Exception {
        byte[] content = pattern(2 << 20);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        Set<String> readerThreads = ConcurrentHashMap.newKeySet();
        FilesFs fs = new FilesFs() {
            @Override
            public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
                    throws IOException {
                int now = running.incrementAndGet();
                mostAtOnce.accumulateAndGet(now, Math::max);
                readerThreads.add(Thread.currentThread().getName());
                try {
                    Thread.sleep(2);
                    return super.read(request, nodeId, fh, offset, destination);
                } catch (InterruptedException e) {
                    throw new FuseException(Errno.EINTR);
                } finally {
                    running.decrementAndGet();
                }
            }
        }.file("data", content).directIo("data");
        Mount mount = mounts.mount(fs, MountOptions.defaults().withReaders(4));
        Path data = mount.mountpoint().resolve("data");

        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<byte[]>> reads = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                reads.add(threads.submit(() -> {
                    go.await();
                    return readInChunks(data, 64 * 1024);
                }));
            }
            go.countDown();
            for (Future<byte[]> read : reads) {
                assertThat(read.get(60, TimeUnit.SECONDS)).isEqualTo(content);
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(mostAtOnce.get()).as("reads handled at the same time").isBetween(2, 8);
        assertThat(readerThreads).hasSizeGreaterThanOrEqualTo(2).allMatch(name -> name.startsWith("javafuse-worker-"));
    }

    // ---- INIT

    @Test
    @Timeout(60)
    void theConnectionReportsWhatWasAgreedAtInit() throws Exception {
        Mount mount = mounts.mount(new FilesFs());
        ConnectionInfo connection = mount.connection();
        assertThat(connection.protocolMajor()).isEqualTo(7);
        assertThat(connection.protocolMinor()).isGreaterThanOrEqualTo(12);
        assertThat(connection.maxWrite()).isEqualTo(1 << 20).isEqualTo(MountOptions.defaults().maxWrite());
        assertThat(connection.has(InitFlags.ASYNC_READ)).isTrue();
        assertThat(connection.has(InitFlags.BIG_WRITES)).isTrue();
    }

    // ---- mount errors

    @Test
    @Timeout(60)
    void aMissingMountpointIsEnoentNamingThePath() throws Exception {
        Path missing = mounts.newDirectory("javafuse-parent-").resolve("no-such-dir");
        FuseException e = mountShouldFail(missing);
        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
        assertThat(e).hasMessageContaining(missing.toString());
    }

    @Test
    @Timeout(60)
    void aRegularFileAsMountpointIsEnotdir() throws Exception {
        Path file = Files.writeString(mounts.newDirectory("javafuse-parent-").resolve("plain-file"), "x");
        FuseException e = mountShouldFail(file);
        assertThat(e.errno()).isEqualTo(Errno.ENOTDIR);
        assertThat(e).hasMessageContaining(file.toString());
    }

    @Test
    @Timeout(60)
    void mountingTwiceOnTheSameDirectoryIsEbusy() throws Exception {
        FilesFs first = new FilesFs().file("a", "first");
        Mount mount = mounts.mount(first);
        FuseException e = mountShouldFail(mount.mountpoint());
        assertThat(e.errno()).isEqualTo(Errno.EBUSY);
        assertThat(e).hasMessageContaining("already mounted");
        assertThat(Files.readString(mount.mountpoint().resolve("a"))).isEqualTo("first");
    }

    @Test
    @Timeout(60)
    void mountingThroughFusermountWorksAsRoot() throws Exception {
        FilesFs fs = new FilesFs().file("a", "via fusermount3");
        Mount mount = mounts.mount(fs, MountOptions.defaults().withUseFusermount(true));
        assertThat(inProcMounts(mount.mountpoint())).isTrue();
        assertThat(Files.readString(mount.mountpoint().resolve("a"))).isEqualTo("via fusermount3");

        mount.close();
        assertThat(inProcMounts(mount.mountpoint())).isFalse();
        assertThat(mount.isAlive()).isFalse();
        assertThat(fs.destroyed).hasValue(1);
    }

    // ---- helpers

    /** Mounts and expects a FuseException; should the mount succeed after all, it is closed again. */
    private static FuseException mountShouldFail(Path mountpoint) {
        Throwable thrown = catchThrowable(() -> {
            try (Mount unexpected = Fuse.mount(new FilesFs(), mountpoint, MountOptions.defaults())) {
                assertThat(unexpected).as("mounting should have failed").isNull();
            }
        });
        assertThat(thrown).isInstanceOf(FuseException.class);
        return (FuseException) thrown;
    }

    private static byte[] readInChunks(Path file, int chunk) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer all = ByteBuffer.allocate((int) channel.size());
            ByteBuffer buffer = ByteBuffer.allocate(chunk);
            while (channel.read(buffer.clear()) > 0) {
                all.put(buffer.flip());
            }
            return all.array();
        }
    }

    static byte[] pattern(int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 31 + (i >>> 10));
        }
        return bytes;
    }

    static String procMounts() throws IOException {
        return Files.readString(Path.of("/proc/mounts"));
    }

    /** Whether /proc/mounts lists a mount at exactly this path. */
    static boolean inProcMounts(Path mountpoint) throws IOException {
        String wanted = mountpoint.toAbsolutePath().normalize().toString();
        return procMounts().lines().map(line -> line.split(" ")).anyMatch(f -> f.length > 1 && f[1].equals(wanted));
    }

    record Result(int exitCode, String output) {}

    /** Runs a command with stdout and stderr merged; kills it if it outlives {@code timeout}. */
    static Result run(Duration timeout, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "(output unreadable: " + e + ")";
                }
            });
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
            }
            return new Result(process.exitValue(), output.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError("reading the output of " + String.join(" ", command), e);
        } finally {
            process.destroyForcibly();
        }
    }
}
