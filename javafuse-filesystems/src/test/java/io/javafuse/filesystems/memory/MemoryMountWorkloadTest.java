package io.javafuse.filesystems.memory;

import io.javafuse.api.Mount;
import io.javafuse.api.Operation;
import io.javafuse.filesystems.conformance.Differential;
import io.javafuse.testing.MountExtension;
import io.javafuse.testing.RequestCounts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.javafuse.filesystems.conformance.Differential.check;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bulk work through a real mount of {@link MemoryFileSystem}: a 256 MiB file, eight writers at
 * once, and a tree carried in and out with tar, each checked byte for byte (SHA-256, diff) against
 * its source on tmpfs. The big file's throughput is printed for the report.
 */
class MemoryMountWorkloadTest {
    private static final int MIB = 1 << 20;

    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    private Path shm;
    private Mount mount;
    private Path mnt;

    @BeforeEach
    void mount() throws Exception {
        shm = Differential.newShmDirectory("javafuse-workload-");
        mount = mounts.mount(new MemoryFileSystem(), Differential.OPTIONS);
        mnt = mount.mountpoint();
    }

    @AfterEach
    void removeNativeFiles() throws IOException {
        Differential.deleteRecursively(shm);
    }

    /** SHA-256 of a file, read through a FileChannel in 1 MiB pieces. */
    private static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        ByteBuffer buffer = ByteBuffer.allocateDirect(MIB);
        try (FileChannel channel = FileChannel.open(file, READ)) {
            while (channel.read(buffer) >= 0) {
                digest.update(buffer.flip());
                buffer.clear();
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String rate(long bytes, long nanos) {
        return "%.0f MiB/s (%d ms)".formatted(bytes / (double) MIB / (nanos / 1e9), nanos / 1_000_000);
    }

    @Test
    @Timeout(150)
    void aFileOf256MiB() throws Exception {
        long size = 256L * MIB;
        Path source = shm.resolve("big");
        check(shm, "dd if=/dev/urandom of=big bs=1M count=256 status=none");
        long start = System.nanoTime();
        String expected = sha256(source);
        long nativeRead = System.nanoTime() - start;

        // Through cp; every open without FOPEN_KEEP_CACHE drops the kernel's cached pages, so the
        // reads below come from the filesystem, not from what the write left in the page cache.
        start = System.nanoTime();
        check(mnt, "cp " + source + " big");
        long cpWrite = System.nanoTime() - start;
        start = System.nanoTime();
        String copied = sha256(mnt.resolve("big"));
        long read = System.nanoTime() - start;
        assertThat(Files.size(mnt.resolve("big"))).isEqualTo(size);
        assertThat(copied).isEqualTo(expected);
        Files.delete(mnt.resolve("big"));

        // From Java in 1 MiB writes.
        start = System.nanoTime();
        try (FileChannel in = FileChannel.open(source, READ);
             FileChannel out = FileChannel.open(mnt.resolve("big-java"), CREATE_NEW, WRITE)) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(MIB);
            while (in.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                buffer.clear();
            }
        }
        long javaWrite = System.nanoTime() - start;
        start = System.nanoTime();
        String written = sha256(mnt.resolve("big-java"));
        long javaRead = System.nanoTime() - start;
        assertThat(Files.size(mnt.resolve("big-java"))).isEqualTo(size);
        assertThat(written).isEqualTo(expected);
        Files.delete(mnt.resolve("big-java"));

        System.out.println("MemoryMountWorkloadTest 256 MiB: cp write " + rate(size, cpWrite)
                + ", read+SHA-256 " + rate(size, read) + "; Java 1 MiB writes " + rate(size, javaWrite)
                + ", read+SHA-256 " + rate(size, javaRead) + "; tmpfs read+SHA-256 for reference "
                + rate(size, nativeRead));
    }

    @Test
    @Timeout(120)
    void eightWritersAtOnce() throws Exception {
        int writers = 8;
        int size = 16 * MIB;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<String>> sums = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                Path file = mnt.resolve("writer-" + w);
                long seed = w;
                sums.add(pool.submit(() -> {
                    // Each writer its own data, in pieces of different sizes so that writes do not line up with pages.
                    Random random = new Random(seed);
                    MessageDigest digest = MessageDigest.getInstance("SHA-256");
                    try (FileChannel out = FileChannel.open(file, CREATE_NEW, WRITE)) {
                        for (int done = 0; done < size; ) {
                            byte[] piece = new byte[Math.min(size - done, 1000 + random.nextInt(300_000))];
                            random.nextBytes(piece);
                            digest.update(piece);
                            ByteBuffer buffer = ByteBuffer.wrap(piece);
                            while (buffer.hasRemaining()) {
                                out.write(buffer);
                            }
                            done += piece.length;
                        }
                    }
                    return HexFormat.of().formatHex(digest.digest());
                }));
            }
            List<String> expected = new ArrayList<>();
            for (Future<String> sum : sums) {
                expected.add(sum.get());
            }
            List<Future<String>> reads = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                Path file = mnt.resolve("writer-" + w);
                reads.add(pool.submit(() -> sha256(file)));
            }
            for (int w = 0; w < writers; w++) {
                assertThat(Files.size(mnt.resolve("writer-" + w))).as("size of writer-%d", w).isEqualTo(size);
                assertThat(reads.get(w).get()).as("SHA-256 of writer-%d", w).isEqualTo(expected.get(w));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * 300 files of random sizes in nested directories, with symlinks (one dangling), hard links,
     * an empty file and directory, a fifo, other owners, modes and fixed timestamps.
     */
    private static void makeTree(Path root) throws Exception {
        Random random = new Random(7);
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Path dir = root.resolve("d" + i % 7).resolve("e" + i % 5);
            if (i % 3 == 0) {
                dir = dir.resolve("f" + i % 4);
            }
            Files.createDirectories(dir);
            byte[] data = new byte[random.nextInt(4) == 0 ? random.nextInt(200_000) : random.nextInt(5000)];
            random.nextBytes(data);
            Path file = Files.write(dir.resolve("file-" + i + ".bin"), data);
            if (i % 11 == 0) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-x--x"));
            }
            if (i % 13 == 0) {
                Files.setAttribute(file, "unix:uid", 1234);
                Files.setAttribute(file, "unix:gid", 1234);
            }
            Files.setLastModifiedTime(file, FileTime.from(Instant.ofEpochSecond(1_600_000_000L + i, 123_456_789L * (i % 8))));
            files.add(file);
        }
        for (int i = 0; i < 10; i++) {
            Path link = root.resolve("d" + i % 7).resolve("link-" + i);
            Files.createSymbolicLink(link, link.getParent().relativize(files.get(i * 29)));
        }
        Files.createSymbolicLink(root.resolve("dangling"), Path.of("no/such/target"));
        Files.createSymbolicLink(root.resolve("absolute"), Path.of("/etc/hostname"));
        Files.createLink(root.resolve("hard-link"), files.get(42));
        Files.createLink(root.resolve("d1/hard-link-2"), files.get(42));
        Files.createFile(root.resolve("empty"));
        Files.createDirectories(root.resolve("empty-dir"));
        Files.setPosixFilePermissions(root.resolve("d3"), PosixFilePermissions.fromString("rwx--x---"));
        check(root, "mkfifo fifo && touch -h -d '2010-01-01 00:00:00.5' dangling"
                + " && touch -d '2011-01-01 00:00:00.25' d2 d2/e1 empty-dir");
    }

    /** Path, type, mode, size, links, owner, group, symlink target and mtime of every node under the directory. */
    private static String listing(Path root) throws Exception {
        return check(root, "find . -printf '%p %y %m %s %n %U %G %l %T@\\n' | LC_ALL=C sort");
    }

    @Test
    @Timeout(120)
    void aTreeThroughTarAndBack() throws Exception {
        Path source = Files.createDirectory(shm.resolve("source"));
        makeTree(source);
        Path tree = Files.createDirectory(mnt.resolve("tree"));
        Path out = Files.createDirectory(shm.resolve("out"));
        // The POSIX format keeps nanosecond timestamps; GNU tar, run as root, keeps owners and modes.
        check(shm, "tar --format=posix -C source -cf - . | tar -C " + tree + " -xf -");
        check(shm, "tar --format=posix -C " + tree + " -cf - . | tar -C out -xf -");

        // diff calls any two fifos different, even on tmpfs alone; the listings below compare the fifo.
        assertThat(check(shm, "diff -r --no-dereference -x fifo source " + tree)).isEmpty();
        assertThat(check(shm, "diff -r --no-dereference -x fifo source out")).isEmpty();
        String expected = listing(source);
        assertThat(expected.lines().count()).isGreaterThan(300);
        // Directory sizes compare as well: both count 20 bytes per entry as tmpfs does.
        assertThat(listing(tree)).isEqualTo(expected);
        assertThat(listing(out)).isEqualTo(expected);
    }

    /**
     * Every change comes through the kernel, so it keeps file pages and listings across opens:
     * a file read again and a directory listed again take no request, and a change shows at once.
     */
    @Test
    @Timeout(60)
    void aFileReadAgainAndADirectoryListedAgainComeFromTheKernel() throws Exception {
        Files.writeString(mnt.resolve("file"), "first");
        Files.createDirectory(mnt.resolve("dir"));
        Files.writeString(mnt.resolve("dir/x"), "");
        RequestCounts.Action readAndList = () -> {
            assertThat(Files.readString(mnt.resolve("file"))).isEqualTo("first");
            assertThat(Differential.list(mnt.resolve("dir"))).containsExactly("x");
        };
        readAndList.run();
        assertThat(RequestCounts.answeredDuring(mount, readAndList, Operation.READ, Operation.READDIR,
                Operation.READDIRPLUS)).as("requests for the second read and listing").isZero();

        Files.writeString(mnt.resolve("file"), "second");
        assertThat(Files.readString(mnt.resolve("file"))).isEqualTo("second");
        Files.writeString(mnt.resolve("dir/y"), "");
        assertThat(Differential.list(mnt.resolve("dir"))).containsExactlyInAnyOrder("x", "y");
    }
}
