package io.javafuse.filesystems.passthrough;

import io.javafuse.api.Created;
import io.javafuse.api.DispatcherStats;
import io.javafuse.api.Errno;
import io.javafuse.api.FileSystem;
import io.javafuse.api.ForwardingRequest;
import io.javafuse.api.FuseException;
import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.api.Open;
import io.javafuse.api.Operation;
import io.javafuse.api.Request;
import io.javafuse.testing.MountExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The passthrough filesystem with FUSE kernel passthrough: open files are handed to the kernel,
 * which reads and writes the source files itself. The proof that data bypasses this process is
 * the dispatcher's statistics: no READ or WRITE request arrives while data flows both ways.
 * Needs Linux 6.9+ with CONFIG_FUSE_PASSTHROUGH and root (CAP_SYS_ADMIN); skipped elsewhere.
 */
@Timeout(60)
class KernelPassthroughMountTest {
    private static final MountOptions OPTIONS = MountOptions.defaults().withKernelPassthrough(true)
            .withEntryTimeout(Duration.ZERO).withAttrTimeout(Duration.ZERO);

    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    private Path source;
    private PassthroughFileSystem fs;
    private Mount mount;
    private Path mnt;

    private void mountWithPassthrough() throws IOException {
        source = mounts.newDirectory("javafuse-kpt-src-");
        fs = new PassthroughFileSystem(source);
        mount = mounts.mount(fs, OPTIONS);
        mnt = mount.mountpoint();
        assumeTrue(mount.connection().passthrough(), "the kernel offers no FUSE passthrough");
        assumeTrue(fs.kernelPassthrough(), "kernel passthrough is off: " + fs.kernelPassthroughOffReason());
    }

    @Test
    void dataWrittenThroughTheMountIsInTheSourceAndTheOtherWayRound() throws Exception {
        mountWithPassthrough();
        byte[] data = random(3 << 20, 1);
        Files.write(mnt.resolve("f"), data);
        assertThat(Files.readAllBytes(source.resolve("f"))).isEqualTo(data);
        assertThat(Files.readAllBytes(mnt.resolve("f"))).isEqualTo(data);

        byte[] other = random(1 << 20, 2);
        Files.write(source.resolve("g"), other);
        assertThat(Files.readAllBytes(mnt.resolve("g"))).isEqualTo(other);

        // An open file reads the source as it is now: nothing is cached on the FUSE side.
        try (FileChannel reader = FileChannel.open(mnt.resolve("g"), READ)) {
            await(() -> fs.kernelPassthroughInodes() == 1, "one inode open with passthrough");
            Files.write(source.resolve("g"), "changed".getBytes(StandardCharsets.US_ASCII), WRITE);
            ByteBuffer head = ByteBuffer.allocate(7);
            reader.read(head, 0);
            assertThat(new String(head.array(), StandardCharsets.US_ASCII)).isEqualTo("changed");
        }
        assertNoDataThroughTheDaemon();
        await(() -> fs.kernelPassthroughInodes() == 0, "backing ids closed after the last release");
    }

    @Test
    void positionalWritesMmapTruncateAndAppendGoToTheSource() throws Exception {
        mountWithPassthrough();
        Path file = mnt.resolve("data");
        try (FileChannel channel = FileChannel.open(file, CREATE, READ, WRITE)) {
            channel.write(ByteBuffer.wrap(random(64 << 10, 3)), 0);
            channel.write(ByteBuffer.wrap("middle".getBytes(StandardCharsets.US_ASCII)), 1000);
            ByteBuffer back = ByteBuffer.allocate(6);
            channel.read(back, 1000);
            assertThat(new String(back.array(), StandardCharsets.US_ASCII)).isEqualTo("middle");

            MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_WRITE, 0, 4096);
            map.put(0, "mapped".getBytes(StandardCharsets.US_ASCII));
            map.force();
            assertThat(new String(Files.readAllBytes(source.resolve("data")), 0, 6, StandardCharsets.US_ASCII))
                    .isEqualTo("mapped");

            channel.truncate(2000);
            assertThat(Files.size(source.resolve("data"))).isEqualTo(2000);
            assertThat(channel.size()).isEqualTo(2000);
        }
        assertThat(Files.size(file)).isEqualTo(2000);

        Path log = mnt.resolve("log");
        Files.write(log, "one\n".getBytes(StandardCharsets.US_ASCII), CREATE, APPEND);
        Files.write(log, "two\n".getBytes(StandardCharsets.US_ASCII), CREATE, APPEND);
        assertThat(Files.readString(source.resolve("log"))).isEqualTo("one\ntwo\n");
        assertThat(Files.readString(log)).isEqualTo("one\ntwo\n");
        assertNoDataThroughTheDaemon();
    }

    @Test
    void opensOfOneInodeShareOneBackingFile() throws Exception {
        mountWithPassthrough();
        Path file = mnt.resolve("shared");
        Files.write(file, new byte[10]);
        try (FileChannel writer = FileChannel.open(file, WRITE);
             FileChannel reader = FileChannel.open(file, READ);
             FileChannel other = FileChannel.open(mnt.resolve("second"), CREATE, WRITE)) {
            assertThat(fs.kernelPassthroughInodes()).isEqualTo(2);
            writer.write(ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII)), 3);
            ByteBuffer seen = ByteBuffer.allocate(3);
            reader.read(seen, 3);
            assertThat(new String(seen.array(), StandardCharsets.US_ASCII)).isEqualTo("abc");
            other.write(ByteBuffer.wrap(new byte[] {1}));
        }
        await(() -> fs.kernelPassthroughInodes() == 0, "backing ids closed after the last release");
        assertNoDataThroughTheDaemon();
    }

    @Test
    void aWriteByAnotherUserStillClearsTheSetUserIdBit() throws Exception {
        source = mounts.newDirectory("javafuse-kpt-src-");
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rwxr-xr-x"));
        fs = new PassthroughFileSystem(source);
        mount = mounts.mount(fs, OPTIONS.withAllowOther(true).withDefaultPermissions(true));
        mnt = mount.mountpoint();
        assumeTrue(fs.kernelPassthrough(), "kernel passthrough is off: " + fs.kernelPassthroughOffReason());
        Path file = source.resolve("setuid");
        Files.writeString(file, "x\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setAttribute(file, "unix:mode", 04777);

        // Not root (no CAP_FSETID): the kernel clears S_ISUID on the write, through a SETATTR here.
        Process writer = new ProcessBuilder("setpriv", "--reuid=1234", "--regid=1234", "--clear-groups",
                "sh", "-c", "echo y >> " + mnt.resolve("setuid")).redirectErrorStream(true).start();
        String output = new String(writer.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(writer.waitFor()).as(output).isZero();
        assertThat(Files.readString(file)).isEqualTo("x\ny\n");
        assertThat((int) Files.getAttribute(file, "unix:mode") & 07777).isEqualTo(0777);
        assertNoDataThroughTheDaemon();
    }

    @Test
    void aRefusedRegistrationFallsBackToServingTheDataHere() throws Exception {
        mountWithPassthrough();
        // As if this process lacked CAP_SYS_ADMIN: every BACKING_OPEN answers EPERM.
        FileSystem refusing = new FileSystem() {
            @Override
            public Open open(Request request, long nodeId, int flags) throws IOException {
                return fs.open(refusingBacking(request), nodeId, flags);
            }

            @Override
            public Created create(Request request, long parent, String name, int mode, int umask, int flags)
                    throws IOException {
                return fs.create(refusingBacking(request), parent, name, mode, umask, flags);
            }
        };
        mount.setOperationHandler(Operation.OPEN, refusing);
        mount.setOperationHandler(Operation.CREATE, refusing);

        byte[] data = random(1 << 20, 4);
        Files.write(mnt.resolve("f"), data);
        assertThat(Files.readAllBytes(mnt.resolve("f"))).isEqualTo(data);
        assertThat(Files.readAllBytes(source.resolve("f"))).isEqualTo(data);
        assertThat(fs.kernelPassthrough()).isFalse();
        assertThat(fs.kernelPassthroughOffReason()).contains("EPERM");
        assertThat(fs.kernelPassthroughInodes()).isZero();
        DispatcherStats stats = mount.dispatcherStats();
        assertThat(count(stats, Operation.WRITE)).isPositive();
        assertThat(count(stats, Operation.READ)).isPositive();
    }

    @Test
    void withoutNegotiationFilesAreServedHereAndBackingOpenIsRefused() throws Exception {
        Path plainSource = mounts.newDirectory("javafuse-kpt-plain-");
        PassthroughFileSystem plain = new PassthroughFileSystem(plainSource);
        Mount plainMount = mounts.mount(plain, MountOptions.defaults());
        assertThat(plainMount.connection().passthrough()).isFalse();
        assertThat(plain.kernelPassthrough()).isFalse();

        // Any filesystem asking for a backing file on a mount without passthrough learns EPERM.
        List<Integer> refusals = new CopyOnWriteArrayList<>();
        plainMount.setOperationHandler(Operation.OPEN, new FileSystem() {
            @Override
            public Open open(Request request, long nodeId, int flags) throws IOException {
                Open open = plain.open(request, nodeId, flags);
                try {
                    request.closeBacking(request.openBacking((int) open.fh()));
                    refusals.add(0);
                } catch (FuseException e) {
                    refusals.add(e.errno());
                }
                return open;
            }
        });
        Files.write(plainSource.resolve("f"), "hello".getBytes(StandardCharsets.US_ASCII));
        assertThat(Files.readString(plainMount.mountpoint().resolve("f"))).isEqualTo("hello");
        assertThat(refusals).containsExactly(Errno.EPERM);
        await(() -> count(plainMount.dispatcherStats(), Operation.READ) > 0, "the READ counted");
    }

    private void assertNoDataThroughTheDaemon() throws InterruptedException {
        // A request is counted once its reply is out, so possibly a moment after its caller went on.
        await(() -> count(mount.dispatcherStats(), Operation.OPEN) + count(mount.dispatcherStats(), Operation.CREATE) > 0,
                "opens counted");
        DispatcherStats stats = mount.dispatcherStats();
        assertThat(count(stats, Operation.READ)).as("READ requests").isZero();
        assertThat(count(stats, Operation.WRITE)).as("WRITE requests").isZero();
        assertThat(stats.bytesRead()).as("bytes read by the daemon").isZero();
        assertThat(stats.bytesWritten()).as("bytes written by the daemon").isZero();
    }

    private static long count(DispatcherStats stats, Operation operation) {
        DispatcherStats.OperationStats one = stats.perOperation().get(operation);
        return one == null ? 0 : one.count();
    }

    private static byte[] random(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    /** RELEASE is sent after close(2) returns: wait for it. */
    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    private static Request refusingBacking(Request request) {
        return new ForwardingRequest(request) {
            @Override
            public int openBacking(int fd) throws FuseException {
                throw new FuseException(Errno.EPERM, "cannot register descriptor " + fd
                        + " as a backing file (EPERM) (simulated)");
            }
        };
    }
}
