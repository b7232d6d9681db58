package io.javafuse.filesystems.conformance;

import io.javafuse.testing.MountExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.javafuse.filesystems.conformance.Differential.atime;
import static io.javafuse.filesystems.conformance.Differential.ctime;
import static io.javafuse.filesystems.conformance.Differential.list;
import static io.javafuse.filesystems.conformance.Differential.meta;
import static io.javafuse.filesystems.conformance.Differential.mtime;
import static io.javafuse.filesystems.conformance.Differential.sha256;
import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * Runs the same steps, through java.nio and through the shell tools, on a real mount of a
 * filesystem (as the CLI mounts it, with default_permissions, and allow_other so that a user
 * other than root can be compared) and on a tmpfs directory, and requires the same outcome from
 * both: values, errors (errno), contents, mode, size, link counts, owners and the timestamps
 * POSIX fixes. One concrete class per filesystem says how to mount it and which differences are
 * the filesystem's own.
 *
 * <p>One instance per class, so that the counts of steps and checks add up for the report.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class MountConformanceTest {
    static final FileTime OLD = FileTime.from(Instant.parse("2001-02-03T04:05:06.123456789Z"));
    /**
     * Python, for the calls no shell tool makes. The system's own interpreter when there is one: a
     * version manager's shim (pyenv) takes seconds to start on a busy machine, and root's own may
     * live where another user cannot run it. -S skips site.py.
     */
    static final String PYTHON =
            (Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3") + " -S";
    /** A user and group that exist nowhere, for the checks made as a caller other than root. */
    static final int OTHER = 1234;

    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    Differential d;
    private int steps;
    private long checks;

    /** Mounts the filesystem under test through {@code mounts} and makes its native twin on tmpfs. */
    abstract Differential open(MountExtension mounts) throws Exception;

    @BeforeEach
    void mount() throws Exception {
        d = open(mounts);
    }

    @AfterEach
    void removeNativeTwin() throws Exception {
        if (d != null) {
            steps += d.steps();
            checks += d.checks();
            d.close();
            d = null;
        }
    }

    @AfterAll
    void report() {
        System.out.println(getClass().getSimpleName() + ": " + steps + " steps compared between the mount and tmpfs, "
                + checks + " checks");
    }

    private static ByteBuffer buffer(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] random(int seed, int length) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** Pauses long enough that a later timestamp must differ from an earlier one. */
    private static void tick() throws InterruptedException {
        Thread.sleep(15);
    }

    // ---- open, read, write

    @Test
    void createAndOpenFlags() {
        d.step("write a new file and read it", r -> {
            Files.writeString(r.resolve("f"), "hello");
            return Files.readString(r.resolve("f"));
        });
        d.step("a new file's attributes", r -> meta(r.resolve("f")));
        d.step("CREATE_NEW on an existing file", r -> {
            Files.newByteChannel(r.resolve("f"), CREATE_NEW, WRITE).close();
            return "opened";
        });
        d.step("createFile on an existing file", r -> Files.createFile(r.resolve("f")).getFileName().toString());
        d.step("READ on a missing file", r -> {
            Files.newByteChannel(r.resolve("missing"), READ).close();
            return "opened";
        });
        d.step("WRITE without CREATE on a missing file", r -> {
            Files.newByteChannel(r.resolve("missing"), WRITE, TRUNCATE_EXISTING).close();
            return "opened";
        });
        d.step("CREATE_NEW on a missing file", r -> {
            try (var c = Files.newByteChannel(r.resolve("g"), CREATE_NEW, WRITE)) {
                c.write(buffer("new"));
            }
            return List.of(Files.readString(r.resolve("g")), meta(r.resolve("g")));
        });
        d.step("CREATE on an existing file keeps its contents", r -> {
            try (var c = Files.newByteChannel(r.resolve("g"), CREATE, WRITE)) {
                c.write(buffer("N"));
            }
            return Files.readString(r.resolve("g"));
        });
        d.step("TRUNCATE_EXISTING", r -> {
            Files.writeString(r.resolve("f"), "xy", WRITE, TRUNCATE_EXISTING);
            return List.of(Files.readString(r.resolve("f")), Files.size(r.resolve("f")));
        });
        d.step("TRUNCATE_EXISTING with READ only opens and truncates nothing on its own", r -> {
            try (var c = Files.newByteChannel(r.resolve("f"), READ, TRUNCATE_EXISTING)) {
                return c.size();
            }
        });
        d.step("APPEND", r -> {
            Files.writeString(r.resolve("f"), "12", APPEND);
            Files.writeString(r.resolve("f"), "34", APPEND, CREATE);
            return Files.readString(r.resolve("f"));
        });
        d.step("APPEND writes at the end whatever the position", r -> {
            try (FileChannel c = FileChannel.open(r.resolve("f"), APPEND)) {
                c.position(0);
                c.write(buffer("zz"));
                return List.of(c.position(), c.size(), Files.readString(r.resolve("f")));
            }
        });
        d.step("APPEND and CREATE on a missing file", r -> {
            Files.writeString(r.resolve("h"), "appended", APPEND, CREATE);
            return Files.readString(r.resolve("h"));
        });
        d.step("a file used as a directory", r -> Files.createFile(r.resolve("f/x")).toString());
        d.step("a missing parent", r -> Files.createFile(r.resolve("nowhere/x")).toString());
        d.step("open a directory for writing", r -> {
            Files.createDirectory(r.resolve("d"));
            Files.newByteChannel(r.resolve("d"), WRITE).close();
            return "opened";
        });
        d.step("read a directory", r -> Files.readAllBytes(r.resolve("d")).length);
        d.sh("echo shell > s && cat s && stat -c '%F %a %s %h %u %g' s");
        d.sh("set -o noclobber; echo again > s");
        d.sh("echo more >> s && cat s");
        d.sh("cat missing");
        d.sh("cat d");
        d.sh("echo x > d");
        d.sh("ls");
        d.assertNoDifferences();
    }

    @Test
    void positionalReadsAndWritesAndSparseFiles() {
        byte[] data = random(1, 10_000);
        d.step("positional writes leave the position alone", r -> {
            try (FileChannel c = FileChannel.open(r.resolve("f"), CREATE, READ, WRITE)) {
                int first = c.write(buffer("0123456789"), 0);
                int second = c.write(buffer("AB"), 4);
                ByteBuffer b = ByteBuffer.allocate(6);
                int read = c.read(b, 2);
                return List.of(first, second, read, new String(b.array(), 0, read, StandardCharsets.UTF_8),
                        c.size(), c.position());
            }
        });
        d.step("a positional read at and past the end", r -> {
            try (FileChannel c = FileChannel.open(r.resolve("f"), READ)) {
                return List.of(c.read(ByteBuffer.allocate(4), 10), c.read(ByteBuffer.allocate(4), 1000),
                        c.read(ByteBuffer.allocate(4), 8));
            }
        });
        d.step("reads across page boundaries", r -> {
            Files.write(r.resolve("random"), data);
            List<String> pieces = new ArrayList<>();
            try (FileChannel c = FileChannel.open(r.resolve("random"), READ)) {
                for (long at : new long[] {0, 4090, 4095, 4096, 8191, 9990, 9999}) {
                    ByteBuffer b = ByteBuffer.allocate(20);
                    int n = c.read(b, at);
                    pieces.add(at + ":" + n + ":" + sha256(java.util.Arrays.copyOf(b.array(), Math.max(n, 0))));
                }
            }
            return pieces;
        });
        d.step("positional writes across page boundaries", r -> {
            try (FileChannel c = FileChannel.open(r.resolve("random"), READ, WRITE)) {
                c.write(ByteBuffer.wrap(random(2, 5000)), 4000);
                c.write(ByteBuffer.wrap(random(3, 3)), 9998);
            }
            return List.of(Files.size(r.resolve("random")), sha256(Files.readAllBytes(r.resolve("random"))));
        });
        d.step("a write past the end leaves a hole of zeros", r -> {
            try (FileChannel c = FileChannel.open(r.resolve("sparse"), CREATE_NEW, READ, WRITE)) {
                c.write(buffer("start"), 0);
                c.write(buffer("end"), (1 << 20) + 5);
                ByteBuffer hole = ByteBuffer.allocate(1 << 20);
                c.read(hole, 5);
                long nonZero = 0;
                for (byte b : hole.array()) {
                    nonZero += b != 0 ? 1 : 0;
                }
                ByteBuffer tail = ByteBuffer.allocate(8);
                int n = c.read(tail, (1 << 20) + 3);
                return List.of(c.size(), nonZero, n, new String(tail.array(), 0, n, StandardCharsets.ISO_8859_1));
            }
        });
        d.sh("stat -c '%s' sparse && sha256sum sparse && od -An -c -j 1048570 sparse");
        // Both are tmpfs-like: 4 KiB pages, so the hole takes no blocks (MemoryFileSystem reports them itself).
        d.sh("stat -c '%b' sparse");
        d.step("a write that seeks past the end with a stream position", r -> {
            try (FileChannel c = FileChannel.open(r.resolve("seek"), CREATE_NEW, WRITE)) {
                c.position(10_000);
                c.write(buffer("x"));
                return c.size();
            }
        });
        d.sh("dd if=/dev/zero of=dd bs=4096 count=2 seek=3 status=none && stat -c %s dd && sha256sum dd");
        d.sh("printf abcdefgh > src && dd if=src of=dd2 bs=2 skip=1 count=2 status=none && cat dd2");
        d.sh("dd if=src of=dd3 bs=1 seek=5 status=none && od -An -c dd3");
        d.sh("dd if=/dev/urandom of=rnd bs=64k count=3 status=none && dd if=rnd bs=1000 skip=7 count=9 status=none | wc -c");
        d.sh("dd if=rnd of=direct bs=64k oflag=direct status=none && cmp rnd direct && dd if=direct bs=4k iflag=direct "
                + "status=none | cmp - rnd && dd if=rnd of=direct2 bs=1000 count=3 oflag=direct status=none && stat -c %s direct2");
        d.sh("for p in 1 2 3 4; do (for i in $(seq 1 300); do echo \"writer $p line $i\" >> log; done) & done; wait; "
                + "wc -l < log; sort -u log | wc -l; grep -c '^writer [1-4] line [0-9]*$' log");
        d.assertNoDifferences();
    }

    /** A bash function that prints a file's size, st_blocks and data ranges as SEEK_DATA and SEEK_HOLE find them. */
    private static final String SEEK_MAP = """
            seekmap() {
            PYTHON -c '
            import os, sys
            fd = os.open(sys.argv[1], os.O_RDONLY)
            size, pos, ranges = os.fstat(fd).st_size, 0, []
            while pos < size:
                try:
                    data = os.lseek(fd, pos, os.SEEK_DATA)
                except OSError as e:
                    ranges.append(e.strerror); break
                pos = os.lseek(fd, data, os.SEEK_HOLE)
                ranges.append("%d-%d" % (data, pos))
            print(sys.argv[1], size, os.fstat(fd).st_blocks, *ranges)
            ' "$1"
            }
            """.replace("PYTHON", PYTHON);

    /** A shell step that may call {@code seekmap FILE}. */
    private void withSeekMap(String command) {
        d.step("$ " + command, r -> Differential.shell(r, SEEK_MAP + command));
    }

    @Test
    void fallocateAndSeekDataAndHoles() {
        withSeekMap("fallocate -l 16k a && seekmap a");
        withSeekMap("printf x | dd of=a bs=1 seek=5000 conv=notrunc status=none && cat a > /dev/null && seekmap a");
        withSeekMap("fallocate -o 8k -l 4k a && seekmap a");
        withSeekMap("fallocate -n -o 16k -l 16k a && seekmap a");
        withSeekMap("truncate -s 6000 a && truncate -s 64k a && seekmap a");
        withSeekMap("fallocate -p -o 0 -l 6000 a && seekmap a");
        d.sh("fallocate -p -l 4096 a");
        withSeekMap("fallocate -c -l 4096 a; fallocate -i -l 4096 a; seekmap a");
        withSeekMap("printf abc > b && fallocate -o 0 -l 8192 b && seekmap b");
        withSeekMap("head -c 20000 /dev/zero > c && fallocate -d c && seekmap c");
        withSeekMap("truncate -s 1M s && printf x | dd of=s bs=1 seek=300000 conv=notrunc status=none && seekmap s");
        withSeekMap("cp --sparse=always s s2 && cmp s s2 && seekmap s2");
        d.sh("mkdir d && fallocate -l 10 d");
        // Not compared: FALLOC_FL_ZERO_RANGE (fallocate -z). tmpfs refuses it with EOPNOTSUPP;
        // MemoryFileSystem implements it on purpose (zeroes and allocates, as ext4 and xfs do).
        d.assertNoDifferences();
    }

    @Test
    void truncation() {
        byte[] data = random(4, 10_000);
        d.prepare("a 10000-byte file", r -> {
            Files.write(r.resolve("f"), data);
            return null;
        });
        d.step("FileChannel.truncate down", r -> {
            try (FileChannel c = FileChannel.open(r.resolve("f"), WRITE)) {
                c.truncate(5000);
            }
            return List.of(Files.size(r.resolve("f")), sha256(Files.readAllBytes(r.resolve("f"))));
        });
        d.step("setLength up reads zeros", r -> {
            try (RandomAccessFile file = new RandomAccessFile(r.resolve("f").toFile(), "rw")) {
                file.setLength(20_000);
            }
            byte[] all = Files.readAllBytes(r.resolve("f"));
            return List.of(all.length, sha256(all));
        });
        d.step("truncate down then up leaves zeros where the data was", r -> {
            try (RandomAccessFile file = new RandomAccessFile(r.resolve("f").toFile(), "rw")) {
                file.setLength(4100);
                file.setLength(9000);
            }
            return sha256(Files.readAllBytes(r.resolve("f")));
        });
        d.sh("truncate -s 100 f && stat -c %s f && sha256sum f");
        d.sh("truncate -s 1M f && stat -c %s f && sha256sum f");
        d.sh("truncate -s -24 f && stat -c %s f");
        d.sh("truncate -s 0 f && stat -c %s f && wc -c < f");
        d.sh("truncate -s 10 made && stat -c '%s %a' made");
        d.sh("truncate -c -s 10 absent; echo $?; ls");
        d.sh("mkdir d && truncate -s 10 d");
        d.sh("truncate -s 5 nowhere/x");
        d.sh("printf 0123456789 > g && truncate -s 4 g && printf X >> g && cat g");
        d.assertNoDifferences();
    }

    // ---- names

    @Test
    void directories() {
        d.step("createDirectory", r -> meta(Files.createDirectory(r.resolve("d"))));
        d.step("createDirectory on an existing name", r -> Files.createDirectory(r.resolve("d")).toString());
        d.step("createDirectories", r -> {
            Files.createDirectories(r.resolve("a/b/c"));
            return List.of(meta(r.resolve("a")), meta(r.resolve("a/b")), meta(r.resolve("a/b/c")));
        });
        d.step("createDirectory under a missing parent", r -> Files.createDirectory(r.resolve("x/y")).toString());
        d.step("delete a non-empty directory", r -> {
            Files.delete(r.resolve("a"));
            return "deleted";
        });
        d.step("delete a missing name", r -> {
            Files.delete(r.resolve("missing"));
            return "deleted";
        });
        d.step("delete an empty directory", r -> {
            Files.delete(r.resolve("a/b/c"));
            return List.of(Files.exists(r.resolve("a/b/c")), meta(r.resolve("a/b")));
        });
        d.step("a directory's link count follows its subdirectories", r -> {
            for (int i = 0; i < 5; i++) {
                Files.createDirectory(r.resolve("d/sub" + i));
            }
            Files.createFile(r.resolve("d/file"));
            return meta(r.resolve("d"));
        });
        d.step("the root's link count", r -> Files.getAttribute(r, "unix:nlink"));
        d.step("the listing", r -> list(r));
        d.sh("mkdir -p x/y/z && stat -c '%n %F %a %h %u %g' x x/y x/y/z");
        d.sh("mkdir x");
        d.sh("mkdir -p x/y && echo $?");
        d.sh("mkdir -m 0705 m && stat -c %a m");
        d.sh("mkdir nowhere/m");
        d.sh("touch x/y/z/f && rmdir x/y/z");
        d.sh("rmdir x/y/z/f");
        d.sh("rm x/y");
        d.sh("rm -r x && ls");
        d.sh("rmdir missing");
        d.sh("rm -r missing");
        d.sh("rm -rf missing; echo $?");
        d.sh("mkdir -p p/q/r && touch p/q/r/f p/q/g && rm -rv p | sort");
        d.sh("mkdir e && rmdir e/.");
        d.sh("mkdir e2 && cd e2 && rmdir ../e2 && touch new");
        d.sh("ls -a");
        d.assertNoDifferences();
    }

    @Test
    void renames() {
        d.prepare("files and directories", r -> {
            Files.writeString(r.resolve("a"), "A");
            Files.writeString(r.resolve("b"), "B");
            Files.createDirectories(r.resolve("d1/sub"));
            Files.createDirectory(r.resolve("d2"));
            Files.createDirectory(r.resolve("empty"));
            Files.createDirectory(r.resolve("full"));
            Files.writeString(r.resolve("full/x"), "x");
            return null;
        });
        d.step("rename replaces a file", r -> {
            Files.move(r.resolve("a"), r.resolve("b"), StandardCopyOption.ATOMIC_MOVE);
            return List.of(list(r), Files.readString(r.resolve("b")), meta(r.resolve("b")));
        });
        d.step("move onto an existing file without REPLACE_EXISTING", r -> {
            Files.writeString(r.resolve("c"), "C");
            return Files.move(r.resolve("c"), r.resolve("b")).toString();
        });
        d.step("move across directories", r -> {
            Files.move(r.resolve("b"), r.resolve("d1/b"));
            return List.of(list(r), list(r.resolve("d1")));
        });
        d.step("move a directory", r -> {
            Files.move(r.resolve("d1"), r.resolve("d2/d1"));
            return List.of(list(r.resolve("d2")), list(r.resolve("d2/d1")), meta(r.resolve("d2")),
                    Files.getAttribute(r, "unix:nlink"));
        });
        d.step("the moved directory's .. is its new parent", r ->
                Files.isSameFile(r.resolve("d2/d1/sub/../.."), r.resolve("d2")));
        d.step("rename onto a non-empty directory", r ->
                Files.move(r.resolve("d2"), r.resolve("full"), StandardCopyOption.ATOMIC_MOVE).toString());
        d.step("move onto a non-empty directory with REPLACE_EXISTING", r ->
                Files.move(r.resolve("d2"), r.resolve("full"), StandardCopyOption.REPLACE_EXISTING).toString());
        d.step("rename onto an empty directory", r -> {
            Files.createDirectory(r.resolve("d3"));
            Files.move(r.resolve("d3"), r.resolve("empty"), StandardCopyOption.ATOMIC_MOVE);
            return List.of(list(r), Files.getAttribute(r, "unix:nlink"));
        });
        d.step("a directory into its own subdirectory", r ->
                Files.move(r.resolve("d2"), r.resolve("d2/d1/sub/d2"), StandardCopyOption.ATOMIC_MOVE).toString());
        d.step("a directory onto its own ancestor", r ->
                Files.move(r.resolve("d2/d1"), r.resolve("d2"), StandardCopyOption.ATOMIC_MOVE).toString());
        d.step("a file onto a directory", r ->
                Files.move(r.resolve("d2/d1/b"), r.resolve("empty"), StandardCopyOption.ATOMIC_MOVE).toString());
        d.step("a directory onto a file", r ->
                Files.move(r.resolve("empty"), r.resolve("d2/d1/b"), StandardCopyOption.ATOMIC_MOVE).toString());
        d.step("a missing source", r -> Files.move(r.resolve("missing"), r.resolve("z")).toString());
        d.step("a file onto itself", r -> Files.move(r.resolve("c"), r.resolve("c")));
        d.step("rename changes the file's ctime but not its mtime", r -> {
            Files.setLastModifiedTime(r.resolve("c"), OLD);
            FileTime before = ctime(r.resolve("c"));
            tick();
            Files.move(r.resolve("c"), r.resolve("c2"));
            return List.of(ctime(r.resolve("c2")).compareTo(before) > 0, mtime(r.resolve("c2")));
        });
        d.step("a move changes both parents' m/ctime", r -> {
            Files.writeString(r.resolve("d2/m"), "m");
            Files.setLastModifiedTime(r.resolve("d2"), OLD);
            Files.setLastModifiedTime(r.resolve("empty"), OLD);
            FileTime ctimeBefore = ctime(r.resolve("empty"));
            tick();
            Files.move(r.resolve("d2/m"), r.resolve("empty/m"));
            return List.of(mtime(r.resolve("d2")).compareTo(OLD) > 0, mtime(r.resolve("empty")).compareTo(OLD) > 0,
                    ctime(r.resolve("empty")).compareTo(ctimeBefore) > 0);
        });
        d.step("Files.copy with COPY_ATTRIBUTES", r -> {
            Path source = Files.writeString(r.resolve("attrs"), "copied");
            Files.setAttribute(source, "unix:mode", 0640);
            Files.setLastModifiedTime(source, OLD);
            Path copy = Files.copy(source, r.resolve("attrs-copy"), StandardCopyOption.COPY_ATTRIBUTES);
            return List.of(meta(copy), mtime(copy), Files.readString(copy));
        });
        d.sh("echo f > f && mv f g && ls && cat g");
        d.sh("mkdir -p md/inner nonempty && touch nonempty/x && mv -T md nonempty");
        d.sh("mkdir emptydir && mv -T md emptydir && ls && ls emptydir");
        d.sh("mv emptydir emptydir/inner");
        d.sh("mv -T g emptydir");
        d.sh("mv -T emptydir g");
        d.sh("mv g emptydir/ && ls emptydir");
        d.sh("mv missing x");
        d.sh("ln emptydir/g h && mv emptydir/g h; echo $?; ls; stat -c %h h");
        d.sh("mv -n h nonempty/x; echo $?; ls nonempty");
        d.sh("echo 1 > one && echo 2 > two && mv -f one two && cat two && ls");
        d.assertNoDifferences();
    }

    @Test
    void hardLinks() {
        d.prepare("a file", r -> Files.writeString(r.resolve("f"), "data").getFileName().toString());
        d.step("createLink counts links", r -> {
            Files.createLink(r.resolve("g"), r.resolve("f"));
            return List.of(meta(r.resolve("f")), meta(r.resolve("g")), Files.readString(r.resolve("g")),
                    Files.isSameFile(r.resolve("f"), r.resolve("g")));
        });
        d.step("writes through one name show through the other", r -> {
            Files.writeString(r.resolve("g"), "changed");
            return Files.readString(r.resolve("f"));
        });
        d.step("link changes ctime", r -> {
            FileTime before = ctime(r.resolve("f"));
            tick();
            Files.createLink(r.resolve("h"), r.resolve("f"));
            return List.of(ctime(r.resolve("f")).compareTo(before) > 0, meta(r.resolve("h")).nlink());
        });
        d.step("unlink drops the count", r -> {
            Files.delete(r.resolve("f"));
            return List.of(meta(r.resolve("g")), meta(r.resolve("h")), list(r));
        });
        d.step("a link to a directory", r -> {
            Files.createDirectory(r.resolve("d"));
            return Files.createLink(r.resolve("dl"), r.resolve("d")).toString();
        });
        d.step("a link onto an existing name", r -> Files.createLink(r.resolve("h"), r.resolve("g")).toString());
        d.step("a link to a missing file", r -> Files.createLink(r.resolve("x"), r.resolve("missing")).toString());
        d.step("a link into another directory", r -> {
            Files.createLink(r.resolve("d/in"), r.resolve("g"));
            return List.of(meta(r.resolve("d/in")), meta(r.resolve("d")));
        });
        d.sh("ln g sh && stat -c '%n %h %s' g sh h d/in");
        d.sh("ln d dd");
        d.sh("ln missing x");
        d.sh("ln g h");
        d.sh("ln -f g h; echo $?; stat -c %h g");
        d.sh("rm g sh d/in && stat -c '%n %h' h");
        d.sh("mkfifo p && ln p p2 && stat -c '%n %F %h' p p2");
        d.assertNoDifferences();
    }

    @Test
    void symbolicLinks() {
        d.step("a dangling symlink", r -> {
            Path link = Files.createSymbolicLink(r.resolve("l"), Path.of("target"));
            return List.of(meta(link), Files.exists(link), Files.exists(link, LinkOption.NOFOLLOW_LINKS),
                    Files.isSymbolicLink(link), Files.readSymbolicLink(link).toString());
        });
        d.step("reading through a dangling symlink", r -> Files.readString(r.resolve("l")));
        d.step("attributes through a dangling symlink", r -> Files.readAttributes(r.resolve("l"), "unix:mode").toString());
        d.step("the target appears", r -> {
            Files.writeString(r.resolve("target"), "through the link");
            return List.of(Files.readString(r.resolve("l")), Files.exists(r.resolve("l")),
                    Files.isSameFile(r.resolve("l"), r.resolve("target")));
        });
        d.step("writing through a symlink", r -> {
            Files.writeString(r.resolve("l"), "written via link", APPEND);
            return Files.readString(r.resolve("target"));
        });
        d.step("a symlink to a directory", r -> {
            Files.createDirectory(r.resolve("d"));
            Files.createFile(r.resolve("d/inside"));
            Files.createSymbolicLink(r.resolve("dl"), Path.of("d"));
            return List.of(list(r.resolve("dl")), Files.isDirectory(r.resolve("dl")),
                    Files.isDirectory(r.resolve("dl"), LinkOption.NOFOLLOW_LINKS), meta(r.resolve("dl")));
        });
        d.step("a symlink onto an existing name", r -> Files.createSymbolicLink(r.resolve("l"), Path.of("x")).toString());
        d.step("readSymbolicLink of a regular file", r -> Files.readSymbolicLink(r.resolve("target")).toString());
        d.step("an absolute target", r -> {
            Files.createSymbolicLink(r.resolve("abs"), Path.of("/etc/hostname"));
            return List.of(Files.readSymbolicLink(r.resolve("abs")).toString(), meta(r.resolve("abs")).size());
        });
        d.step("deleting a symlink leaves its target", r -> {
            Files.delete(r.resolve("l"));
            return List.of(list(r), Files.readString(r.resolve("target")));
        });
        d.sh("ln -s target l2 && readlink l2 && stat -c '%F %a %s %h %N' l2 && cat l2");
        d.sh("ln -s ../target d/up && cat d/up && readlink -f d/up");
        d.sh("ln -s loop loop && cat loop");
        d.sh("ln -s nothing dangling && cat dangling");
        d.sh("stat -L dangling");
        d.sh("readlink dangling; readlink -e dangling");
        d.sh("ln -s other l2");
        d.sh("ln -sfn other l2 && readlink l2");
        d.sh("ln -s dangling chain && readlink chain && cat chain");
        d.sh("ln -s \"$(printf 'a%.0s' {1..4095})\" long && readlink long | wc -c && stat -c %s long");
        d.sh("ln -s \"$(printf 'a%.0s' {1..4096})\" toolong");
        d.sh("ln -s 'name with spaces and ünïcödé' u && readlink u && stat -c %s u");
        d.sh("chown -h 1234:1234 l2 && stat -c '%u %g' l2 target");
        d.sh("touch -h -d '2002-03-04 05:06:07.5' l2 && stat -c '%y' l2 && stat -L -c '%y' l2 | cut -c1-4");
        d.sh("mkdir -p x && ln -s ../x x/back && ls x/back/back/back");
        d.sh("find . -type l -printf '%P -> %l\\n' | sort");
        d.assertNoDifferences();
    }

    // ---- attributes

    @Test
    void permissionsAndOwnership() {
        d.prepare("a file and a directory", r -> {
            Files.writeString(r.resolve("f"), "f");
            Files.createDirectory(r.resolve("d"));
            return null;
        });
        d.step("setPosixFilePermissions", r -> {
            Files.setPosixFilePermissions(r.resolve("f"), PosixFilePermissions.fromString("rwxr-x---"));
            return List.of(meta(r.resolve("f")), PosixFilePermissions.toString(Files.getPosixFilePermissions(r.resolve("f"))));
        });
        d.step("set-id and sticky bits", r -> {
            Files.setAttribute(r.resolve("f"), "unix:mode", 07755);
            return meta(r.resolve("f"));
        });
        d.step("chown to 1234 drops set-user-id and set-group-id", r -> {
            Files.setAttribute(r.resolve("f"), "unix:uid", 1234);
            return meta(r.resolve("f"));
        });
        d.step("chgrp to 1234", r -> {
            Files.setAttribute(r.resolve("f"), "unix:gid", 1234);
            return List.of(meta(r.resolve("f")), Files.getOwner(r.resolve("f")).getName());
        });
        d.step("chmod changes ctime, not mtime", r -> {
            Files.setLastModifiedTime(r.resolve("f"), OLD);
            FileTime before = ctime(r.resolve("f"));
            tick();
            Files.setAttribute(r.resolve("f"), "unix:mode", 0600);
            return List.of(ctime(r.resolve("f")).compareTo(before) > 0, mtime(r.resolve("f")));
        });
        d.step("chown changes ctime", r -> {
            FileTime before = ctime(r.resolve("f"));
            tick();
            Files.setAttribute(r.resolve("f"), "unix:uid", 0);
            return ctime(r.resolve("f")).compareTo(before) > 0;
        });
        d.sh("touch g && chmod 640 g && stat -c '%a %A' g");
        d.sh("chmod u+s,g+s,+t g && stat -c '%a %A' g");
        d.sh("chmod a=rx,u+w g && stat -c %a g");
        d.sh("chmod 9999 g");
        d.sh("chmod 644 missing");
        d.sh("chown 1234:1234 g && stat -c '%u %g %a' g");
        d.sh("chmod 6755 g && chown 0 g && stat -c '%u %g %a' g");
        d.sh("chmod 2755 g && chgrp 0 g && stat -c '%u %g %a' g");
        d.sh("chmod 2745 g && chown 1234 g && stat -c '%u %g %a' g");
        d.sh("chmod 2755 d && mkdir d/sub && touch d/file && stat -c '%n %a %u %g' d/sub d/file");
        d.sh("chown 1234:1234 d && mkdir d/sub2 && touch d/file2 && stat -c '%n %a %u %g' d/sub2 d/file2");
        d.sh("chmod 6755 d && chown 4321 d && stat -c '%a %u %g' d");
        d.sh("mkdir -p t/a/b && touch t/a/b/f && chown -R 1234:1234 t && find t -printf '%P %u %g\\n' | sort");
        d.sh("chmod -R go-rwx t && find t -printf '%P %m\\n' | sort");
        d.sh("printf '#!/bin/sh\\necho ran\\n' > s && chmod 755 s && ./s");
        d.sh("chmod 644 s && ./s");
        d.sh("chmod 000 s && cat s && test -r s && test -w s && echo root reads and writes anything");
        d.sh("test -x s; echo $?; chmod 010 s; test -x s; echo $?");
        d.sh("umask 077 && touch u && mkdir ud && stat -c '%n %a' u ud");
        d.assertNoDifferences();
    }

    @Test
    void timestamps() {
        d.sh("touch -d '2001-02-03 04:05:06.123456789' f && stat -c '%y|%x' f");
        d.sh("touch -m -d '2003-01-01 00:00:00.5' f && stat -c '%y|%x' f");
        d.sh("touch -a -d '2004-01-01 00:00:00.25' f && stat -c '%y|%x' f");
        d.sh("touch -d '1960-06-07 08:09:10.75' f && stat -c '%y|%x|%Y|%X' f");
        d.sh("touch -d '2300-01-01 00:00:00.000000001' f && stat -c '%y|%x' f");
        d.sh("touch -d @0 f && stat -c '%y|%x' f");
        d.sh("mkdir d && touch -d '2010-10-10 10:10:10.101010101' d && stat -c '%y' d");
        d.sh("touch -r f g && stat -c '%y|%x' g");
        d.step("setLastModifiedTime with nanoseconds", r -> {
            FileTime time = FileTime.from(Instant.parse("2005-06-07T08:09:10.987654321Z"));
            Files.setLastModifiedTime(r.resolve("f"), time);
            return List.of(mtime(r.resolve("f")), atime(r.resolve("f")));
        });
        d.step("setTimes sets atime and mtime", r -> {
            Files.getFileAttributeView(r.resolve("f"), BasicFileAttributeView.class).setTimes(
                    FileTime.from(Instant.parse("2006-01-01T00:00:00.000000123Z")),
                    FileTime.from(Instant.parse("2007-01-01T00:00:00.5Z")), null);
            return List.of(mtime(r.resolve("f")), atime(r.resolve("f")));
        });
        d.step("setTimes sets ctime to now", r -> {
            FileTime before = ctime(r.resolve("f"));
            tick();
            Files.setLastModifiedTime(r.resolve("f"), OLD);
            return ctime(r.resolve("f")).compareTo(before) > 0;
        });
        d.step("a write sets mtime and ctime", r -> {
            Files.setLastModifiedTime(r.resolve("f"), OLD);
            FileTime ctimeBefore = ctime(r.resolve("f"));
            tick();
            Files.writeString(r.resolve("f"), "written", APPEND);
            FileTime after = mtime(r.resolve("f"));
            return List.of(after.compareTo(OLD) > 0, ctime(r.resolve("f")).compareTo(ctimeBefore) > 0,
                    ctime(r.resolve("f")).equals(after));
        });
        d.step("a read leaves mtime and ctime", r -> {
            Files.setLastModifiedTime(r.resolve("f"), OLD);
            FileTime ctimeBefore = ctime(r.resolve("f"));
            tick();
            Files.readAllBytes(r.resolve("f"));
            return List.of(mtime(r.resolve("f")), ctime(r.resolve("f")).equals(ctimeBefore));
        });
        d.step("a positional write through an open channel sets mtime", r -> {
            try (FileChannel c = FileChannel.open(r.resolve("f"), WRITE)) {
                Files.setLastModifiedTime(r.resolve("f"), OLD);
                tick();
                c.write(buffer("x"), 2);
            }
            return mtime(r.resolve("f")).compareTo(OLD) > 0;
        });
        d.step("truncate sets mtime", r -> {
            Files.setLastModifiedTime(r.resolve("f"), OLD);
            tick();
            try (FileChannel c = FileChannel.open(r.resolve("f"), WRITE)) {
                c.truncate(1);
            }
            return mtime(r.resolve("f")).compareTo(OLD) > 0;
        });
        python("truncate(2) and ftruncate(2) to the size a file has", """
                def times(path):
                    st = os.stat(path); return (st.st_mtime_ns, st.st_ctime_ns)
                def unchanged(contents, f):
                    open('t', 'w').write(contents); os.utime('t', ns=(0, 0)); before = times('t'); f(); return times('t') == before
                for contents in ('', 'abc'):
                    size = len(contents)
                    r("%d bytes, truncate(2) to that size: m/ctime unchanged" % size, lambda: unchanged(contents, lambda: os.truncate('t', size)))
                    r("%d bytes, ftruncate(2) to that size: unchanged" % size, lambda: unchanged(contents,
                            lambda: os.ftruncate(os.open('t', os.O_WRONLY), size)))
                    r("%d bytes, O_TRUNC: unchanged" % size, lambda: unchanged(contents, lambda: os.close(os.open('t', os.O_WRONLY | os.O_TRUNC))))
                    r("%d bytes, truncate(2) to another size: unchanged" % size, lambda: unchanged(contents, lambda: os.truncate('t', 2)))
                def reserved_then_truncated():
                    open('t', 'w').close()
                    check(libc.fallocate(os.open('t', os.O_WRONLY), 1, ctypes.c_long(0), ctypes.c_long(8192)))
                    os.utime('t', ns=(0, 0)); before = times('t'); os.truncate('t', 0)
                    return (times('t') == before, os.stat('t').st_blocks)
                r("empty, 8 KiB reserved past the end, truncate(2) to 0: unchanged", reserved_then_truncated)
                """);
        d.step("opening with TRUNCATE_EXISTING sets mtime", r -> {
            Files.setLastModifiedTime(r.resolve("f"), OLD);
            tick();
            Files.newByteChannel(r.resolve("f"), WRITE, TRUNCATE_EXISTING).close();
            return mtime(r.resolve("f")).compareTo(OLD) > 0;
        });
        d.step("creating and removing names sets the directory's m/ctime", r -> {
            List<Boolean> changed = new ArrayList<>();
            for (String op : List.of("create", "mkdir", "symlink", "link", "unlink")) {
                Files.setLastModifiedTime(r.resolve("d"), OLD);
                FileTime ctimeBefore = ctime(r.resolve("d"));
                tick();
                switch (op) {
                    case "create" -> Files.createFile(r.resolve("d/x"));
                    case "mkdir" -> Files.createDirectory(r.resolve("d/sub"));
                    case "symlink" -> Files.createSymbolicLink(r.resolve("d/l"), Path.of("x"));
                    case "link" -> Files.createLink(r.resolve("d/h"), r.resolve("d/x"));
                    default -> Files.delete(r.resolve("d/x"));
                }
                changed.add(mtime(r.resolve("d")).compareTo(OLD) > 0);
                changed.add(ctime(r.resolve("d")).compareTo(ctimeBefore) > 0);
            }
            return changed;
        });
        d.step("a new file's times are all equal", r -> {
            Files.createFile(r.resolve("new"));
            return List.of(mtime(r.resolve("new")).equals(ctime(r.resolve("new"))),
                    atime(r.resolve("new")).equals(mtime(r.resolve("new"))));
        });
        d.step("birth time: set at creation, kept by later changes", r -> {
            Path file = Files.createFile(r.resolve("born"));
            FileTime born = Files.readAttributes(file, BasicFileAttributes.class).creationTime();
            boolean atCreation = born.equals(mtime(file));
            tick();
            Files.writeString(file, "later");
            Files.setLastModifiedTime(file, OLD);
            return List.of(atCreation, Files.readAttributes(file, BasicFileAttributes.class).creationTime().equals(born));
        });
        // Not compared: birth against the other times after touch creates a file. touch creates, then
        // sets a/mtime to "now" again; tmpfs's clock ticks coarsely and mostly gives both the same
        // value, the mount's Instant.now() does not. Either is correct.
        d.sh("touch -d '2001-01-01' h && touch h && test h -nt f && echo touched now");
        d.sh("touch -d '2001-01-01 00:00:00' h && echo x >> h && find h -newermt '2001-01-02' | wc -l");
        d.sh("touch -d '2001-01-01 00:00:00' h && cat h >/dev/null && stat -c '%y' h");
        d.sh("touch -d '2001-01-01 00:00:00' h && chmod 600 h && stat -c '%y' h");
        d.sh("touch -c -d '2001-01-01' absent; ls absent");
        d.sh("touch -d 'not a date' h");
        d.assertNoDifferences();
    }

    @Test
    void extendedAttributes() {
        d.sh("touch f && setfattr -n user.color -v blue f && getfattr -n user.color --only-values f; echo");
        d.sh("getfattr -d f");
        d.sh("setfattr -n user.color -v red f && getfattr -d f");
        d.sh("setfattr -n user.empty f && getfattr -d f");
        d.sh("setfattr -n user.bin -v 0x00ff10 f && getfattr -e hex -n user.bin f");
        d.sh("setfattr -n user.b64 -v 0sAAECAw== f && getfattr -e base64 -n user.b64 f");
        d.sh("setfattr -x user.color f && getfattr -d f");
        d.sh("getfattr -n user.missing f");
        d.sh("setfattr -x user.missing f");
        d.sh("setfattr -n bogus.x -v 1 f");
        d.sh("setfattr -n user. -v 1 f");
        d.sh("setfattr -n user.$(printf 'n%.0s' {1..250}) -v 1 f && getfattr -d f | wc -l");
        d.sh("setfattr -n user.$(printf 'n%.0s' {1..251}) -v 1 f");
        d.sh("setfattr -n user.big -v \"$(head -c 60000 /dev/zero | tr '\\0' a)\" f "
                + "&& getfattr --only-values -n user.big f | wc -c");
        d.sh("setfattr -n user.huge -v \"$(head -c 65537 /dev/zero | tr '\\0' a)\" f");
        d.sh("setfattr -n trusted.t -v root-only f && getfattr -d -m - f | grep -c =");
        d.sh("getfattr -n trusted.t --only-values f; echo");
        d.sh("mkdir d && setfattr -n user.dir -v 1 d && getfattr -d d");
        d.sh("ln -s f l && setfattr -h -n user.x -v 1 l");
        d.sh("getfattr -h -n user.x l");
        d.sh("setfattr -n user.through -v link l && getfattr -n user.through --only-values f; echo");
        d.sh("mkfifo p && setfattr -n user.x -v 1 p");
        d.sh("setfattr -n user.x -v 1 missing");
        d.sh("cp --preserve=xattr f g && getfattr -d g");
        d.sh("cp f h && getfattr -d h; echo $?");
        d.step("UserDefinedFileAttributeView", r -> {
            var view = Files.getFileAttributeView(r.resolve("f"), UserDefinedFileAttributeView.class);
            view.write("java", buffer("value from java"));
            ByteBuffer value = ByteBuffer.allocate(view.size("java"));
            view.read("java", value);
            List<String> names = view.list().stream().sorted().toList();
            view.delete("java");
            return List.of(new String(value.array(), StandardCharsets.UTF_8), names, view.list().size());
        });
        d.step("reading a missing attribute", r -> Files.getFileAttributeView(r.resolve("f"),
                UserDefinedFileAttributeView.class).size("nothing"));
        d.step("deleting a missing attribute", r -> {
            Files.getFileAttributeView(r.resolve("f"), UserDefinedFileAttributeView.class).delete("nothing");
            return "deleted";
        });
        d.step("setxattr and removexattr change ctime", r -> {
            var view = Files.getFileAttributeView(r.resolve("f"), UserDefinedFileAttributeView.class);
            FileTime before = ctime(r.resolve("f"));
            tick();
            view.write("t", buffer("1"));
            FileTime set = ctime(r.resolve("f"));
            tick();
            view.delete("t");
            return List.of(set.compareTo(before) > 0, ctime(r.resolve("f")).compareTo(set) > 0);
        });
        d.assertNoDifferences();
    }

    @Test
    void fifosAndDevices() {
        d.sh("mkfifo p && stat -c '%F %a %s %h %u %g' p");
        d.sh("mkfifo -m 600 q && stat -c '%F %a' q");
        d.sh("mkfifo p");
        d.sh("(echo through the pipe > p &) ; cat p");
        d.step("a fifo through java.nio", r -> List.of(meta(r.resolve("p")), Files.readAttributes(r.resolve("p"), java.nio.file.attribute.BasicFileAttributes.class).isOther(),
                Files.isRegularFile(r.resolve("p"))));
        d.sh("truncate -s 0 p; echo $?");
        d.sh("mknod c c 1 3 && mknod b b 7 0 && stat -c '%n %F %t %T %a' c b");
        d.sh("mknod s p && stat -c '%F' s");
        d.sh(PYTHON + " -c 'import socket; s = socket.socket(socket.AF_UNIX); s.bind(\"sock\")' 2>/dev/null "
                + "&& stat -c '%F %h' sock; true");
        d.sh("rm p q c b s && ls");
        d.assertNoDifferences();
    }

    @Test
    void nameAndPathLimits() {
        String name255 = "n".repeat(255);
        String name256 = "n".repeat(256);
        String multibyte254 = "é".repeat(127);
        String multibyte256 = "é".repeat(128);
        d.step("a 255-byte name", r -> {
            Files.writeString(r.resolve(name255), "ok");
            return List.of(list(r), Files.readString(r.resolve(name255)));
        });
        d.step("a 256-byte name", r -> Files.createFile(r.resolve(name256)).toString());
        d.step("lstat of a 256-byte name", r -> Files.readAttributes(r.resolve(name256), "unix:mode",
                LinkOption.NOFOLLOW_LINKS).toString());
        d.step("a 256-byte directory name", r -> Files.createDirectory(r.resolve(name256)).toString());
        d.step("a 254-byte name of two-byte characters", r -> Files.createFile(r.resolve(multibyte254)).getFileName()
                .toString().length());
        d.step("a 256-byte name of two-byte characters", r -> Files.createFile(r.resolve(multibyte256)).toString());
        d.step("renaming to a 256-byte name", r -> Files.move(r.resolve(name255), r.resolve(name256)).toString());
        d.sh("touch " + name256);
        d.sh("mkdir " + name256);
        d.sh("ln -s x " + name256);
        d.sh("ln " + name255 + " " + name256);
        d.sh("mv " + name255 + " " + name256);
        d.sh("ls " + name256);
        d.sh("mkfifo " + name256);
        d.sh("ls | wc -l");

        // A chain of nested directories whose relative path is about 3000 bytes.
        StringBuilder deep = new StringBuilder();
        for (int i = 0; deep.length() < 3000; i++) {
            deep.append(deep.isEmpty() ? "" : "/").append("level-%03d-abcdefghij".formatted(i));
        }
        String deepPath = deep.toString();
        d.step("createDirectories of a ~3000-byte path", r -> {
            Path dir = Files.createDirectories(r.resolve(deepPath));
            Files.writeString(dir.resolve("leaf"), "deep");
            return List.of(deepPath.length(), Files.readString(r.resolve(deepPath).resolve("leaf")),
                    meta(dir.resolve("leaf")));
        });
        d.step("walking the deep tree", r -> {
            try (var walk = Files.walk(r.resolve("level-000-abcdefghij"))) {
                return walk.count();
            }
        });
        d.sh("cat " + deepPath + "/leaf && stat -c %s " + deepPath);
        d.sh("mkdir -p deep2/" + deepPath + " && cd deep2/" + deepPath + " && pwd && echo here > f && cat f");
        d.sh("find . -name leaf | wc -c");
        d.sh("cat deep2/" + deepPath + "/" + deepPath + "/x");
        d.sh("rm -r deep2 level-000-abcdefghij && ls | wc -l");
        d.assertNoDifferences();
    }

    @Test
    void pathsLongerThanPathMax() {
        // 20 levels of 250-byte names: about 5000 bytes, past PATH_MAX (4096), reached step by step.
        String level = "L".repeat(249);
        String down = "for i in $(seq -w 1 20); do mkdir " + level + "$((i % 10)) && cd " + level + "$((i % 10)) || exit; done";
        d.sh(down + " && echo deep > f && cat f && stat -c '%s %h %a' f && pwd | wc -c");
        d.sh("cd " + level + "1 && for i in $(seq 2 20); do cd " + level + "$((i % 10)) || exit; done && ls && cat f "
                + "&& ln f g && mv g h && ln -s f s && cat s && stat -c %h f && rm h s && ls");
        // The whole path in one call is too long: ENAMETOOLONG, from the kernel before any filesystem sees it.
        StringBuilder whole = new StringBuilder();
        for (int i = 1; i <= 20; i++) {
            whole.append(level).append(i % 10).append('/');
        }
        d.sh("cat " + whole + "f");
        d.sh("touch " + whole + "g");
        d.step("java.nio with a path past PATH_MAX", r -> Files.readString(r.resolve(whole + "f")));
        d.sh("rm -r " + level + "1 && ls | wc -l");
        d.assertNoDifferences();
    }

    /** A shell step run as uid and gid {@value #OTHER}, with no supplementary groups. */
    private void asOther(String command) {
        d.sh("setpriv --reuid=" + OTHER + " --regid=" + OTHER + " --clear-groups bash -c '" + command.replace("'", "'\\''")
                + "'");
    }

    @Test
    void permissionChecksAsAnotherUser() {
        d.prepare("a tree owned by root, one file and one directory of the other user's", r -> Differential.check(r,
                "chmod 755 . && echo secret > private && chmod 600 private && echo public > public && chmod 644 public "
                        + "&& mkdir -m 755 closed && touch closed/f && mkdir -m 1777 sticky && echo root > sticky/rootfile "
                        + "&& chmod 666 sticky/rootfile && mkdir -m 700 hidden && touch hidden/f && mkdir -m 744 noexec "
                        + "&& touch noexec/f && mkdir -m 777 open && echo group > group && chgrp " + OTHER + " group "
                        + "&& chmod 660 group && mkdir -m 2777 setgid && chgrp 4321 setgid && mkdir mine && chown "
                        + OTHER + ":" + OTHER + " mine"));
        asOther("id -u; id -g; id -G");
        asOther("cat private");
        asOther("cat public");
        asOther("echo x >> public");
        asOther("truncate -s 0 public");
        asOther("echo y >> group && cat group");
        asOther("touch closed/new");
        asOther("mkdir closed/new");
        asOther("rm closed/f");
        asOther("mv closed/f closed/g");
        asOther("rm public");
        asOther("ls hidden");
        asOther("stat -c %s hidden/f");
        asOther("ls noexec");
        asOther("cat noexec/f");
        asOther("cd hidden");
        asOther("touch sticky/mine && stat -c '%U %G %u %g %a' sticky/mine && rm sticky/mine && ls sticky");
        asOther("rm -f sticky/rootfile");
        asOther("mv sticky/rootfile sticky/moved");
        asOther("echo appended >> sticky/rootfile && cat sticky/rootfile");
        asOther("ln sticky/rootfile sticky/hardlink");
        asOther("ln -s rootfile sticky/symlink && readlink sticky/symlink && rm sticky/symlink");
        asOther("touch open/o && mkdir open/od && stat -c '%u %g %a' open/o open/od");
        d.sh("rm open/o && rmdir open/od && ls open");
        asOther("touch setgid/f && mkdir setgid/d && stat -c '%n %u %g %a' setgid/f setgid/d");
        asOther("chmod 777 public");
        asOther("chown " + OTHER + " public");
        asOther("touch -d '2001-01-01' public");
        asOther("touch public");
        asOther("touch -d '2001-02-03 04:05:06.123456789' mine && stat -c %y mine");
        asOther("touch mine/f && chmod 2755 mine/f && stat -c %a mine/f");
        asOther("chgrp 0 mine/f");
        asOther("chown 0 mine/f");
        asOther("chmod 4755 mine/f && stat -c %a mine/f");
        asOther("chmod 700 mine && ls mine && stat -c %a mine");
        d.sh("ls mine && cat mine/f && stat -c '%U %G' mine/f");
        asOther("setfattr -n user.x -v 1 public");
        asOther("getfattr -n user.x public");
        asOther("setfattr -n user.x -v 1 mine/f && getfattr -n user.x --only-values mine/f; echo");
        asOther("setfattr -n trusted.x -v 1 mine/f");
        asOther("mkfifo mine/p && stat -c '%F %u %g %a' mine/p");
        asOther("mknod mine/c c 1 3");
        asOther("test -r private; echo $?; test -w public; echo $?; test -x public; echo $?; test -r group; echo $?");
        asOther(PYTHON + " -c \"import os; print(os.access('private', os.R_OK), os.access('public', os.R_OK), "
                + "os.access('public', os.W_OK), os.access('group', os.W_OK), os.access('closed', os.W_OK))\"");
        asOther(PYTHON + " -c \"import os; os.open('public', os.O_RDONLY | os.O_NOATIME)\" 2>&1 | tail -1");
        d.sh("ls -l --time-style=+ | awk '{ print $1, $3, $4, $NF }'");
        d.assertNoDifferences();
    }

    @Test
    void namesAreBytes() {
        d.sh("touch -- 'a b' $'new\\nline' 'back\\slash' '😀' $'\\x01' -dash .hidden é $'e\\xcc\\x81' && ls -A | od -An -c");
        // Not UTF-8: each of these is a name of its own, and comes back byte for byte.
        d.sh("touch -- $'\\xff' $'\\xfe' $'\\xef\\xbf\\xbd' $'caf\\xe9' $'\\xed\\xb2\\x80' $'\\xc0\\xaf' && ls | od -An -tx1 "
                + "&& ls | wc -l");
        d.sh("echo latin1 > $'caf\\xe9' && cat $'caf\\xe9' && mv $'caf\\xe9' $'\\xe9t\\xe9' && cat $'\\xe9t\\xe9' && ls | od -An -tx1");
        d.sh("mkdir $'d\\xff' && ln -s $'t\\xfe' $'d\\xff/l' && readlink $'d\\xff/l' | od -An -tx1 && ls $'d\\xff'");
        d.sh("setfattr -n $'user.\\xff' -v 1 $'\\xff' && getfattr -d $'\\xff' | od -An -tx1");
        d.sh("touch $(printf 'n%.0s' {1..254})$'\\xff' && ls | awk '{ print length($0) }' | sort -n | tail -1");
        d.sh("touch $(printf 'n%.0s' {1..255})$'\\xff'");
        d.sh("find . -print0 | sort -z | od -An -tx1 | sha256sum");
        d.assertNoDifferences();
    }

    @Test
    void largeDirectory() {
        d.prepare("2000 entries", r -> {
            Path big = Files.createDirectory(r.resolve("big"));
            for (int i = 0; i < 2000; i++) {
                Files.writeString(big.resolve("entry-%04d".formatted(i)), Integer.toString(i));
            }
            return null;
        });
        d.sh("ls big | wc -l");
        d.sh("ls -f big | wc -l");
        // Sorted: the order of an unsorted listing is the filesystem's own. tmpfs lists the newest
        // entry first, MemoryFileSystem the oldest; POSIX fixes neither.
        d.sh("ls big | sha256sum");
        d.step("Files.list", r -> list(r.resolve("big")));
        d.step("the directory's attributes", r -> meta(r.resolve("big")));
        d.sh("find big -type f | wc -l && find big -name 'entry-19*' | sort | tail -3");
        d.sh("cat big/entry-1999 && stat -c '%s' big/entry-1000");
        d.step("remove every other entry, then list", r -> {
            for (int i = 0; i < 2000; i += 2) {
                Files.delete(r.resolve("big/entry-%04d".formatted(i)));
            }
            return List.of(list(r.resolve("big")), meta(r.resolve("big")));
        });
        d.sh("ls -f big | wc -l");
        d.sh("rm -r big && ls");
        d.assertNoDifferences();
    }

    @Test
    void shellToolsOnATree() {
        d.prepare("a small tree", r -> Differential.check(r,
                "mkdir -p t/a/b t/c && printf 'one\\n' > t/a/one.txt && head -c 9000 /dev/zero > t/a/b/zeros "
                        + "&& printf 'two' > t/c/two.txt && ln -s ../a/one.txt t/c/link && ln t/a/one.txt t/hard "
                        + "&& mkfifo t/c/fifo && chmod 750 t/a && chmod 4711 t/c/two.txt && touch t/empty"));
        d.sh("find t -printf '%P|%y|%m|%s|%n|%u|%g|%l\\n' | sort");
        d.sh("find t -name '*.txt' | sort");
        d.sh("find t -empty | sort");
        d.sh("find t -type f -size +1k");
        d.sh("find t -samefile t/hard | sort");
        d.sh("cp t/a/one.txt copy && cmp t/a/one.txt copy && stat -c '%a %s %h' copy");
        d.sh("cp -a t t2 && find t2 -printf '%P|%y|%m|%s|%n|%u|%g|%l\\n' | sort && diff -r t t2 2>&1 | sort");
        d.sh("cp -r t t3 2>&1; find t3 -printf '%P|%y|%m|%s|%n\\n' | sort");
        d.sh("mkdir u && tar -C t -cf - . | tar -C u -xf - && find u -printf '%P|%y|%m|%s|%n|%l\\n' | sort");
        d.sh("tar -cf t.tar t && tar -tf t.tar | sort && tar -tvf t.tar | wc -l");
        d.sh("mv t2 t4 && mv t4/a t4/aa && ls t4");
        d.sh("rm -r t2 t3 t4 u t.tar copy && ls");
        d.assertNoDifferences();
    }

    @Test
    void filesystemStatistics() throws Exception {
        d.sh("df . > /dev/null && echo df works");
        d.sh("df -P . | tail -n 1 | wc -w");
        d.sh("df -i . > /dev/null && echo df -i works");
        // tmpfs and MemoryFileSystem both use 4 KiB blocks and 255-byte names. The type (tmpfs
        // against fuse), the totals and the free counts depend on each one's size and are left out.
        d.sh("stat -f -c '%l %s %S' .");
        d.step("FileStore", r -> {
            FileStore store = Files.getFileStore(r);
            return List.of(store.getBlockSize(), store.isReadOnly(), store.getTotalSpace() > 0,
                    store.getUsableSpace() > 0);
        });
        d.step("free space shrinks as a file grows", r -> {
            FileStore store = Files.getFileStore(r);
            long before = store.getUnallocatedSpace();
            Files.write(r.resolve("f"), new byte[8 << 20]);
            long after = store.getUnallocatedSpace();
            return after < before;
        });
        d.assertNoDifferences();
    }

    /** Runs Python lines (after a prelude with os, ctypes and a few helpers) as one step; for calls no shell tool makes. */
    private void python(String description, String code) {
        String prelude = """
                import os, sys, ctypes, mmap, stat
                libc = ctypes.CDLL(None, use_errno=True)
                def check(result):
                    if result != 0:
                        e = ctypes.get_errno(); raise OSError(e, os.strerror(e))
                def renameat2(a, b, flags):
                    check(libc.renameat2(-100, a.encode(), -100, b.encode(), flags))
                def linkat_follow(a, b):
                    check(libc.linkat(-100, a.encode(), -100, b.encode(), 0x400))
                def r(label, f):
                    try:
                        print(label, "->", f())
                    except OSError as e:
                        print(label, "-> error", e.strerror)
                """;
        d.step("python: " + description, root -> Differential.shell(root, PYTHON + " - <<'EOF'\n" + prelude + code + "\nEOF"));
    }

    @Test
    void lessCommonSystemCalls() {
        python("renameat2 flags", """
                open('a','w').write('A'); open('b','w').write('B'); os.mkdir('d'); os.makedirs('e/x')
                r("exchange", lambda: (renameat2('a', 'b', 2), open('a').read(), open('b').read()))
                r("exchange a file and a directory", lambda: (renameat2('a', 'd', 2), os.path.isdir('a'), sorted(os.listdir('.'))))
                r("exchange with a missing name", lambda: renameat2('a', 'zz', 2))
                r("noreplace onto a name", lambda: renameat2('a', 'b', 1))
                r("noreplace", lambda: (renameat2('b', 'c', 1), sorted(os.listdir('.'))))
                r("exchange and noreplace", lambda: renameat2('a', 'c', 3))
                r("exchange into its own subdirectory", lambda: renameat2('e', 'e/x', 2))
                r("exchange directories", lambda: (renameat2('a', 'e', 2), os.listdir('a'), os.stat('a').st_nlink, os.stat('e').st_nlink))
                r("unknown flag", lambda: renameat2('a', 'e', 8))
                """);
        // Not compared: RENAME_WHITEOUT. tmpfs leaves a whiteout (a 0:0 character device) for
        // overlayfs; MemoryFileSystem has no whiteouts and answers EINVAL, on purpose.
        python("O_TMPFILE", """
                def tmpfile():
                    fd = os.open('.', os.O_TMPFILE | os.O_RDWR, 0o640)
                    os.write(fd, b'tmp'); st = os.fstat(fd); before = sorted(os.listdir('.'))
                    linkat_follow('/proc/self/fd/%d' % fd, 'named')
                    return (before, st.st_nlink, oct(st.st_mode), st.st_size, os.stat('named').st_nlink, open('named').read())
                r("O_TMPFILE then linkat", tmpfile)
                def excl():
                    fd = os.open('.', os.O_TMPFILE | os.O_RDWR | os.O_EXCL, 0o600)
                    linkat_follow('/proc/self/fd/%d' % fd, 'never')
                r("O_TMPFILE|O_EXCL cannot be linked", excl)
                def twice():
                    fd = os.open('.', os.O_TMPFILE | os.O_RDWR, 0o600)
                    linkat_follow('/proc/self/fd/%d' % fd, 'once'); os.unlink('once')
                    linkat_follow('/proc/self/fd/%d' % fd, 'twice')
                r("linked, unlinked and linked again", twice)
                r("O_TMPFILE on a file", lambda: os.open('named', os.O_TMPFILE | os.O_RDWR, 0o600))
                r("O_TMPFILE read-only", lambda: os.open('.', os.O_TMPFILE | os.O_RDONLY, 0o600))
                def unlinked():
                    open('u', 'w').write('x'); fd = os.open('u', os.O_RDWR); os.unlink('u')
                    linkat_follow('/proc/self/fd/%d' % fd, 'u2')
                r("linkat of an unlinked file", unlinked)
                print(sorted(os.listdir('.')))
                """);
        python("open: flags and error cases", """
                open('f', 'w').write('data'); os.mkdir('d'); os.symlink('f', 'sl'); os.symlink('loop', 'loop')
                os.symlink('nowhere', 'dangling'); os.mkfifo('fifo')
                def o(path, flags, mode=0o644):
                    fd = os.open(path, flags, mode); st = os.fstat(fd); os.close(fd)
                    return (stat.filemode(st.st_mode), st.st_size)
                r("O_CREAT|O_EXCL on an existing file", lambda: o('f', os.O_WRONLY | os.O_CREAT | os.O_EXCL))
                r("O_CREAT|O_EXCL on a directory", lambda: o('d', os.O_WRONLY | os.O_CREAT | os.O_EXCL))
                r("O_CREAT|O_EXCL on a symlink to a file", lambda: o('sl', os.O_WRONLY | os.O_CREAT | os.O_EXCL))
                r("O_CREAT without O_EXCL on an existing file", lambda: o('f', os.O_RDONLY | os.O_CREAT))
                r("O_EXCL without O_CREAT", lambda: o('f', os.O_RDONLY | os.O_EXCL))
                r("O_CREAT on a directory", lambda: o('d', os.O_RDONLY | os.O_CREAT))
                r("O_DIRECTORY on a file", lambda: o('f', os.O_RDONLY | os.O_DIRECTORY))
                r("O_DIRECTORY on a symlink to a file", lambda: o('sl', os.O_RDONLY | os.O_DIRECTORY))
                r("O_DIRECTORY|O_CREAT", lambda: o('new', os.O_RDONLY | os.O_DIRECTORY | os.O_CREAT))
                r("O_NOFOLLOW on a symlink", lambda: o('sl', os.O_RDONLY | os.O_NOFOLLOW))
                r("O_NOFOLLOW|O_PATH on a symlink", lambda: o('sl', os.O_PATH | os.O_NOFOLLOW))
                r("a symlink loop", lambda: o('loop', os.O_RDONLY))
                r("a dangling symlink", lambda: o('dangling', os.O_RDONLY))
                r("O_WRONLY on a directory", lambda: o('d', os.O_WRONLY))
                r("O_RDWR on a directory", lambda: o('d', os.O_RDWR))
                r("O_RDONLY on a directory", lambda: o('d', os.O_RDONLY))
                r("O_RDONLY|O_TRUNC on a file", lambda: o('f', os.O_RDONLY | os.O_TRUNC))
                open('f', 'w').write('data')
                r("O_WRONLY|O_TRUNC", lambda: o('f', os.O_WRONLY | os.O_TRUNC))
                open('f', 'w').write('data')
                r("O_APPEND|O_TRUNC", lambda: o('f', os.O_WRONLY | os.O_APPEND | os.O_TRUNC))
                r("a trailing slash on a file", lambda: o('f/', os.O_RDONLY))
                r("O_CREAT with a trailing slash", lambda: o('made/', os.O_WRONLY | os.O_CREAT))
                r("a file as a directory", lambda: o('f/x', os.O_RDONLY))
                r("a missing parent", lambda: o('missing/x', os.O_WRONLY | os.O_CREAT))
                r("O_NONBLOCK|O_WRONLY on a fifo with no reader", lambda: o('fifo', os.O_WRONLY | os.O_NONBLOCK))
                r("O_NONBLOCK|O_RDONLY on a fifo", lambda: o('fifo', os.O_RDONLY | os.O_NONBLOCK))
                r("O_NOATIME as the owner", lambda: o('f', os.O_RDONLY | os.O_NOATIME))
                r("O_SYNC|O_DSYNC|O_CLOEXEC", lambda: o('f', os.O_RDWR | os.O_SYNC | os.O_DSYNC | os.O_CLOEXEC))
                r("O_CREAT mode with umask 027", lambda: (os.umask(0o027), o('um', os.O_WRONLY | os.O_CREAT, 0o777)))
                r("an empty name", lambda: o('', os.O_RDONLY))
                r("O_WRONLY|O_RDWR (access mode 3)", lambda: o('f', 3))
                print(sorted(os.listdir('.')))
                """);
        python("open flags and positions", """
                def rdtrunc():
                    open('t', 'w').write('12345'); os.close(os.open('t', os.O_RDONLY | os.O_TRUNC)); return os.stat('t').st_size
                r("O_RDONLY|O_TRUNC truncates", rdtrunc)
                def pwapp():
                    open('p', 'w').write('12345'); fd = os.open('p', os.O_WRONLY | os.O_APPEND); os.pwrite(fd, b'X', 0)
                    os.close(fd); return open('p').read()
                r("pwrite on O_APPEND appends", pwapp)
                r("write on O_RDONLY", lambda: os.write(os.open('p', os.O_RDONLY), b'x'))
                r("O_DIRECTORY on a file", lambda: os.open('p', os.O_RDONLY | os.O_DIRECTORY))
                r("O_NOFOLLOW on a symlink", lambda: (os.symlink('p', 'sl'), os.open('sl', os.O_RDONLY | os.O_NOFOLLOW)))
                r("O_CREAT through a dangling symlink", lambda: (os.symlink('made', 'dl'),
                        os.close(os.open('dl', os.O_WRONLY | os.O_CREAT, 0o600)), oct(os.stat('made').st_mode)))
                r("O_CREAT|O_EXCL on a dangling symlink", lambda: (os.symlink('nope', 'dl2'),
                        os.open('dl2', os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)))
                r("mkdir on a dangling symlink", lambda: os.mkdir('dl2'))
                r("set-id bits from open and mkdir", lambda: (os.close(os.open('su', os.O_CREAT | os.O_WRONLY, 0o7777)),
                        os.mkdir('m7', 0o7777), oct(os.stat('su').st_mode), oct(os.stat('m7').st_mode)))
                r("mknod of a regular file and a socket", lambda: (os.mknod('mk', 0o600 | stat.S_IFREG),
                        os.mknod('so', 0o600 | stat.S_IFSOCK), oct(os.stat('mk').st_mode), oct(os.stat('so').st_mode)))
                r("lseek past the end", lambda: (lambda fd: (os.lseek(fd, 1 << 40, 0), os.read(fd, 10)))(os.open('p', os.O_RDONLY)))
                r("pread at a huge offset", lambda: os.pread(os.open('p', os.O_RDONLY), 10, (1 << 63) - 5))
                r("pwrite at the largest offset", lambda: os.pwrite(os.open('p', os.O_WRONLY), b'x', (1 << 63) - 1))
                r("truncate to the largest size", lambda: (os.truncate('p', (1 << 63) - 1), os.stat('p').st_size,
                        os.pread(os.open("p", os.O_RDONLY), 4, (1 << 63) - 5)))
                r("truncate to a negative size", lambda: os.truncate('p', -1))
                r("truncate a fifo", lambda: (os.mkfifo('fi'), os.truncate('fi', 0)))
                """);
        python("mmap, copy_file_range, sendfile, fsync", """
                def mm():
                    with open('m', 'wb') as f: f.write(b'\\0' * 10000)
                    fd = os.open('m', os.O_RDWR); m = mmap.mmap(fd, 10000); m[4095:4098] = b'abc'; m.flush(); m.close()
                    os.close(fd); return open('m', 'rb').read()[4094:4099]
                r("a shared mapping writes through", mm)
                def mmread():
                    fd = os.open('m', os.O_RDWR); m = mmap.mmap(fd, 10000); os.pwrite(fd, b'zz', 10); v = m[9:13]
                    m.close(); os.close(fd); return v
                r("a mapping sees pwrite", mmread)
                def cfr():
                    open('src', 'w').write('0123456789' * 1000)
                    fi = os.open('src', os.O_RDONLY); fo = os.open('dst', os.O_WRONLY | os.O_CREAT, 0o644)
                    n = os.copy_file_range(fi, fo, 5000, 10, 3); os.close(fi); os.close(fo)
                    return (n, os.stat('dst').st_size, open('dst').read()[:5])
                r("copy_file_range", cfr)
                r("copy_file_range within one file, overlapping", lambda: os.copy_file_range(*[os.open('src', os.O_RDWR)] * 2, 100, 0, 50))
                r("copy_file_range past the end", lambda: os.copy_file_range(os.open('src', os.O_RDONLY),
                        os.open('dst', os.O_WRONLY), 10, 20000, 0))
                r("sendfile", lambda: (lambda fi, fo: (os.sendfile(fo, fi, 0, 100), os.fstat(fo).st_size))(
                        os.open('src', os.O_RDONLY), os.open('sf', os.O_WRONLY | os.O_CREAT, 0o644)))
                r("fsync, fdatasync, fsync of a directory, syncfs", lambda: (os.fsync(os.open('src', os.O_RDONLY)),
                        os.fdatasync(os.open('src', os.O_WRONLY)), os.fsync(os.open('.', os.O_RDONLY)),
                        libc.syncfs(os.open('.', os.O_RDONLY))))
                r("st_blksize", lambda: os.stat('src').st_blksize)
                r("statvfs", lambda: (lambda s: (s.f_bsize, s.f_frsize, s.f_namemax, s.f_flag & 1))(os.statvfs('.')))
                """);
        python("what an open descriptor still does after its name is gone", """
                def unlinked():
                    fd = os.open('f', os.O_RDWR | os.O_CREAT, 0o644); os.write(fd, b'hello'); os.unlink('f')
                    os.fchmod(fd, 0o600); os.fchown(fd, 1234, 1234); os.ftruncate(fd, 3)
                    os.setxattr(fd, 'user.a', b'1'); os.utime(fd, ns=(5, 6)); st = os.fstat(fd)
                    return (oct(st.st_mode), st.st_uid, st.st_gid, st.st_size, st.st_nlink, st.st_mtime_ns,
                            st.st_atime_ns, os.listxattr(fd), os.pread(fd, 10, 0))
                r("fchmod, fchown, ftruncate, fsetxattr, futimens, fstat", unlinked)
                def removed_directory():
                    os.mkdir('dd'); open('dd/x', 'w').close(); fd = os.open('dd', os.O_RDONLY | os.O_DIRECTORY)
                    os.unlink('dd/x'); os.rmdir('dd')
                    try:
                        os.open('new', os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=fd); created = 'created'
                    except OSError as e:
                        created = e.strerror
                    return (os.fstat(fd).st_nlink, os.listdir(fd), created)
                r("a removed directory", removed_directory)
                def renamed_over():
                    open('o1', 'w').write('one'); open('o2', 'w').write('two'); fd = os.open('o2', os.O_RDONLY)
                    os.rename('o1', 'o2'); return (os.pread(fd, 10, 0), os.fstat(fd).st_nlink, open('o2').read())
                r("a file renamed over", renamed_over)
                """);
        python("readdir while the directory changes", """
                os.mkdir('rd')
                for i in range(300): open('rd/%03d' % i, 'w').close()
                seen = []
                with os.scandir('rd') as it:
                    for n, e in enumerate(it):
                        seen.append(e.name)
                        if n == 10:
                            for i in range(0, 300, 2):
                                try: os.unlink('rd/%03d' % i)
                                except FileNotFoundError: pass
                # POSIX: every entry that stays is listed exactly once.
                print(len({s for s in seen if int(s) % 2 == 1}), len(seen) == len(set(seen)))
                """);
        d.sh("echo x > f && chmod 6775 f && setpriv --bounding-set=-fsetid --inh-caps=-fsetid bash -c 'echo y >> f' "
                + "&& stat -c %a f");
        d.sh("chmod 6775 f && setpriv --bounding-set=-fsetid bash -c 'truncate -s 1 f' && stat -c %a f");
        d.sh("chmod 6765 f && setpriv --bounding-set=-fsetid bash -c 'echo z >> f' && stat -c %a f");
        d.sh("chmod 6775 f && echo root keeps them >> f && stat -c %a f");
        d.sh("flock f echo locked && flock -n f flock -n f echo again");
        d.sh("cp --reflink=always f g");
        d.sh("cp --reflink=auto f h && cat h");
        d.sh("ln -s f l && ln -P l hl && stat -c '%n %F %h' l hl");
        d.sh("dd if=/dev/zero of=fs bs=4k count=4 conv=fsync,fdatasync status=none && sync f && sync -f . && sync -d fs && stat -c %s fs");
        d.assertNoDifferences();
    }

    @Test
    void unlinkedButOpenFile() {
        d.step("an open file outlives its name", r -> {
            Path f = r.resolve("f");
            List<Object> seen = new ArrayList<>();
            try (FileChannel c = FileChannel.open(f, CREATE_NEW, READ, WRITE)) {
                c.write(buffer("before"));
                Files.delete(f);
                seen.add(Files.exists(f));
                seen.add(list(r));
                c.write(buffer(" and after"));
                ByteBuffer all = ByteBuffer.allocate(64);
                int n = c.read(all, 0);
                seen.add(new String(all.array(), 0, n, StandardCharsets.UTF_8));
                seen.add(c.size());
                c.truncate(6);
                seen.add(c.size());
            }
            seen.add(Files.exists(f));
            return seen;
        });
        d.step("a new file under the old name is a different file", r -> {
            Path f = r.resolve("g");
            Files.writeString(f, "old");
            try (FileChannel c = FileChannel.open(f, READ)) {
                Files.delete(f);
                Files.writeString(f, "new!");
                ByteBuffer all = ByteBuffer.allocate(16);
                int n = c.read(all, 0);
                return List.of(new String(all.array(), 0, n, StandardCharsets.UTF_8), Files.readString(f));
            }
        });
        d.sh("exec 3<>h && printf abc >&3 && rm h && printf def >&3 && stat -L -c '%h %s' /dev/fd/3 "
                + "&& cat /dev/fd/3 && exec 3>&- && ls");
        d.sh("exec 3<>h && printf abc >&3 && rm h && ln -L /dev/fd/3 h2; echo $?; ls");
        d.assertNoDifferences();
    }
}
