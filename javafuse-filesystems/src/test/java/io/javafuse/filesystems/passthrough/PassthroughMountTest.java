package io.javafuse.filesystems.passthrough;

import io.javafuse.api.Entry;
import io.javafuse.api.FileSystem;
import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.api.Operation;
import io.javafuse.api.Request;
import io.javafuse.filesystems.testing.TestRequest;
import io.javafuse.filesystems.conformance.Differential;
import io.javafuse.testing.MountExtension;
import io.javafuse.testing.RequestCounts;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The passthrough filesystem on real mounts: what is done through the mount is done to the
 * source, byte for byte and attribute for attribute, and what others do to the source is seen
 * through the mount. Checked with java.nio, shell tools and small python3 programs, each a
 * process of its own as a user's would be.
 */
class PassthroughMountTest {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    /** A user and group that exist nowhere, as a caller other than root. */
    private static final int OTHER_USER = 1234;
    /** A python3 every user may run (root's own may live in a private directory). */
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    private Path source;
    private Path mnt;
    private PassthroughFileSystem fs;

    @BeforeEach
    void mountSource() throws IOException {
        source = mounts.newDirectory("javafuse-src-");
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rwxr-xr-x"));
        fs = new PassthroughFileSystem(source);
        mnt = mount(fs).mountpoint();
    }

    /**
     * As root serving other users: allow_other with default_permissions, locks passed through,
     * and no caching of names or attributes, so that changes made in the source show at once.
     */
    private Mount mount(FileSystem filesystem) throws IOException {
        MountOptions options = MountOptions.defaults().withAllowOther(true).withDefaultPermissions(true)
                .withPosixLocks(true).withFlockLocks(true)
                .withEntryTimeout(Duration.ZERO).withAttrTimeout(Duration.ZERO);
        return mounts.mount(filesystem, options);
    }

    // ---- data

    @Test
    @Timeout(60)
    void filesWrittenThroughTheMountAppearInTheSourceByteForByteAndViceVersa() throws Exception {
        byte[] data = randomBytes(300_000, 1);
        Files.write(mnt.resolve("a.bin"), data);
        assertThat(Files.readAllBytes(source.resolve("a.bin"))).isEqualTo(data);

        byte[] other = randomBytes(123_457, 2);
        Files.write(source.resolve("b.bin"), other);
        assertThat(Files.readAllBytes(mnt.resolve("b.bin"))).isEqualTo(other);

        // In place: a write in the middle, and an append.
        try (FileChannel channel = FileChannel.open(mnt.resolve("a.bin"), StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap("middle".getBytes(StandardCharsets.US_ASCII)), 1000);
        }
        Files.writeString(mnt.resolve("a.bin"), "tail", StandardOpenOption.APPEND);
        byte[] expected = new byte[data.length + 4];
        System.arraycopy(data, 0, expected, 0, data.length);
        System.arraycopy("middle".getBytes(StandardCharsets.US_ASCII), 0, expected, 1000, 6);
        System.arraycopy("tail".getBytes(StandardCharsets.US_ASCII), 0, expected, data.length, 4);
        assertThat(Files.readAllBytes(source.resolve("a.bin"))).isEqualTo(expected);

        // Changed in the source after the mount read it: the mount reads the new contents.
        Files.writeString(source.resolve("b.bin"), "replaced");
        assertThat(Files.readString(mnt.resolve("b.bin"))).isEqualTo("replaced");
    }


    @Test
    @Timeout(120)
    void aCopyOf64MiBHasTheSameSha256() throws Exception {
        Path original = source.resolve("big.orig");
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (var out = Files.newOutputStream(original)) {
            Random random = new Random(64);
            byte[] chunk = new byte[1 << 20];
            for (int i = 0; i < 64; i++) {
                random.nextBytes(chunk);
                out.write(chunk);
                digest.update(chunk);
            }
        }
        String expected = HexFormat.of().formatHex(digest.digest());

        // Through read(2) and write(2) of 1 MiB, the mount on both sides.
        try (var in = Files.newInputStream(mnt.resolve("big.orig"));
             var out = Files.newOutputStream(mnt.resolve("big.rw"))) {
            byte[] buffer = new byte[1 << 20];
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
            }
        }
        // And as cp does it (copy_file_range where it can).
        run("cp", mnt.resolve("big.orig").toString(), mnt.resolve("big.cp").toString());

        for (String name : List.of("big.rw", "big.cp")) {
            assertThat(sha256(source.resolve(name))).as(name + " in the source").isEqualTo(expected);
            assertThat(sha256(mnt.resolve(name))).as(name + " through the mount").isEqualTo(expected);
        }
        assertThat(run("sha256sum", mnt.resolve("big.cp").toString())).startsWith(expected);
    }

    @Test
    @Timeout(60)
    void withTheWritebackCacheWriteOnlyHandlesAndAppendsStillWork() throws Exception {
        Path cached = mounts.mount(new PassthroughFileSystem(source),
                MountOptions.defaults().withWritebackCache(true)).mountpoint();
        Files.writeString(source.resolve("w"), "0123456789");
        // Write-only, in the middle of a page the kernel must first read through this very handle.
        try (FileChannel channel = FileChannel.open(cached.resolve("w"), StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap("ab".getBytes(StandardCharsets.US_ASCII)), 3);
        }
        Files.writeString(cached.resolve("w"), "XY", StandardOpenOption.APPEND);
        run("sh", "-c", "printf Z >> " + cached.resolve("w"));
        assertThat(Files.readString(source.resolve("w"))).isEqualTo("012ab56789XYZ");
        assertThat(Files.readString(cached.resolve("w"))).isEqualTo("012ab56789XYZ");
    }

    @Test
    @Timeout(120)
    void parallelWritersOnSeparateFilesEachGetTheirOwnBytes() throws Exception {
        int writers = 8;
        int size = 4 << 20;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                done.add(pool.submit(() -> {
                    byte[] data = randomBytes(size, 100 + writer);
                    try (FileChannel channel = FileChannel.open(mnt.resolve("p" + writer), StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE)) {
                        for (int at = 0; at < size; at += 65536) {
                            channel.write(ByteBuffer.wrap(data, at, 65536), at);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(90, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int w = 0; w < writers; w++) {
            assertThat(Files.readAllBytes(source.resolve("p" + w))).as("writer " + w).isEqualTo(randomBytes(size, 100 + w));
        }
    }

    @Test
    @Timeout(60)
    void writesBatchedByTheEngineArriveAsOnePwritevAndInOrder() throws Exception {
        PassthroughFileSystem batched = new PassthroughFileSystem(source);
        MountOptions options = MountOptions.defaults().withEntryTimeout(Duration.ZERO).withAttrTimeout(Duration.ZERO)
                .withWriteQueues(io.javafuse.api.WriteQueueConfig.defaults().withBatching(true));
        Path other = mounts.mount(batched, options).mountpoint();
        int size = 8 << 20;
        byte[] data = randomBytes(size, 7);
        // Several threads on one open file: queued writes on the handle get batched.
        try (FileChannel channel = FileChannel.open(other.resolve("batched"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int first = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int at = first * 4096; at < size; at += 4 * 4096) {
                            channel.write(ByteBuffer.wrap(data, at, 4096), at);
                        }
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }));
            }
            for (Thread thread : threads) {
                thread.join();
            }
        }
        assertThat(Files.readAllBytes(source.resolve("batched"))).isEqualTo(data);
    }

    @Test
    @Timeout(60)
    void seekDataAndSeekHoleAnswerAsTheSourceDoes() throws Exception {
        byte[] block = randomBytes(4096, 3);
        try (FileChannel channel = FileChannel.open(mnt.resolve("sparse"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(block), 0);
            channel.write(ByteBuffer.wrap(block), 1 << 20);
            channel.force(true);
        }
        String seeks = "import os, sys\n"
                + "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
                + "print(os.lseek(fd, 0, os.SEEK_HOLE), os.lseek(fd, 4096, os.SEEK_DATA),"
                + " os.lseek(fd, 1 << 20, os.SEEK_HOLE))\n"
                + "try:\n    os.lseek(fd, (1 << 20) + 4096, os.SEEK_DATA)\nexcept OSError as e:\n    print(e.errno)\n";
        String throughMount = run("python3", "-c", seeks, mnt.resolve("sparse").toString());
        assertThat(throughMount).isEqualTo(run("python3", "-c", seeks, source.resolve("sparse").toString()));
        assertThat(throughMount).isEqualTo("4096 1048576 1052672\n6\n"); // ENXIO past the last data
        assertThat(run("stat", "-c", "%s %b", mnt.resolve("sparse").toString()))
                .isEqualTo(run("stat", "-c", "%s %b", source.resolve("sparse").toString()));
    }

    @Test
    @Timeout(60)
    void fallocateAndPunchHoleReachTheSource() throws Exception {
        run("fallocate", "-l", "1MiB", mnt.resolve("fa").toString());
        assertThat(Files.size(source.resolve("fa"))).isEqualTo(1 << 20);
        long allocated = Long.parseLong(run("stat", "-c", "%b", source.resolve("fa").toString()).strip());
        assertThat(allocated).isGreaterThanOrEqualTo(2048);
        run("fallocate", "-p", "-o", "0", "-l", "512KiB", mnt.resolve("fa").toString());
        assertThat(Files.size(source.resolve("fa"))).isEqualTo(1 << 20);
        assertThat(Long.parseLong(run("stat", "-c", "%b", source.resolve("fa").toString()).strip()))
                .isLessThanOrEqualTo(allocated - 1024);
    }

    @Test
    @Timeout(60)
    void copyFileRangeCopiesInTheSource() throws Exception {
        byte[] data = randomBytes(3 << 20, 9);
        Files.write(mnt.resolve("from"), data);
        String copy = "import os, sys\n"
                + "a = os.open(sys.argv[1], os.O_RDONLY)\n"
                + "b = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)\n"
                + "total = 0\n"
                + "while True:\n"
                + "    n = os.copy_file_range(a, b, 1 << 30, total, total)\n"
                + "    if n == 0:\n        break\n"
                + "    total += n\n"
                + "print(total)\n";
        assertThat(run("python3", "-c", copy, mnt.resolve("from").toString(), mnt.resolve("to").toString()))
                .isEqualTo((3 << 20) + "\n");
        assertThat(Files.readAllBytes(source.resolve("to"))).isEqualTo(data);
        run("cp", "--reflink=never", mnt.resolve("from").toString(), mnt.resolve("to2").toString());
        assertThat(Files.readAllBytes(source.resolve("to2"))).isEqualTo(data);
    }

    // ---- names and attributes

    @Test
    @Timeout(60)
    void namesLinksModesOwnersSizesAndTimesChangedThroughTheMountChangeTheSource() throws Exception {
        Files.createDirectory(mnt.resolve("dir"));
        assertThat(Files.isDirectory(source.resolve("dir"), NOFOLLOW)).isTrue();
        Files.writeString(mnt.resolve("dir/f"), "contents");
        Files.move(mnt.resolve("dir/f"), mnt.resolve("dir/g"));
        assertThat(Files.exists(source.resolve("dir/f"), NOFOLLOW)).isFalse();
        assertThat(Files.readString(source.resolve("dir/g"))).isEqualTo("contents");

        Files.createLink(mnt.resolve("dir/h"), mnt.resolve("dir/g"));
        assertThat(Files.getAttribute(source.resolve("dir/h"), "unix:ino"))
                .isEqualTo(Files.getAttribute(source.resolve("dir/g"), "unix:ino"));
        assertThat(Files.getAttribute(source.resolve("dir/g"), "unix:nlink")).isEqualTo(2);
        assertThat(Files.getAttribute(mnt.resolve("dir/g"), "unix:nlink")).isEqualTo(2);

        Files.createSymbolicLink(mnt.resolve("dir/s"), Path.of("g"));
        assertThat(Files.readSymbolicLink(source.resolve("dir/s"))).isEqualTo(Path.of("g"));
        assertThat(Files.readSymbolicLink(mnt.resolve("dir/s"))).isEqualTo(Path.of("g"));
        assertThat(Files.readString(mnt.resolve("dir/s"))).isEqualTo("contents");

        Files.setPosixFilePermissions(mnt.resolve("dir/g"), PosixFilePermissions.fromString("rw-r-----"));
        assertThat(Files.getPosixFilePermissions(source.resolve("dir/g"))).isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
        run("chmod", "4755", mnt.resolve("dir/g").toString());
        assertThat(mode(source.resolve("dir/g")) & 07777).isEqualTo(04755);

        run("chown", "1234:4321", mnt.resolve("dir/g").toString());
        assertThat(owner(source.resolve("dir/g"))).isEqualTo("1234:4321");
        run("chown", "-h", "2345:5432", mnt.resolve("dir/s").toString());
        assertThat(owner(source.resolve("dir/s"))).isEqualTo("2345:5432");
        assertThat(owner(source.resolve("dir/g"))).isEqualTo("1234:4321");

        run("truncate", "-s", "100", mnt.resolve("dir/g").toString());
        assertThat(Files.size(source.resolve("dir/g"))).isEqualTo(100);
        try (FileChannel channel = FileChannel.open(mnt.resolve("dir/g"), StandardOpenOption.WRITE)) {
            channel.truncate(3);
        }
        assertThat(Files.readString(source.resolve("dir/g"))).isEqualTo("con");

        run("touch", "-d", "2001-02-03 04:05:06.123456789 UTC", mnt.resolve("dir/g").toString());
        Instant when = Instant.parse("2001-02-03T04:05:06.123456789Z");
        assertThat(Files.getLastModifiedTime(source.resolve("dir/g")).toInstant()).isEqualTo(when);
        assertThat(((FileTime) Files.getAttribute(source.resolve("dir/g"), "lastAccessTime")).toInstant()).isEqualTo(when);
        run("touch", "-m", "-d", "1999-12-31 23:59:59 UTC", mnt.resolve("dir/g").toString());
        assertThat(Files.getLastModifiedTime(source.resolve("dir/g")).toInstant()).isEqualTo(Instant.parse("1999-12-31T23:59:59Z"));
        assertThat(((FileTime) Files.getAttribute(source.resolve("dir/g"), "lastAccessTime")).toInstant()).isEqualTo(when);
        run("touch", "-h", "-d", "2010-01-01 00:00:00 UTC", mnt.resolve("dir/s").toString());
        assertThat(Files.getLastModifiedTime(source.resolve("dir/s"), NOFOLLOW).toInstant())
                .isEqualTo(Instant.parse("2010-01-01T00:00:00Z"));
        assertThat(Files.getLastModifiedTime(mnt.resolve("dir/s"), NOFOLLOW).toInstant())
                .isEqualTo(Instant.parse("2010-01-01T00:00:00Z"));
        run("touch", mnt.resolve("dir/g").toString());
        assertThat(Files.getLastModifiedTime(source.resolve("dir/g")).toInstant()).isAfter(Instant.now().minusSeconds(60));

        run("mkfifo", mnt.resolve("dir/fifo").toString());
        assertThat(mode(source.resolve("dir/fifo")) & 0170000).isEqualTo(0010000);
        run("mknod", mnt.resolve("dir/null").toString(), "c", "1", "3");
        assertThat(run("stat", "-c", "%F %t:%T", source.resolve("dir/null").toString()))
                .isEqualTo("character special file 1:3\n");
        assertThat(run("stat", "-c", "%F %t:%T", mnt.resolve("dir/null").toString()))
                .isEqualTo("character special file 1:3\n");
        run("mknod", mnt.resolve("dir/big").toString(), "b", "259", "300000");
        assertThat(run("stat", "-c", "%t:%T", source.resolve("dir/big").toString())).isEqualTo("103:493e0\n");
        assertThat(run("stat", "-c", "%t:%T", mnt.resolve("dir/big").toString())).isEqualTo("103:493e0\n");

        assertThat(list(mnt.resolve("dir"))).containsExactlyInAnyOrder("g", "h", "s", "fifo", "null", "big");
        for (String name : List.of("h", "s", "fifo", "null", "big", "g")) {
            Files.delete(mnt.resolve("dir").resolve(name));
            assertThat(Files.exists(source.resolve("dir").resolve(name), NOFOLLOW)).as(name).isFalse();
        }
        Files.delete(mnt.resolve("dir"));
        assertThat(Files.exists(source.resolve("dir"))).isFalse();
    }

    @Test
    @Timeout(60)
    void namesThatAreNotUtf8ComeThroughByteForByte() throws Exception {
        String bytes = "import os, sys\n"
                + "src, mnt = os.fsencode(sys.argv[1]), os.fsencode(sys.argv[2])\n"
                + "latin = b'caf\\xe9-\\xff\\xfe'\n"
                + "with open(os.path.join(src, latin), 'w') as f: f.write('from the source')\n"
                + "print(latin in os.listdir(mnt), open(os.path.join(mnt, latin)).read())\n"
                + "other = b'made-\\xe0\\x80'\n"
                + "with open(os.path.join(mnt, other), 'w') as f: f.write('through the mount')\n"
                + "print(other in os.listdir(src), open(os.path.join(src, other)).read())\n"
                + "os.symlink(b'target-\\xfa', os.path.join(mnt, b'link-\\xfb'))\n"
                + "print(os.readlink(os.path.join(src, b'link-\\xfb')) == b'target-\\xfa',"
                + " os.readlink(os.path.join(mnt, b'link-\\xfb')) == b'target-\\xfa')\n"
                + "os.rename(os.path.join(mnt, latin), os.path.join(mnt, b'renamed-\\xe9'))\n"
                + "print(sorted(os.listdir(src)) == sorted(os.listdir(mnt)), len(os.listdir(mnt)))\n";
        assertThat(run("python3", "-c", bytes, source.toString(), mnt.toString()))
                .isEqualTo("True from the source\nTrue through the mount\nTrue True\nTrue 3\n");
    }

    @Test
    @Timeout(60)
    void birthTimesAreTheSourcesUnlessNobtimeLeavesThemOut() throws Exception {
        Path file = Files.writeString(source.resolve("born"), "x");
        FileTime born = Files.readAttributes(file, BasicFileAttributes.class).creationTime();
        Files.setLastModifiedTime(file, FileTime.fromMillis(born.toMillis() + 86_400_000L));
        assertThat(Files.readAttributes(mnt.resolve("born"), BasicFileAttributes.class).creationTime()).isEqualTo(born);
        assertThat(run("stat", "-c", "%W", mnt.resolve("born").toString()).strip())
                .isEqualTo(Long.toString(born.to(TimeUnit.SECONDS)));

        assertThat(MountOptions.defaults().birthTimes()).isTrue();
        MountOptions nobtime = MountOptions.defaults().parse("nobtime");
        assertThat(nobtime.birthTimes()).isFalse();
        Path without = mounts.mount(new PassthroughFileSystem(source), nobtime).mountpoint();
        for (int i = 0; i < 2; i++) {   // the first STATX is answered ENOSYS, the second never sent
            assertThat(run("stat", "-c", "%W", without.resolve("born").toString()).strip()).isEqualTo("0");
            // Without a birth time java.nio reports the modification time as the creation time.
            assertThat(Files.readAttributes(without.resolve("born"), BasicFileAttributes.class).creationTime())
                    .isEqualTo(Files.getLastModifiedTime(file));
        }
    }

    @Test
    @Timeout(60)
    void withHandleKillprivAWriteByAnotherUserDropsTheSetIdBits() throws Exception {
        Path killing = mounts.mount(new PassthroughFileSystem(source), MountOptions.defaults().withAllowOther(true)
                .withDefaultPermissions(true).withHandleKillpriv(true).withAttrTimeout(Duration.ZERO)
                .withEntryTimeout(Duration.ZERO)).mountpoint();
        Path file = Files.writeString(source.resolve("setid"), "x");
        run("chown", OTHER_USER + ":" + OTHER_USER, file.toString());
        run("chmod", "6777", file.toString());
        asOtherUser("sh", "-c", "echo more >> " + killing.resolve("setid"));
        assertThat(mode(file) & 07777).isEqualTo(0777);
        assertThat(Files.readString(file)).isEqualTo("xmore\n");
    }

    @Test
    @Timeout(60)
    void renameFlagsExchangeAndNoReplaceArePassedOn() throws Exception {
        Files.writeString(mnt.resolve("a"), "A");
        Files.writeString(mnt.resolve("b"), "B");
        String renameat2 = "import ctypes, sys\n"
                + "libc = ctypes.CDLL(None, use_errno=True)\n"
                + "r = libc.renameat2(-100, sys.argv[1].encode(), -100, sys.argv[2].encode(), int(sys.argv[3]))\n"
                + "print(0 if r == 0 else ctypes.get_errno())\n";
        assertThat(run("python3", "-c", renameat2, mnt.resolve("a").toString(), mnt.resolve("b").toString(), "2"))
                .isEqualTo("0\n");
        assertThat(Files.readString(source.resolve("a"))).isEqualTo("B");
        assertThat(Files.readString(source.resolve("b"))).isEqualTo("A");
        assertThat(run("python3", "-c", renameat2, mnt.resolve("a").toString(), mnt.resolve("b").toString(), "1"))
                .isEqualTo("17\n"); // EEXIST
        assertThat(Files.readString(source.resolve("b"))).isEqualTo("A");
    }

    @Test
    @Timeout(60)
    void extendedAttributesAreTheSources() throws Exception {
        Files.writeString(mnt.resolve("f"), "x");
        run("setfattr", "-n", "user.color", "-v", "blue", mnt.resolve("f").toString());
        assertThat(run("getfattr", "--only-values", "-n", "user.color", source.resolve("f").toString())).isEqualTo("blue");
        run("setfattr", "-n", "user.size", "-v", "0x" + "ab".repeat(3000), source.resolve("f").toString());
        assertThat(run("getfattr", "-e", "hex", "-n", "user.size", mnt.resolve("f").toString()))
                .contains("user.size=0x" + "ab".repeat(3000) + "\n");
        assertThat(run("getfattr", "-d", "--absolute-names", mnt.resolve("f").toString()))
                .contains("user.color=\"blue\"").contains("user.size=");
        run("setfattr", "-x", "user.color", mnt.resolve("f").toString());
        assertThat(runStatus("getfattr", "-n", "user.color", source.resolve("f").toString()).status()).isNotZero();
        Result missing = runStatus("getfattr", "-n", "user.none", mnt.resolve("f").toString());
        assertThat(missing.status()).isNotZero();
        assertThat(missing.stderr()).contains("No such attribute");
        Files.createDirectory(mnt.resolve("d"));
        run("setfattr", "-n", "user.dir", "-v", "yes", mnt.resolve("d").toString());
        assertThat(run("getfattr", "--only-values", "-n", "user.dir", source.resolve("d").toString())).isEqualTo("yes");
    }

    @Test
    @Timeout(60)
    void statfsIsTheSourceFilesystems() throws Exception {
        String format = "%S %b %c %l";
        assertThat(run("stat", "-f", "-c", format, mnt.toString())).isEqualTo(run("stat", "-f", "-c", format, source.toString()));
    }

    @Test
    @Timeout(60)
    void aLargeDirectoryListsEveryNameOnce() throws Exception {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            String name = String.format("%04d-", i) + "n".repeat(120);
            names.add(name);
            Files.createFile(source.resolve(name));
        }
        assertThat(list(mnt)).containsExactlyInAnyOrderElementsOf(names);
        // ls -f: readdir as it comes, "." and ".." included
        List<String> ls = run("ls", "-f", mnt.toString()).lines().toList();
        assertThat(ls).hasSize(602).contains(".", "..").containsAll(names);
        // ls -l looks every name up: the attributes are the source's
        assertThat(run("ls", "-ln", mnt.toString()).lines().filter(l -> l.startsWith("-rw-r--r-- 1 0 0 0 ")).count())
                .isEqualTo(600);
    }

    // ---- the inode table

    @Test
    @Timeout(60)
    void aFileRenamedInTheSourceStaysTheSameNodeUnderItsNewName() throws Exception {
        Files.createDirectories(mnt.resolve("d1/d2"));
        Files.writeString(mnt.resolve("d1/d2/file"), "one");
        Object fileIno = Files.getAttribute(mnt.resolve("d1/d2/file"), "unix:ino");
        Object dirIno = Files.getAttribute(mnt.resolve("d1"), "unix:ino");
        try (FileChannel open = FileChannel.open(mnt.resolve("d1/d2/file"), StandardOpenOption.WRITE)) {
            // Another process moves the file out, then renames the directory it was in.
            run("mv", source.resolve("d1/d2/file").toString(), source.resolve("moved").toString());
            run("mv", source.resolve("d1").toString(), source.resolve("renamed").toString());

            assertThat(Files.exists(mnt.resolve("d1"))).isFalse();
            assertThat(Files.getAttribute(mnt.resolve("moved"), "unix:ino")).isEqualTo(fileIno);
            assertThat(Files.getAttribute(mnt.resolve("renamed"), "unix:ino")).isEqualTo(dirIno);
            open.write(ByteBuffer.wrap("two".getBytes(StandardCharsets.US_ASCII)), 3);
            assertThat(Files.readString(mnt.resolve("moved"))).isEqualTo("onetwo");
        }
        assertThat(Files.readString(source.resolve("moved"))).isEqualTo("onetwo");
    }

    @Test
    @Timeout(60)
    void aProcessInsideADirectoryRenamedInTheSourceStillCreatesThere() throws Exception {
        Files.createDirectories(mnt.resolve("old/inner"));
        // A process whose working directory is old/inner (the kernel holds that node), waiting for a line.
        Process inside = new ProcessBuilder("python3", "-c",
                "import os, sys\nos.chdir(sys.argv[1])\nprint('ready', flush=True)\nsys.stdin.readline()\n"
                        + "open('made-here', 'w').write('hello')\nprint(sorted(os.listdir('.')), flush=True)\n",
                mnt.resolve("old/inner").toString()).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(inside.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("ready");
            run("mv", source.resolve("old").toString(), source.resolve("new").toString());
            inside.getOutputStream().write('\n');
            inside.getOutputStream().flush();
            assertThat(out.readLine()).isEqualTo("['made-here']");
            assertThat(inside.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(inside.exitValue()).isZero();
        } finally {
            inside.destroyForcibly();
        }
        assertThat(Files.readString(source.resolve("new/inner/made-here"))).isEqualTo("hello");
    }

    @Test
    @Timeout(60)
    void dotDotNeverLeadsOutOfTheSource() throws Exception {
        Path outer = mounts.newDirectory("javafuse-outer-");
        Path inner = Files.createDirectory(outer.resolve("src"));
        Files.writeString(outer.resolve("secret"), "outside");
        Files.createSymbolicLink(inner.resolve("up"), Path.of("../secret"));
        Files.createDirectory(inner.resolve("sub"));
        PassthroughFileSystem nested = new PassthroughFileSystem(inner);
        Path mountpoint = mount(nested).mountpoint();

        // The kernel resolves ".." above the mount root itself: the mountpoint's parent, not the source's.
        assertThat(mountpoint.resolve("..").toRealPath()).isEqualTo(mountpoint.getParent().toRealPath());
        assertThat(list(mountpoint.resolve(".."))).contains(mountpoint.getFileName().toString()).doesNotContain("secret");
        assertThat(mountpoint.resolve("sub/../..").toRealPath()).isEqualTo(mountpoint.getParent().toRealPath());
        // A symbolic link is resolved by the caller, within the mount: ../secret is not the source's neighbour.
        assertThat(Files.exists(inner.resolve("up"))).isTrue();
        assertThat(Files.exists(mountpoint.resolve("up"))).isFalse();
        // Asked directly (as NFS export would), ".." of the root is the root.
        Entry parent = nested.lookup(AS_ROOT, FileSystem.ROOT_ID, "..");
        assertThat(parent.nodeId()).isEqualTo(FileSystem.ROOT_ID);
        assertThat(parent.attr().ino()).isEqualTo(Files.getAttribute(inner, "unix:ino"));
        Entry dot = nested.lookup(AS_ROOT, FileSystem.ROOT_ID, ".");
        assertThat(dot.nodeId()).isEqualTo(FileSystem.ROOT_ID);
    }

    @Test
    @Timeout(60)
    void aFilesystemMountedInsideTheSourceIsNotMirrored() throws Exception {
        Files.createDirectory(source.resolve("sub"));
        Files.writeString(source.resolve("plain"), "x");
        run("mount", "-t", "tmpfs", "-o", "size=1m", "javafuse-test", source.resolve("sub").toString());
        try {
            Files.writeString(source.resolve("sub/inside"), "other filesystem");
            Result stat = runStatus("stat", mnt.resolve("sub").toString());
            assertThat(stat.status()).isNotZero();
            assertThat(stat.stderr()).contains("Operation not supported");
            assertThat(Files.exists(mnt.resolve("sub/inside"))).isFalse();
            // The rest of the directory is listed and usable as ever.
            assertThat(Files.readString(mnt.resolve("plain"))).isEqualTo("x");
            assertThat(run("ls", mnt.toString())).contains("plain");
        } finally {
            run("umount", source.resolve("sub").toString());
        }
    }

    @Test
    @Timeout(120)
    void pathsLongerThanPathMaxWork() throws Exception {
        // 24 directories of 200 characters: over 4800 bytes, more than PATH_MAX, walked one name at a time.
        String deep = "import os, sys\n"
                + "def walk(root, create):\n"
                + "    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)\n"
                + "    for i in range(24):\n"
                + "        name = ('%02d' % i) + 'd' * 198\n"
                + "        if create:\n"
                + "            os.mkdir(name, dir_fd=fd)\n"
                + "        nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)\n"
                + "        os.close(fd)\n"
                + "        fd = nfd\n"
                + "    return fd\n"
                + "mode = sys.argv[2]\n"
                + "fd = walk(sys.argv[1], mode == 'create')\n"
                + "if mode == 'create':\n"
                + "    f = os.open('leaf', os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)\n"
                + "    os.write(f, b'deep down')\n"
                + "    os.close(f)\n"
                + "    os.rename('leaf', 'leaf2', src_dir_fd=fd, dst_dir_fd=fd)\n"
                + "    os.fchdir(fd)\n"
                + "    print(len(os.path.realpath('leaf2')) > 4096)\n"
                + "elif mode == 'read':\n"
                + "    f = os.open('leaf2', os.O_RDONLY, dir_fd=fd)\n"
                + "    print(os.read(f, 100).decode())\n"
                + "else:\n"
                + "    import shutil\n"
                + "    shutil.rmtree(os.path.join(sys.argv[1], '00' + 'd' * 198))\n"
                + "    print('removed')\n";
        try {
            assertThat(run("python3", "-c", deep, mnt.toString(), "create")).isEqualTo("True\n");
            assertThat(run("python3", "-c", deep, source.toString(), "read")).isEqualTo("deep down\n");
            assertThat(run("python3", "-c", deep, mnt.toString(), "read")).isEqualTo("deep down\n");
            assertThat(run("find", mnt.toString(), "-name", "leaf2").strip()).hasSizeGreaterThan(4096);
            assertThat(run("python3", "-c", deep, mnt.toString(), "remove")).isEqualTo("removed\n");
            assertThat(list(source)).isEmpty();
        } finally {
            // The extension's clean-up walks by path, which cannot go this deep.
            runStatus("python3", "-c", deep, source.toString(), "remove");
        }
    }

    @Test
    @Timeout(60)
    void everyDescriptorIsClosedWhenTheMountEnds() throws Exception {
        Path own = mounts.newDirectory("javafuse-src-");
        PassthroughFileSystem counted = new PassthroughFileSystem(own);
        Mount mount = mount(counted);
        Path m = mount.mountpoint();
        Files.createDirectories(m.resolve("a/b/c"));
        Files.writeString(m.resolve("a/b/c/f"), "x");
        try (var channel = FileChannel.open(m.resolve("a/b/c/f"), StandardOpenOption.READ);
             var listing = Files.newDirectoryStream(m.resolve("a/b"))) {
            listing.forEach(p -> { });
            channel.read(ByteBuffer.allocate(10));
            assertThat(openDescriptorsUnder(own)).isNotEmpty();
            assertThat(counted.inodeCount()).isGreaterThan(1);
        }
        mount.close();
        assertThat(openDescriptorsUnder(own)).as("descriptors left open on the source").isEmpty();
    }

    // ---- ownership

    @Test
    @Timeout(60)
    void whatAnotherUserCreatesBelongsToThatUser() throws Exception {
        assertThat(fs.createsAsCaller()).isTrue();
        Path shared = Files.createDirectory(source.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path dir = mnt.resolve("shared");
        asOtherUser("touch", dir.resolve("f").toString());
        asOtherUser("mkdir", dir.resolve("d").toString());
        asOtherUser("ln", "-s", "f", dir.resolve("l").toString());
        asOtherUser("mkfifo", dir.resolve("p").toString());
        asOtherUser(PYTHON, "-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])",
                dir.resolve("sock").toString());
        asOtherUser("ln", dir.resolve("f").toString(), dir.resolve("hard").toString());
        for (String name : List.of("f", "d", "l", "p", "sock", "hard")) {
            assertThat(owner(shared.resolve(name))).as(name).isEqualTo(OTHER_USER + ":" + OTHER_USER);
        }
        // The caller's umask, and only the caller's, applies.
        asOtherUser("sh", "-c", "umask 002 && echo x > " + dir.resolve("g") + " && mkdir " + dir.resolve("gd"));
        assertThat(mode(shared.resolve("g")) & 07777).isEqualTo(0664);
        assertThat(mode(shared.resolve("gd")) & 07777).isEqualTo(0775);
        asOtherUser("sh", "-c", "umask 077 && echo x > " + dir.resolve("private"));
        assertThat(mode(shared.resolve("private")) & 07777).isEqualTo(0600);
        // Root still creates as root, in the same directory.
        Files.writeString(dir.resolve("by-root"), "r");
        assertThat(owner(shared.resolve("by-root"))).isEqualTo("0:0");
        // Nor can the other user create where it may not write, or make device nodes.
        Result denied = runStatus(asOther("touch", mnt.resolve("denied").toString()));
        assertThat(denied.status()).isNotZero();
        assertThat(denied.stderr()).contains("Permission denied");
        assertThat(Files.exists(source.resolve("denied"))).isFalse();
        assertThat(runStatus(asOther("mknod", dir.resolve("dev").toString(), "c", "1", "3")).status()).isNotZero();
        assertThat(Files.exists(shared.resolve("dev"), NOFOLLOW)).isFalse();
    }

    @Test
    @Timeout(60)
    void aSetGroupIdDirectoryGivesItsGroupToWhatIsCreatedInIt() throws Exception {
        Path sg = Files.createDirectory(source.resolve("sg"));
        run("chgrp", "4321", sg.toString());
        run("chmod", "2777", sg.toString());
        asOtherUser("touch", mnt.resolve("sg/f").toString());
        asOtherUser("mkdir", mnt.resolve("sg/sub").toString());
        asOtherUser("mkdir", mnt.resolve("sg/sub/deeper").toString());
        assertThat(owner(sg.resolve("f"))).isEqualTo(OTHER_USER + ":4321");
        assertThat(owner(sg.resolve("sub"))).isEqualTo(OTHER_USER + ":4321");
        assertThat(mode(sg.resolve("sub")) & 02000).as("set-group-id inherited").isEqualTo(02000);
        assertThat(owner(sg.resolve("sub/deeper"))).isEqualTo(OTHER_USER + ":4321");
        assertThat(mode(sg.resolve("sub/deeper")) & 02000).isEqualTo(02000);
        Files.createDirectory(mnt.resolve("sg/by-root"));
        assertThat(owner(sg.resolve("by-root"))).isEqualTo("0:4321");
        // Outside it, the caller's own group.
        Path plain = Files.createDirectory(source.resolve("plain"));
        Files.setPosixFilePermissions(plain, PosixFilePermissions.fromString("rwxrwxrwx"));
        asOtherUser("mkdir", mnt.resolve("plain/sub").toString());
        assertThat(owner(plain.resolve("sub"))).isEqualTo(OTHER_USER + ":" + OTHER_USER);
        assertThat(mode(plain.resolve("sub")) & 02000).isZero();
    }

    // ---- locks

    @Test
    @Timeout(60)
    void flockConflictsBetweenProcessesAsOnTheSource() throws Exception {
        Path file = Files.writeString(mnt.resolve("lockfile"), "");
        Process holder = new ProcessBuilder("flock", file.toString(), "-c", "echo locked; read line").start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("locked");
            assertThat(runStatus("flock", "-n", file.toString(), "true").status()).isEqualTo(1);
            assertThat(runStatus("flock", "-n", "-s", file.toString(), "true").status()).isEqualTo(1);
            // The lock is the source's: a process on the source directly sees it too.
            assertThat(runStatus("flock", "-n", source.resolve("lockfile").toString(), "true").status()).isEqualTo(1);
            // A waiter gets it once the holder lets go.
            Process waiter = new ProcessBuilder("flock", file.toString(), "-c", "echo got it").start();
            Thread.sleep(300);
            assertThat(waiter.isAlive()).isTrue();
            holder.getOutputStream().write('\n');
            holder.getOutputStream().flush();
            assertThat(waiter.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(new String(waiter.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("got it\n");
            assertThat(holder.waitFor(20, TimeUnit.SECONDS)).isTrue();
        } finally {
            holder.destroyForcibly();
        }
        assertThat(runStatus("flock", "-n", file.toString(), "true").status()).isZero();
        // Shared locks share.
        Process reader = new ProcessBuilder("flock", "-s", file.toString(), "-c", "echo shared; read line").start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(reader.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("shared");
            assertThat(runStatus("flock", "-n", "-s", file.toString(), "true").status()).isZero();
            assertThat(runStatus("flock", "-n", "-x", file.toString(), "true").status()).isEqualTo(1);
        } finally {
            reader.destroyForcibly();
        }
    }

    @Test
    @Timeout(60)
    void posixLocksFollowPosixRulesAndAreTheSources() throws Exception {
        Path file = Files.writeString(mnt.resolve("records"), "0123456789".repeat(10));
        String tryLock = "import fcntl, os, struct, sys\n"
                + "f = open(sys.argv[1], 'r+')\n"
                + "start, length = int(sys.argv[2]), int(sys.argv[3])\n"
                + "query = struct.pack('hhqqi4x', fcntl.F_WRLCK, 0, start, length, 0)\n"
                + "kind = struct.unpack('hhqqi4x', fcntl.fcntl(f, fcntl.F_GETLK, query))[0]\n"
                + "try:\n"
                + "    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, length, start)\n"
                + "    print('acquired', kind == fcntl.F_UNLCK)\n"
                + "except OSError as e:\n"
                + "    print('busy', e.errno, kind == fcntl.F_WRLCK)\n";
        String hold = "import fcntl, sys\n"
                + "f = open(sys.argv[1], 'r+')\n"
                + "fcntl.lockf(f, fcntl.LOCK_EX, 10, 0)\n"
                + "g = open(sys.argv[1], 'r+')\n"
                + "fcntl.lockf(g, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 5)\n" // same process: no conflict with itself
                + "print('locked', flush=True)\n"
                + "sys.stdin.readline()\n"
                + "g.close()\n" // POSIX: closing any descriptor drops all of the process's locks on the file
                + "print('closed', flush=True)\n"
                + "sys.stdin.readline()\n";
        Process holder = new ProcessBuilder("python3", "-c", hold, file.toString()).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("locked");
            assertThat(run("python3", "-c", tryLock, file.toString(), "3", "4")).isEqualTo("busy 11 True\n");
            assertThat(run("python3", "-c", tryLock, file.toString(), "12", "2")).isEqualTo("busy 11 True\n");
            assertThat(run("python3", "-c", tryLock, file.toString(), "15", "10")).isEqualTo("acquired True\n");
            assertThat(run("python3", "-c", tryLock, source.resolve("records").toString(), "0", "1"))
                    .as("seen on the source").isEqualTo("busy 11 True\n");
            holder.getOutputStream().write('\n');
            holder.getOutputStream().flush();
            assertThat(out.readLine()).isEqualTo("closed");
            assertThat(run("python3", "-c", tryLock, file.toString(), "0", "15")).isEqualTo("acquired True\n");
            holder.getOutputStream().write('\n');
            holder.getOutputStream().flush();
            assertThat(holder.waitFor(20, TimeUnit.SECONDS)).isTrue();
        } finally {
            holder.destroyForcibly();
        }
        // A waiting lock (F_SETLKW) is granted when the holder ends.
        String waitFor = "import fcntl, sys\nf = open(sys.argv[1], 'r+')\nfcntl.lockf(f, fcntl.LOCK_EX, 0, 0)\nprint('granted')\n";
        Process blocker = new ProcessBuilder("python3", "-c",
                "import fcntl, sys\nf = open(sys.argv[1], 'r+')\nfcntl.lockf(f, fcntl.LOCK_EX, 0, 0)\n"
                        + "print('locked', flush=True)\nsys.stdin.readline()\n", source.resolve("records").toString()).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(blocker.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("locked");
            Process waiter = new ProcessBuilder("python3", "-c", waitFor, file.toString()).start();
            Thread.sleep(300);
            assertThat(waiter.isAlive()).isTrue();
            blocker.getOutputStream().write('\n');
            blocker.getOutputStream().flush();
            assertThat(waiter.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(new String(waiter.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("granted\n");
        } finally {
            blocker.destroyForcibly();
        }
    }

    @Test
    @Timeout(60)
    void aWaiterKilledWhileWaitingForALockGoesAwayWithoutTakingIt() throws Exception {
        Path file = Files.writeString(mnt.resolve("contended"), "x");
        Process holder = new ProcessBuilder("flock", file.toString(), "-c", "echo locked; read line").start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("locked");
            Process posixHolder = new ProcessBuilder("python3", "-c",
                    "import fcntl, sys\nf = open(sys.argv[1], 'r+')\nfcntl.lockf(f, fcntl.LOCK_EX, 0, 0)\n"
                            + "print('locked', flush=True)\nsys.stdin.readline()\n", file.toString()).start();
            var posixOut = new java.io.BufferedReader(new java.io.InputStreamReader(posixHolder.getInputStream(),
                    StandardCharsets.UTF_8));
            assertThat(posixOut.readLine()).isEqualTo("locked");
            Process flockWaiter = new ProcessBuilder("flock", file.toString(), "-c", "echo should not run").start();
            Process posixWaiter = new ProcessBuilder("python3", "-c",
                    "import fcntl, sys\nf = open(sys.argv[1], 'r+')\nfcntl.lockf(f, fcntl.LOCK_EX, 0, 0)\nprint('granted')\n",
                    file.toString()).start();
            try {
                Thread.sleep(1000);
                assertThat(flockWaiter.isAlive()).isTrue();
                assertThat(posixWaiter.isAlive()).isTrue();
                // SIGKILL: the kernel interrupts the requests, and the processes end without an answer.
                flockWaiter.destroyForcibly();
                posixWaiter.destroyForcibly();
                assertThat(flockWaiter.waitFor(15, TimeUnit.SECONDS)).as("flock waiter gone").isTrue();
                assertThat(posixWaiter.waitFor(15, TimeUnit.SECONDS)).as("posix waiter gone").isTrue();
            } finally {
                posixHolder.destroyForcibly();
                flockWaiter.destroyForcibly();
                posixWaiter.destroyForcibly();
                assertThat(posixHolder.waitFor(15, TimeUnit.SECONDS)).isTrue();
            }
            holder.getOutputStream().write('\n');
            holder.getOutputStream().flush();
            assertThat(holder.waitFor(15, TimeUnit.SECONDS)).isTrue();
        } finally {
            holder.destroyForcibly();
        }
        // Nobody took the locks on the way out. A killed process's FLUSH is interrupted as soon as
        // it is sent, and may be answered without reaching the filesystem; its locks then go with
        // the handle's RELEASE, which the kernel sends in the background: give that a moment.
        assertThat(runStatus("flock", "-n", file.toString(), "true").status()).isZero();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int status;
        do {
            status = runStatus("python3", "-c",
                    "import fcntl, sys\nf = open(sys.argv[1], 'r+')\nfcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, 0, 0)\n",
                    file.toString()).status();
        } while (status != 0 && System.nanoTime() < deadline);
        assertThat(status).as("the killed holder's POSIX lock was released").isZero();
    }

    @Test
    @Timeout(60)
    void statxReportsTheSourcesBirthTime() throws Exception {
        Files.writeString(mnt.resolve("born"), "x");
        String format = "%W %Y %i %h %s";
        assertThat(run("stat", "-c", format, mnt.resolve("born").toString()))
                .isEqualTo(run("stat", "-c", format, source.resolve("born").toString()));
        assertThat(run("stat", "-c", "%W", mnt.resolve("born").toString()).strip()).isNotEqualTo("0");
    }

    @Test
    @Timeout(60)
    void aTemporaryFileIsCreatedInTheSourceWithoutAName() throws Exception {
        Files.createDirectory(mnt.resolve("t"));
        Files.setPosixFilePermissions(source.resolve("t"), PosixFilePermissions.fromString("rwxrwxrwx"));
        // (Giving it a name with linkat through /proc/self/fd fails with EXDEV in the kernel on
        // FUSE mounts, before any request reaches a filesystem.)
        String tmpfile = "import os, sys\n"
                + "fd = os.open(sys.argv[1], os.O_TMPFILE | os.O_RDWR, 0o640)\n"
                + "os.write(fd, b'anonymous')\n"
                + "st = os.fstat(fd)\n"
                + "print(os.pread(fd, 100, 0).decode(), oct(st.st_mode & 0o7777), st.st_nlink, st.st_uid, os.listdir(sys.argv[1]))\n";
        assertThat(run(asOther(PYTHON, "-c", tmpfile, mnt.resolve("t").toString())))
                .isEqualTo("anonymous 0o640 0 " + OTHER_USER + " []\n");
        assertThat(list(source.resolve("t"))).isEmpty();
    }

    private static final Request AS_ROOT = new TestRequest(0, 0);

    private static String[] asOther(String... command) {
        List<String> all = new ArrayList<>(List.of("setpriv", "--reuid=" + OTHER_USER, "--regid=" + OTHER_USER,
                "--clear-groups"));
        all.addAll(List.of(command));
        return all.toArray(String[]::new);
    }

    private static void asOtherUser(String... command) throws Exception {
        run(asOther(command));
    }

    private static int mode(Path path) throws IOException {
        return (Integer) Files.getAttribute(path, "unix:mode", NOFOLLOW);
    }

    private static String owner(Path path) throws IOException {
        Map<String, Object> attributes = Files.readAttributes(path, "unix:uid,gid", NOFOLLOW);
        return attributes.get("uid") + ":" + attributes.get("gid");
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 20];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** This process's descriptors that refer to something under {@code dir}. */
    private static List<String> openDescriptorsUnder(Path dir) throws IOException {
        String prefix = dir.toRealPath().toString();
        List<String> found = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.equals(prefix) || target.startsWith(prefix + "/")) {
                        found.add(fd.getFileName() + " -> " + target);
                    }
                } catch (IOException e) {
                    // closed meanwhile (the listing's own descriptor)
                }
            }
        }
        return found;
    }

    private static byte[] randomBytes(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** Runs a command and returns its stdout; fails the test if it exits non-zero. */
    private static String run(String... command) throws Exception {
        Result result = runStatus(command);
        assertThat(result.status()).as("%s failed: %s", String.join(" ", command), result.stderr()).isZero();
        return result.stdout();
    }

    private record Result(int status, String stdout, String stderr) {}

    private static Result runStatus(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        var stderr = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish");
        }
        return new Result(process.exitValue(), stdout, stderr.get());
    }

    /**
     * With the kernel's caches kept, a file read again and a directory listed again take no
     * request, and changes made through the mount still show at once. Without (the mount every
     * other test uses), each open goes back to the source.
     */
    @Test
    @Timeout(60)
    void keepingTheKernelCacheServesRepeatedReadsAndListingsWithoutRequests() throws Exception {
        Files.writeString(source.resolve("kept"), "first");
        Files.createDirectory(source.resolve("dir"));
        Files.writeString(source.resolve("dir/x"), "");
        Mount kept = mounts.mount(new PassthroughFileSystem(source).keepKernelCache(true), MountOptions.defaults());
        Mount plain = mounts.mount(new PassthroughFileSystem(source), MountOptions.defaults());
        for (Mount mount : List.of(kept, plain)) {
            Path at = mount.mountpoint();
            RequestCounts.Action readAndList = () -> {
                assertThat(Files.readString(at.resolve("kept"))).isEqualTo("first");
                assertThat(Differential.list(at.resolve("dir"))).containsExactly("x");
            };
            readAndList.run();
            long again = RequestCounts.answeredDuring(mount, readAndList, Operation.READ, Operation.READDIR,
                    Operation.READDIRPLUS);
            if (mount == kept) {
                assertThat(again).as("requests for the second read and listing, caches kept").isZero();
            } else {
                assertThat(again).as("requests for the second read and listing, caches dropped at open").isPositive();
            }
        }
        Path at = kept.mountpoint();
        Files.writeString(at.resolve("kept"), "second");
        assertThat(Files.readString(at.resolve("kept"))).isEqualTo("second");
        Files.writeString(at.resolve("dir/y"), "");
        assertThat(Differential.list(at.resolve("dir"))).containsExactlyInAnyOrder("x", "y");
    }
}
