package io.javafuse.path;

import io.javafuse.api.Errno;
import io.javafuse.api.FileSystem;
import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.testing.MountExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.javafuse.path.PathLinksTest.assertConsistent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A PathFileSystem mounted through the PathAdapter, used with java.nio and shell tools. */
@Timeout(60)
class PathMountTest {
    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    /** No kernel caching of names or attributes: every access goes through the adapter's table. */
    static final MountOptions UNCACHED = MountOptions.defaults().withEntryTimeout(Duration.ZERO)
            .withAttrTimeout(Duration.ZERO);

    private Path mount(PathAdapter adapter, MountOptions options) throws IOException {
        Mount mount = mounts.mount(adapter, options);
        return mount.mountpoint();
    }

    @Test
    void createsReadsAndWritesFiles() throws Exception {
        Path mnt = mount(new PathAdapter(new ExamplePathFs()), MountOptions.defaults());
        Path file = mnt.resolve("hello.txt");
        Files.writeString(file, "hello, world\n");
        assertThat(Files.readString(file)).isEqualTo("hello, world\n");
        Files.writeString(file, "more\n", StandardOpenOption.APPEND);
        assertThat(Files.readString(file)).isEqualTo("hello, world\nmore\n");
        assertThat(Files.size(file)).isEqualTo(18);
        // O_TRUNC of an existing file: the adapter truncates before it opens.
        Files.writeString(file, "short");
        assertThat(Files.readString(file)).isEqualTo("short");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap("OR".getBytes(StandardCharsets.UTF_8)), 2);
        }
        assertThat(Files.readString(file)).isEqualTo("shORt");
        assertThat(Shell.sh(mnt, "cat hello.txt; echo; printf abc > new.txt; cat new.txt")).isEqualTo("shORt\nabc");
        byte[] big = new byte[3 << 20];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31 + (i >> 12));
        }
        Files.write(mnt.resolve("big"), big);
        assertThat(Files.readAllBytes(mnt.resolve("big"))).isEqualTo(big);
        try (Stream<Path> list = Files.list(mnt)) {
            assertThat(list.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("hello.txt", "new.txt", "big");
        }
        assertThat(Files.exists(mnt.resolve("missing"))).isFalse();
    }

    @Test
    void makesDeepTrees() throws Exception {
        Path mnt = mount(new PathAdapter(new ExamplePathFs()), UNCACHED);
        Shell.ok(mnt, "mkdir", "-p", "a/b/c/d/e/f/g/h/i/j");
        Files.createDirectories(mnt.resolve("a/b/x/y/z"));
        Files.writeString(mnt.resolve("a/b/c/d/e/f/g/h/i/j/leaf"), "deep");
        assertThat(Files.readString(mnt.resolve("a/b/c/d/e/f/g/h/i/j/leaf"))).isEqualTo("deep");
        assertThat(Shell.ok(mnt, "find", ".", "-name", "leaf")).isEqualTo("./a/b/c/d/e/f/g/h/i/j/leaf\n");
        try (Stream<Path> walk = Files.walk(mnt)) {
            assertThat(walk.count()).isEqualTo(1 + 10 + 3 + 1);
        }
        assertThatThrownBy(() -> Files.createDirectory(mnt.resolve("a/b"))).isInstanceOf(
                java.nio.file.FileAlreadyExistsException.class);
        assertThatThrownBy(() -> Files.delete(mnt.resolve("a/b"))).isInstanceOf(DirectoryNotEmptyException.class);
        Shell.ok(mnt, "rm", "-r", "a/b/x");
        assertThat(Files.exists(mnt.resolve("a/b/x"))).isFalse();
    }

    @Test
    void aRenamedDirectoryTakesItsSubtreeAlong() throws Exception {
        PathAdapter adapter = new PathAdapter(new ExamplePathFs());
        Path mnt = mount(adapter, UNCACHED);
        Files.createDirectories(mnt.resolve("src/x/y/z"));
        Files.writeString(mnt.resolve("src/x/y/z/file.txt"), "inside");
        Files.writeString(mnt.resolve("src/x/top.txt"), "top");
        // The kernel now holds nodes for every level; an open file holds its node too.
        try (FileChannel open = FileChannel.open(mnt.resolve("src/x/y/z/file.txt"), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            Files.move(mnt.resolve("src"), mnt.resolve("dst"));
            assertThat(Files.exists(mnt.resolve("src"))).isFalse();
            assertThat(Files.readString(mnt.resolve("dst/x/y/z/file.txt"))).isEqualTo("inside");
            assertThat(Files.readString(mnt.resolve("dst/x/top.txt"))).isEqualTo("top");
            // fstat goes to the node, whose path is now under dst.
            assertThat(open.size()).isEqualTo(6);
            open.write(ByteBuffer.wrap("!".getBytes(StandardCharsets.UTF_8)), 6);
            assertThat(open.size()).isEqualTo(7);
            // Deeper moves, and moves of something inside the moved tree.
            Files.createDirectory(mnt.resolve("other"));
            Files.move(mnt.resolve("dst/x"), mnt.resolve("other/x2"));
            Files.move(mnt.resolve("other/x2/y/z/file.txt"), mnt.resolve("other/x2/moved.txt"));
            assertThat(open.size()).isEqualTo(7);
        }
        assertThat(Files.readString(mnt.resolve("other/x2/moved.txt"))).isEqualTo("inside!");
        assertThat(Shell.ok(mnt, "find", ".", "-type", "f").lines().sorted().toList())
                .containsExactly("./other/x2/moved.txt", "./other/x2/top.txt");
        assertConsistent(adapter);
    }

    @Test
    void renamesOverExistingNames() throws Exception {
        PathAdapter adapter = new PathAdapter(new ExamplePathFs());
        Path mnt = mount(adapter, UNCACHED);
        Files.writeString(mnt.resolve("a"), "A");
        Files.writeString(mnt.resolve("b"), "B");
        Files.move(mnt.resolve("a"), mnt.resolve("b"), StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.exists(mnt.resolve("a"))).isFalse();
        assertThat(Files.readString(mnt.resolve("b"))).isEqualTo("A");

        Files.createDirectories(mnt.resolve("d1/sub"));
        Files.writeString(mnt.resolve("d1/sub/f"), "in d1");
        Files.createDirectory(mnt.resolve("empty"));
        Shell.ok(mnt, "mv", "-T", "d1", "empty");
        assertThat(Files.readString(mnt.resolve("empty/sub/f"))).isEqualTo("in d1");
        Files.createDirectory(mnt.resolve("d2"));
        assertThatThrownBy(() -> Files.move(mnt.resolve("d2"), mnt.resolve("empty"), StandardCopyOption.REPLACE_EXISTING))
                .isInstanceOf(FileSystemException.class);
        assertThat(Shell.run(mnt, "mv", "-T", "d2", "b").status()).isNotZero(); // a directory over a file
        assertThat(Shell.run(mnt, "mv", "-T", "b", "d2").status()).isNotZero(); // a file over a directory

        Files.writeString(mnt.resolve("c"), "C");
        assertThat(Renameat2.rename(mnt.resolve("c"), mnt.resolve("b"), FileSystem.RENAME_NOREPLACE))
                .isEqualTo(Errno.EEXIST);
        assertThat(Renameat2.rename(mnt.resolve("c"), mnt.resolve("empty"), FileSystem.RENAME_EXCHANGE)).isZero();
        assertThat(Files.readString(mnt.resolve("empty"))).isEqualTo("C");
        assertThat(Files.readString(mnt.resolve("c/sub/f"))).isEqualTo("in d1");
        assertThat(Renameat2.rename(mnt.resolve("c"), mnt.resolve("fresh"), FileSystem.RENAME_NOREPLACE)).isZero();
        assertThat(Files.readString(mnt.resolve("fresh/sub/f"))).isEqualTo("in d1");
        try (Stream<Path> list = Files.list(mnt)) {
            assertThat(list.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("b", "d2", "empty", "fresh");
        }
        assertConsistent(adapter);
    }

    @Test
    void symlinksAttributesAndExtendedAttributes() throws Exception {
        Path mnt = mount(new PathAdapter(new ExamplePathFs()), UNCACHED);
        Path file = mnt.resolve("f");
        Files.writeString(file, "0123456789");
        Files.createSymbolicLink(mnt.resolve("link"), Path.of("f"));
        assertThat(Files.readSymbolicLink(mnt.resolve("link"))).isEqualTo(Path.of("f"));
        assertThat(Files.readString(mnt.resolve("link"))).isEqualTo("0123456789");

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx--x---"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rwx--x---");
        Shell.ok(mnt, "chown", "123:456", "f");
        assertThat(Shell.ok(mnt, "stat", "-c", "%u %g", "f")).isEqualTo("123 456\n");
        Shell.ok(mnt, "truncate", "-s", "4", "f");
        assertThat(Files.readString(file)).isEqualTo("0123");
        Instant when = Instant.parse("2001-02-03T04:05:06.123456789Z");
        Files.setLastModifiedTime(file, FileTime.from(when));
        assertThat(Files.getLastModifiedTime(file).toInstant()).isEqualTo(when);
        Shell.ok(mnt, "touch", "-a", "-d", "2010-01-01 00:00:00Z", "f");
        assertThat(Shell.ok(mnt, "stat", "-c", "%X %Y", "f")).isEqualTo("1262304000 " + when.getEpochSecond() + "\n");

        Shell.ok(mnt, "setfattr", "-n", "user.colour", "-v", "blue", "f");
        assertThat(Shell.ok(mnt, "getfattr", "--only-values", "-n", "user.colour", "f")).isEqualTo("blue");
        assertThat(Shell.ok(mnt, "getfattr", "-d", "f")).contains("user.colour=\"blue\"");
        Shell.ok(mnt, "setfattr", "-x", "user.colour", "f");
        assertThat(Shell.run(mnt, "getfattr", "-n", "user.colour", "f").status()).isNotZero();

        assertThat(Shell.ok(mnt, "stat", "-f", "-c", "%S %l", ".")).isEqualTo("4096 255\n");
        Shell.ok(mnt, "mkfifo", "fifo");
        assertThat(Shell.ok(mnt, "stat", "-c", "%F", "fifo")).isEqualTo("fifo\n");
    }

    @Test
    void listsLargeDirectoriesInOneCallOrInPages() throws Exception {
        for (boolean paged : List.of(false, true)) {
            ExamplePathFs fs = new ExamplePathFs(paged);
            PathAdapter adapter = new PathAdapter(fs);
            Path mnt = mount(adapter, MountOptions.defaults().withEntryTimeout(Duration.ofSeconds(60))
                    .withAttrTimeout(Duration.ofSeconds(60)));
            List<String> names = IntStream.range(0, 1500).mapToObj(i -> "entry-with-a-longish-name-" + i).toList();
            Files.createDirectory(mnt.resolve("big"));
            for (String name : names) {
                Files.createFile(mnt.resolve("big").resolve(name));
            }
            try (Stream<Path> list = Files.list(mnt.resolve("big"))) {
                assertThat(list.map(p -> p.getFileName().toString())).as("paged %s", paged)
                        .containsExactlyInAnyOrderElementsOf(names);
            }
            assertThat(Shell.ok(mnt, "ls", "-f", "big").lines().count()).isEqualTo(1502);
            assertThat(Shell.ok(mnt, "ls", "-l", "big").lines().filter(l -> l.startsWith("-rw")).count())
                    .isEqualTo(1500);
            // ls -l of a small directory the kernel forgot: with listed attributes, READDIRPLUS
            // answers the lookups; without, each entry is looked up.
            Files.createDirectory(mnt.resolve("small"));
            for (int i = 0; i < 20; i++) {
                Files.createFile(mnt.resolve("small/f" + i));
            }
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (adapter.table().lookupsOf("/small") > 0 && System.nanoTime() < deadline) {
                Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "2");
                Thread.sleep(100);
            }
            assertThat(adapter.table().lookupsOf("/small/f0")).isZero();
            int getattrsBefore = fs.getattrCalls.get();
            assertThat(Shell.ok(mnt, "ls", "-l", "small").lines().filter(l -> l.startsWith("-rw")).count())
                    .isEqualTo(20);
            int getattrs = fs.getattrCalls.get() - getattrsBefore;
            if (paged) {
                assertThat(getattrs).isGreaterThanOrEqualTo(20);
            } else {
                assertThat(getattrs).isLessThan(5);
            }
            assertThat(Shell.ok(mnt, "ls", "-ia", ".").lines().map(String::strip).toList()).hasSize(4);
            assertConsistent(adapter);
        }
    }

    @Test
    void filesystemsMayAnswerLaterFromOtherThreads() throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(4);
        try {
            ExamplePathFs example = new ExamplePathFs();
            LaterPathFs fs = new LaterPathFs(example, executor);
            PathAdapter adapter = new PathAdapter(fs);
            Path mnt = mount(adapter, UNCACHED);
            Files.createDirectories(mnt.resolve("a/b"));
            Files.writeString(mnt.resolve("a/b/f"), "answered later");
            assertThat(Files.readString(mnt.resolve("a/b/f"))).isEqualTo("answered later");
            Files.writeString(mnt.resolve("a/b/f"), "shorter"); // O_TRUNC: truncate, then open
            assertThat(Files.readString(mnt.resolve("a/b/f"))).isEqualTo("shorter");
            Shell.ok(mnt, "truncate", "-s", "5", "a/b/f"); // SETATTR split into steps, each later
            assertThat(Files.readString(mnt.resolve("a/b/f"))).isEqualTo("short");
            Files.move(mnt.resolve("a"), mnt.resolve("z"));
            assertThat(Files.readString(mnt.resolve("z/b/f"))).isEqualTo("short");
            try (Stream<Path> list = Files.list(mnt.resolve("z/b"))) {
                assertThat(list.map(p -> p.getFileName().toString())).containsExactly("f");
            }
            assertThatThrownBy(() -> Files.readString(mnt.resolve("z/missing"))).isInstanceOf(NoSuchFileException.class);
            Files.delete(mnt.resolve("z/b/f"));
            assertThat(Files.exists(mnt.resolve("z/b/f"))).isFalse();
            assertThat(fs.answeredLater.get()).isGreaterThan(20);
            PathLinksTest.eventually(() -> example.openHandles() == 0);
            assertConsistent(adapter);
        } finally {
            executor.shutdown();
        }
    }

    @Test
    void failuresReachTheCaller() throws Exception {
        Path mnt = mount(new PathAdapter(new ExamplePathFs()), MountOptions.defaults());
        assertThatThrownBy(() -> Files.readString(mnt.resolve("nope"))).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> Files.writeString(mnt.resolve("no/such/dir"), "x")).isInstanceOf(NoSuchFileException.class);
        Files.writeString(mnt.resolve("file"), "x");
        assertThatThrownBy(() -> Files.createDirectory(mnt.resolve("file/sub"))).isInstanceOf(FileSystemException.class);
        assertThat(Shell.run(mnt, "ln", "-s", "x", "file/y").out()).contains("Not a directory");
        assertThat(Files.readString(mnt.resolve("file"))).isEqualTo("x");
    }
}
