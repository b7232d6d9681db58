package io.javafuse.filesystems.passthrough;

import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.testing.MountExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * READ answers that the engine moves itself from the passthrough's descriptors ({@code
 * ReadSource}): spliced through a pipe with the {@code splice} option, read into the request's
 * buffer without it. Either way what comes through the mount is the source's bytes: whole files,
 * the short read at the end, holes, offsets and lengths that are not page multiples, and files
 * truncated while they are read.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PassthroughSpliceMountTest {
    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    private static final String PYTHON =
            Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    private Path source;
    private Path mnt;

    private void mount(boolean splice) throws IOException {
        source = mounts.newDirectory("javafuse-src-");
        MountOptions options = MountOptions.defaults().withSplice(splice)
                .withEntryTimeout(Duration.ZERO).withAttrTimeout(Duration.ZERO);
        Mount mount = mounts.mount(new PassthroughFileSystem(source), options);
        mnt = mount.mountpoint();
    }

    @Test
    void spliceIsOnByDefaultAndNospliceTurnsItOff() {
        assertThat(MountOptions.defaults().splice()).isTrue();
        assertThat(MountOptions.defaults().parse("ro,nosplice").splice()).isFalse();
        assertThat(MountOptions.defaults().parse("nosplice,splice").splice()).isTrue();
    }

    /** A byte no other offset nearby shares, so data from the wrong place (or another answer) shows. */
    private static byte at(long offset) {
        return (byte) ((offset * 31 + offset / 4096 + 7) % 251 + 1);
    }

    private static byte[] pattern(long from, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = at(from + i);
        }
        return bytes;
    }

    @ParameterizedTest(name = "splice {0}")
    @ValueSource(booleans = {true, false})
    void wholeFilesOfAwkwardSizesReadBackAsTheSource(boolean splice) throws IOException {
        mount(splice);
        for (int size : new int[] {0, 1, 4095, 4096, 4097, 131_072 + 17, 200_000, (3 << 20) + 123}) {
            Files.write(source.resolve("f" + size), pattern(0, size));
            assertThat(Files.readAllBytes(mnt.resolve("f" + size))).as("size %d", size).isEqualTo(pattern(0, size));
        }
    }

    @ParameterizedTest(name = "splice {0}")
    @ValueSource(booleans = {true, false})
    void unalignedReadsAndReadsAcrossTheEnd(boolean splice) throws IOException {
        mount(splice);
        int size = (2 << 20) + 555;
        Files.write(source.resolve("data"), pattern(0, size));
        Random random = new Random(7);
        try (FileChannel in = FileChannel.open(mnt.resolve("data"), StandardOpenOption.READ)) {
            for (int i = 0; i < 200; i++) {
                long offset = i % 10 == 0 ? size - random.nextInt(5000) : random.nextInt(size);
                int length = 1 + random.nextInt(i % 3 == 0 ? 300_000 : 9000);
                ByteBuffer buffer = ByteBuffer.allocate(length);
                int n = readFully(in, buffer, offset);
                int expected = (int) Math.max(0, Math.min(length, size - offset));
                assertThat(n).as("read %d at %d", length, offset).isEqualTo(expected);
                assertThat(slice(buffer, n)).isEqualTo(pattern(offset, n));
            }
            assertThat(in.read(ByteBuffer.allocate(10), size)).isEqualTo(-1);
            assertThat(in.read(ByteBuffer.allocate(10), size + 100_000L)).isEqualTo(-1);
        }
    }

    /**
     * O_DIRECT bypasses the kernel's page cache, so the READs reach the filesystem at the caller's
     * own offsets and lengths, neither page multiples, and past the end.
     */
    @ParameterizedTest(name = "splice {0}")
    @ValueSource(booleans = {true, false})
    void directReadsAtUnalignedOffsets(boolean splice) throws Exception {
        mount(splice);
        int size = (1 << 20) + 4321;
        Files.write(source.resolve("direct"), pattern(0, size));
        long[][] reads = {{1, 100_000}, {4097, 65_537}, {12_345, 1 << 20}, {size - 40_000, 100_000}, {size - 1, 50_000},
                {size, 40_000}, {size + 5000, 40_000}, {333, 10}};
        StringBuilder program = new StringBuilder("import os,sys\nfd=os.open(sys.argv[1],os.O_RDONLY|os.O_DIRECT)\n");
        for (long[] read : reads) {
            program.append("sys.stdout.buffer.write(os.pread(fd,").append(read[1]).append(',').append(read[0])
                    .append(").hex().encode()+b'\\n')\n");
        }
        Process python = new ProcessBuilder(PYTHON, "-c", program.toString(), mnt.resolve("direct").toString())
                .redirectErrorStream(true).start();
        String[] lines = new String(python.getInputStream().readAllBytes()).split("\n");
        assertThat(python.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(python.exitValue()).as(String.join("\n", lines)).isZero();
        for (int i = 0; i < reads.length; i++) {
            long offset = reads[i][0];
            int expected = (int) Math.max(0, Math.min(reads[i][1], size - offset));
            String line = i < lines.length ? lines[i] : "";
            assertThat(java.util.HexFormat.of().parseHex(line)).as("O_DIRECT read %d at %d", reads[i][1], offset)
                    .isEqualTo(pattern(offset, expected));
        }
    }

    @ParameterizedTest(name = "splice {0}")
    @ValueSource(booleans = {true, false})
    void holesReadAsZeros(boolean splice) throws IOException {
        mount(splice);
        long dataAt = (5 << 20) + 100;
        try (RandomAccessFile file = new RandomAccessFile(source.resolve("sparse").toFile(), "rw")) {
            file.seek(dataAt);
            file.write(pattern(dataAt, 10_000));
            file.setLength(dataAt + 10_000 + (1 << 20)); // and a hole at the end
        }
        byte[] all = Files.readAllBytes(mnt.resolve("sparse"));
        assertThat(all).hasSize((int) dataAt + 10_000 + (1 << 20));
        for (int i = 0; i < all.length; i++) {
            byte expected = i >= dataAt && i < dataAt + 10_000 ? at(i) : 0;
            if (all[i] != expected) {
                throw new AssertionError("byte " + i + " is " + all[i] + ", not " + expected);
            }
        }
    }

    /**
     * The source shrinks and grows back while it is read through the mount: every read returns
     * the source's bytes or zeros (a page the kernel filled past a short answer), never an error
     * or bytes from elsewhere, and the mount keeps answering.
     */
    @ParameterizedTest(name = "splice {0}")
    @ValueSource(booleans = {true, false})
    void aFileTruncatedWhileItIsRead(boolean splice) throws Exception {
        mount(splice);
        int size = 4 << 20;
        Path file = source.resolve("moving");
        Files.write(file, pattern(0, size));
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Future<Integer> truncator = pool.submit(() -> {
                Random random = new Random(1);
                int rounds = 0;
                try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    while (!stop.get()) {
                        out.truncate(random.nextInt(size));
                        out.write(ByteBuffer.wrap(pattern(out.size(), (int) (size - out.size()))), out.size());
                        rounds++;
                    }
                }
                return rounds;
            });
            Future<?>[] readers = new Future<?>[2];
            for (int r = 0; r < readers.length; r++) {
                int seed = r;
                readers[r] = pool.submit(() -> {
                    Random random = new Random(seed);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    while (System.nanoTime() < deadline) {
                        try (FileChannel in = FileChannel.open(mnt.resolve("moving"), StandardOpenOption.READ)) {
                            long offset = random.nextInt(size);
                            ByteBuffer buffer = ByteBuffer.allocate(1 + random.nextInt(600_000));
                            int n = readFully(in, buffer, offset);
                            byte[] got = slice(buffer, n);
                            for (int i = 0; i < n; i++) {
                                if (got[i] != at(offset + i) && got[i] != 0) {
                                    throw new AssertionError("byte " + (offset + i) + " is " + got[i]);
                                }
                            }
                        }
                    }
                    return null;
                });
            }
            for (Future<?> reader : readers) {
                reader.get(60, TimeUnit.SECONDS);
            }
            stop.set(true);
            assertThat(truncator.get(60, TimeUnit.SECONDS)).isPositive();
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
        Files.write(file, pattern(0, 12_345));
        assertThat(Files.readAllBytes(mnt.resolve("moving"))).isEqualTo(pattern(0, 12_345));
    }

    private static int readFully(FileChannel in, ByteBuffer buffer, long offset) throws IOException {
        int total = 0;
        while (buffer.hasRemaining()) {
            int n = in.read(buffer, offset + total);
            if (n <= 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    private static byte[] slice(ByteBuffer buffer, int n) {
        byte[] bytes = new byte[n];
        buffer.flip();
        buffer.get(bytes);
        return bytes;
    }
}
