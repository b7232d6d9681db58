package io.javafuse.filesystems.memory;

import io.javafuse.api.Attr;
import io.javafuse.api.ConnectionInfo;
import io.javafuse.api.Created;
import io.javafuse.api.DirectoryFiller;
import io.javafuse.api.Entry;
import io.javafuse.api.Errno;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.api.Open;
import io.javafuse.api.Operation;
import io.javafuse.api.Request;
import io.javafuse.api.SetAttr;
import io.javafuse.api.StatFs;
import io.javafuse.api.Statx;
import io.javafuse.api.WriteQueueConfig;
import io.javafuse.api.WriteQueueStats;
import io.javafuse.testing.MountExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The write queues against the real kernel: a filesystem that wraps {@link MemoryFileSystem}
 * (adding latency, faults, open flags and records of what it was asked) is mounted through
 * {@link MountExtension}, and ordinary Java I/O runs against it.
 */
class WriteQueueMountTest {
    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    private static final int THREADS = 8;
    private static final int RECORDS = 500;
    private static final int BLOCK = 4096;
    private static final int ROUNDS = 64;
    private static final Duration IDLE = Duration.ofSeconds(10);

    // ---- ordering under concurrency

    /** INLINE: the filesystem declares its writes quick, so settled writes run on the readers. */
    enum Mode { DEFAULT, DIRECT_PARALLEL, WRITEBACK, INLINE }

    /**
     * 8 threads append records to their own files while 8 more share one FileChannel on another
     * file and write disjoint blocks with pwrite. Every file ends as a sequential writer would
     * have left it, the filesystem saw each handle's writes in the kernel's order, and the queue
     * statistics account for every write the kernel sent.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    @Timeout(60)
    void concurrentWritersEndAsASequentialWriterWould(Mode mode) throws Exception {
        Recording fs = new Recording();
        fs.maxDelayNanos = TimeUnit.MILLISECONDS.toNanos(3);
        if (mode == Mode.DIRECT_PARALLEL) {
            fs.sharedOpenFlags = Open.DIRECT_IO | Open.PARALLEL_DIRECT_WRITES;
        }
        if (mode == Mode.INLINE) {
            fs.inline = fs.delegate.inlineOperations();
        }
        Mount mount = mounts.mount(fs, MountOptions.defaults().withWritebackCache(mode == Mode.WRITEBACK));
        Path root = mount.mountpoint();
        Path shared = root.resolve("shared");
        long sharedSize = (long) THREADS * ROUNDS * BLOCK;
        // Sized up front: the kernel runs parallel direct writes concurrently only below the end of file.
        try (RandomAccessFile file = new RandomAccessFile(shared.toFile(), "rw")) {
            file.setLength(sharedSize);
        }

        WriteQueueStats.Counts sharedHandle;
        try (FileChannel sharedChannel = FileChannel.open(shared, StandardOpenOption.WRITE)) {
            long sharedFh = fs.sharedFh;
            CyclicBarrier start = new CyclicBarrier(2 * THREADS);
            try (ExecutorService pool = Executors.newFixedThreadPool(2 * THREADS)) {
                List<Future<Void>> results = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int thread = t;
                    results.add(pool.submit(task(() -> {
                        start.await();
                        try (FileChannel log = FileChannel.open(root.resolve("append-" + thread),
                                StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                            for (int m = 0; m < RECORDS; m++) {
                                ByteBuffer record = ByteBuffer.wrap(record(thread, m));
                                while (record.hasRemaining()) {
                                    log.write(record);
                                }
                            }
                        }
                    })));
                    results.add(pool.submit(task(() -> {
                        start.await();
                        for (int round = 0; round < ROUNDS; round++) {
                            ByteBuffer block = ByteBuffer.wrap(block(thread, round));
                            long position = stripeOffset(thread, round);
                            while (block.hasRemaining()) {
                                position += sharedChannel.write(block, position);
                            }
                        }
                    })));
                }
                for (Future<Void> result : results) {
                    result.get(50, TimeUnit.SECONDS);
                }
            }
            sharedChannel.force(false);
            mount.flushAllWriteQueues(IDLE);
            sharedHandle = mount.writeQueueStats().handles().get(sharedFh);
        }

        for (int t = 0; t < THREADS; t++) {
            var expected = new java.io.ByteArrayOutputStream();
            for (int m = 0; m < RECORDS; m++) {
                expected.write(record(t, m));
            }
            assertThat(Files.readAllBytes(root.resolve("append-" + t))).as("append-%d", t)
                    .isEqualTo(expected.toByteArray());
        }
        byte[] sharedBytes = Files.readAllBytes(shared);
        assertThat(sharedBytes).hasSize((int) sharedSize);
        for (int round = 0; round < ROUNDS; round++) {
            for (int t = 0; t < THREADS; t++) {
                int at = (int) stripeOffset(t, round);
                assertThat(java.util.Arrays.copyOfRange(sharedBytes, at, at + BLOCK))
                        .as("block of thread %d, round %d", t, round).isEqualTo(block(t, round));
            }
        }

        assertThat(fs.reordered).as("writes that reached the filesystem before an earlier one on their handle")
                .isEmpty();
        assertThat(sharedHandle).as("statistics of the shared handle while open").isNotNull();
        if (mode == Mode.WRITEBACK) {
            assertThat(fs.cacheWrites).as("page writes from the kernel's cache (WRITE_CACHE)").hasPositiveValue();
        }
        if (mode == Mode.DIRECT_PARALLEL) {
            assertThat(sharedHandle.maxQueueSize()).as("the kernel sent the shared file's writes concurrently")
                    .isGreaterThan(1);
        }
        if (mode == Mode.INLINE) {
            assertThat(mount.dispatcherStats().totalInline()).as("requests the readers ran themselves").isPositive();
        }
        mount.flushAllWriteQueues(IDLE);
        WriteQueueStats stats = mount.writeQueueStats();
        long kernelWrites = mount.dispatcherStats().perOperation().get(Operation.WRITE).count();
        System.out.printf("%s: %d WRITE requests, queue stats %s, shared handle %s%n", mode, kernelWrites,
                stats.aggregate(), sharedHandle);
        assertThat(kernelWrites).isPositive();
        assertThat(stats.aggregate().completedOperations()).isGreaterThanOrEqualTo(kernelWrites);
        assertThat(stats.aggregate().failedOperations()).isZero();
        assertThat(stats.aggregate().queueSize()).isZero();
        assertThat(stats.lostWrites()).isZero();
    }

    private static byte[] record(int thread, int m) {
        return ("thread-" + thread + " record-" + m + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Thread {@code t}'s stripe: every THREADS-th block, starting at its own. */
    private static long stripeOffset(int thread, int round) {
        return ((long) round * THREADS + thread) * BLOCK;
    }

    private static byte[] block(int thread, int round) {
        byte[] block = new byte[BLOCK];
        byte[] label = ("[t" + thread + " r" + round + "]").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < BLOCK; i++) {
            block[i] = label[i % label.length];
        }
        return block;
    }

    // ---- write-behind

    @Test
    @Timeout(60)
    void writeBehindKeepsEveryByte() throws Exception {
        Recording fs = new Recording();
        Mount mount = mounts.mount(fs, MountOptions.defaults()
                .withWriteQueues(WriteQueueConfig.defaults().withWriteBehind(true)));
        Path file = mount.mountpoint().resolve("behind");
        int chunk = 64 << 10;
        long size = 32L << 20;
        MessageDigest written = sha256();
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(chunk);
            for (long at = 0; at < size; at += chunk) {
                fillPattern(buffer, at);
                written.update(buffer.duplicate());
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
            }
        }
        assertThat(hex(readDigest(file))).isEqualTo(hex(written.digest()));
        assertThat(Files.size(file)).isEqualTo(size);
        mount.flushAllWriteQueues(IDLE);
        WriteQueueStats stats = mount.writeQueueStats();
        assertThat(stats.lostWrites()).isZero();
        assertThat(stats.aggregate().failedOperations()).isZero();
        assertThat(stats.aggregate().completedOperations()).isGreaterThanOrEqualTo(size / chunk);
        assertThat(stats.aggregate().queueSize()).isZero();
    }

    @Test
    @Timeout(60)
    void aFailedWriteBehindWriteIsReportedByFsyncOrClose() throws Exception {
        Recording fs = new Recording();
        int chunk = 64 << 10;
        fs.failAtOffset = 8L * chunk;
        Mount mount = mounts.mount(fs, MountOptions.defaults()
                .withWriteQueues(WriteQueueConfig.defaults().withWriteBehind(true)));
        Path file = mount.mountpoint().resolve("full");
        Throwable failure = catchThrowable(() -> {
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.allocateDirect(chunk);
                for (long at = 0; at < 16L * chunk; at += chunk) {
                    fillPattern(buffer, at);
                    while (buffer.hasRemaining()) {
                        // Acknowledged when queued: the failure cannot show here, only at fsync or close.
                        out.write(buffer);
                    }
                }
                out.force(true);
            }
        });
        assertThat(failure).as("fsync() or close() reports the lost write").isInstanceOf(IOException.class)
                .hasMessageContaining("No space left on device");
        assertThat(fs.failedWrites).hasValueGreaterThanOrEqualTo(1);
        mount.flushAllWriteQueues(IDLE);
        WriteQueueStats stats = mount.writeQueueStats();
        assertThat(stats.lostWrites()).isGreaterThanOrEqualTo(1);
        assertThat(stats.aggregate().failedOperations()).isGreaterThanOrEqualTo(1);
        assertThat(stats.aggregate().queueSize()).isZero();
    }

    // ---- a large sequential write

    /** 1 GiB written in 1 MiB chunks of a deterministic pattern, then read back; SHA-256 on both sides. */
    @ParameterizedTest(name = "writeback cache {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(120)
    void aGibibyteSequentialWriteReadsBackIdentical(boolean writebackCache) throws Exception {
        Mount mount = mounts.mount(new MemoryFileSystem(), MountOptions.defaults().withWritebackCache(writebackCache));
        Path file = mount.mountpoint().resolve("big");
        int chunk = 1 << 20;
        long size = 1L << 30;
        MessageDigest written = sha256();
        ByteBuffer buffer = ByteBuffer.allocateDirect(chunk);
        long start = System.nanoTime();
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long at = 0; at < size; at += chunk) {
                fillPattern(buffer, at);
                written.update(buffer.duplicate());
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
            }
        }
        double writeSeconds = (System.nanoTime() - start) / 1e9;
        start = System.nanoTime();
        byte[] read = readDigest(file);
        double readSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("1 GiB sequential, writeback cache %s: write %.0f MiB/s (%.1f s, pattern and SHA-256 "
                        + "included), read %.0f MiB/s (%.1f s, SHA-256 included)%n", writebackCache,
                1024 / writeSeconds, writeSeconds, 1024 / readSeconds, readSeconds);
        assertThat(hex(read)).isEqualTo(hex(written.digest()));
        mount.flushAllWriteQueues(IDLE);
        WriteQueueStats stats = mount.writeQueueStats();
        assertThat(stats.aggregate().bytesWritten()).isEqualTo(size);
        assertThat(stats.aggregate().failedOperations()).isZero();
    }

    // ---- backpressure

    /**
     * Writeback cache on, so the kernel writes many dirty pages back at once; a slow filesystem
     * and queues of 2: no handle ever holds more than 2 writes, and nothing fails.
     */
    @Test
    @Timeout(60)
    void aFullQueueHoldsTheReaderInsteadOfGrowing() throws Exception {
        Recording fs = new Recording();
        fs.fixedDelayNanos = TimeUnit.MILLISECONDS.toNanos(20);
        Mount mount = mounts.mount(fs, MountOptions.defaults().withWritebackCache(true));
        mount.configureWriteQueues(WriteQueueConfig.defaults().withDefaultMaxQueueSize(2));
        int files = 2;
        int pages = 48;
        Map<Long, WriteQueueStats.Counts> handles;
        List<FileChannel> channels = new ArrayList<>();
        try {
            for (int f = 0; f < files; f++) {
                FileChannel channel = FileChannel.open(mount.mountpoint().resolve("slow-" + f),
                        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                channels.add(channel);
                // Every other page: no two dirty pages touch, so each becomes its own WRITE.
                for (int p = 0; p < pages; p++) {
                    channel.write(ByteBuffer.wrap(block(f, p)), 2L * p * BLOCK);
                }
            }
            try (ExecutorService pool = Executors.newFixedThreadPool(files)) {
                List<Future<Void>> syncs = new ArrayList<>();
                for (FileChannel channel : channels) {
                    syncs.add(pool.submit(task(() -> channel.force(false))));
                }
                for (Future<Void> sync : syncs) {
                    sync.get(50, TimeUnit.SECONDS);
                }
            }
            mount.flushAllWriteQueues(IDLE);
            handles = mount.writeQueueStats().handles();
        } finally {
            for (FileChannel channel : channels) {
                channel.close();
            }
        }
        System.out.println("backpressure: per-handle statistics " + handles);
        assertThat(handles).hasSize(files);
        for (WriteQueueStats.Counts handle : handles.values()) {
            assertThat(handle.maxQueueSize()).as("the limit was reached, and never passed").isEqualTo(2);
            assertThat(handle.failedOperations()).isZero();
            assertThat(handle.completedOperations()).isGreaterThanOrEqualTo(pages);
        }
        WriteQueueStats stats = mount.writeQueueStats();
        assertThat(stats.aggregate().maxQueueSize()).isLessThanOrEqualTo(2L * files);
        assertThat(stats.aggregate().failedOperations()).isZero();
        assertThat(fs.reordered).isEmpty();
        for (int f = 0; f < files; f++) {
            byte[] bytes = Files.readAllBytes(mount.mountpoint().resolve("slow-" + f));
            for (int p = 0; p < pages; p++) {
                int at = 2 * p * BLOCK;
                assertThat(java.util.Arrays.copyOfRange(bytes, at, at + BLOCK)).isEqualTo(block(f, p));
            }
        }
    }

    // ---- zero copy

    /**
     * The data segment a write handler gets is a read-only view into the request buffer the
     * reader filled from /dev/fuse, not a copy. The engine's request buffers are page aligned
     * (4096), and a WRITE request lays out a 40-byte fuse_in_header, a 40-byte fuse_write_in and
     * then the data, so a view starts exactly 80 bytes past a page boundary: (address - 80) %
     * 4096 == 0 for every write. A copy would be a heap array or a new allocation whose address
     * has no reason to sit 80 bytes into a page, so the addresses alone tell, and no heap
     * measurement is needed. That few distinct addresses serve many writes shows the buffers are
     * reused, as the pool's are.
     */
    @Test
    @Timeout(30)
    void writeHandlersSeeViewsOfTheRequestBuffer() throws Exception {
        Recording fs = new Recording();
        fs.recordSegments = true;
        Mount mount = mounts.mount(fs);
        int writes = 200;
        try (FileChannel out = FileChannel.open(mount.mountpoint().resolve("views"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            for (int i = 0; i < writes; i++) {
                out.write(ByteBuffer.wrap(block(0, i), 0, 1000 + i));
            }
        }
        List<Recording.Seen> seen = List.copyOf(fs.segments);
        // The kernel may split a write(2) that straddles pages into more than one WRITE.
        assertThat(seen).hasSizeGreaterThanOrEqualTo(writes);
        for (Recording.Seen s : seen) {
            assertThat(s.readOnly()).as("read-only").isTrue();
            assertThat(s.nativeMemory()).as("off-heap, not a heap copy").isTrue();
            assertThat((s.address() - 80) % 4096).as("offset of the data in its page-aligned request buffer")
                    .isZero();
        }
        long distinct = seen.stream().mapToLong(Recording.Seen::address).distinct().count();
        assertThat(distinct).as("request buffers are reused, not allocated per write").isLessThan(seen.size() / 4);
    }

    // ---- helpers

    private static Callable<Void> task(ThrowingRunnable body) {
        return () -> {
            body.run();
            return null;
        };
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** A deterministic, non-repeating pattern: each 8-byte word holds a mix of its file offset. */
    private static void fillPattern(ByteBuffer buffer, long offset) {
        buffer.clear();
        LongBuffer words = buffer.order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
        long word = offset / 8;
        for (int i = 0; i < words.capacity(); i++) {
            long z = (word + i) * 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 31)) * 0xBF58476D1CE4E5B9L;
            words.put(i, z ^ (z >>> 29));
        }
        buffer.position(0).limit(buffer.capacity());
    }

    private static byte[] readDigest(Path file) throws IOException {
        MessageDigest digest = sha256();
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            while (in.read(buffer.clear()) >= 0) {
                digest.update(buffer.flip());
            }
        }
        return digest.digest();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /**
     * Delegates to a {@link MemoryFileSystem} and adds: a delay in write, an ENOSPC for writes
     * covering one offset, open flags for the file named "shared", a record of each handle's
     * write order (the kernel's uniques must arrive increasing) and of the data segments.
     */
    static final class Recording implements FileSystem {
        record Seen(long address, boolean readOnly, boolean nativeMemory) {}

        final MemoryFileSystem delegate = new MemoryFileSystem();
        volatile long maxDelayNanos;
        volatile long fixedDelayNanos;
        volatile long failAtOffset = -1;
        volatile int sharedOpenFlags;
        volatile long sharedNode = -1;
        volatile long sharedFh = -1;
        volatile boolean recordSegments;
        volatile Set<Operation> inline = Set.of();
        /** FUSE_WRITE_CACHE: a delayed write from the kernel's page cache. */
        static final int WRITE_CACHE = 1;
        final AtomicLong failedWrites = new AtomicLong();
        final AtomicLong cacheWrites = new AtomicLong();
        final ConcurrentLinkedQueue<Seen> segments = new ConcurrentLinkedQueue<>();
        final List<String> reordered = new CopyOnWriteArrayList<>();
        private final Map<Long, Long> lastUnique = new HashMap<>();

        @Override
        public Set<Operation> inlineOperations() {
            return inline;
        }

        @Override
        public int write(Request request, long nodeId, long fh, long offset, MemorySegment data, int writeFlags)
                throws IOException {
            synchronized (lastUnique) {
                Long last = lastUnique.get(fh);
                if (last != null && request.unique() < last) {
                    reordered.add("handle " + fh + ": write " + request.unique() + " @" + offset + " after "
                            + last);
                }
                lastUnique.merge(fh, request.unique(), Math::max);
            }
            if ((writeFlags & WRITE_CACHE) != 0) {
                cacheWrites.incrementAndGet();
            }
            if (recordSegments) {
                segments.add(new Seen(data.address(), data.isReadOnly(), data.isNative()));
            }
            long delay = fixedDelayNanos;
            if (maxDelayNanos > 0) {
                delay += ThreadLocalRandom.current().nextLong(maxDelayNanos + 1);
            }
            if (delay > 0) {
                try {
                    Thread.sleep(Duration.ofNanos(delay));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new FuseException(Errno.EINTR);
                }
            }
            long fail = failAtOffset;
            if (fail >= offset && fail < offset + data.byteSize()) {
                failedWrites.incrementAndGet();
                throw new FuseException(Errno.ENOSPC, "injected: no space at " + fail);
            }
            return delegate.write(request, nodeId, fh, offset, data, writeFlags);
        }

        private Open sharedFlags(long nodeId, Open open) {
            if (nodeId == sharedNode) {
                sharedFh = open.fh();
                return new Open(open.fh(), open.openFlags() | sharedOpenFlags, open.writeBehind());
            }
            return open;
        }

        @Override
        public Open open(Request request, long nodeId, int flags) throws IOException {
            return sharedFlags(nodeId, delegate.open(request, nodeId, flags));
        }

        @Override
        public Created create(Request request, long parent, String name, int mode, int umask, int flags)
                throws IOException {
            Created created = delegate.create(request, parent, name, mode, umask, flags);
            if (name.equals("shared")) {
                sharedNode = created.entry().nodeId();
            }
            return new Created(created.entry(), sharedFlags(created.entry().nodeId(), created.open()));
        }

        @Override
        public void init(ConnectionInfo connection) throws IOException {
            delegate.init(connection);
        }

        @Override
        public void destroy() {
            delegate.destroy();
        }

        @Override
        public Entry lookup(Request request, long parent, String name) throws IOException {
            return delegate.lookup(request, parent, name);
        }

        @Override
        public void forget(long nodeId, long nlookup) {
            delegate.forget(nodeId, nlookup);
        }

        @Override
        public Attr getattr(Request request, long nodeId, long fh) throws IOException {
            return delegate.getattr(request, nodeId, fh);
        }

        @Override
        public Statx statx(Request request, long nodeId, long fh, int flags, int mask) throws IOException {
            return delegate.statx(request, nodeId, fh, flags, mask);
        }

        @Override
        public Attr setattr(Request request, long nodeId, SetAttr changes) throws IOException {
            return delegate.setattr(request, nodeId, changes);
        }

        @Override
        public Entry mknod(Request request, long parent, String name, int mode, int rdev, int umask)
                throws IOException {
            return delegate.mknod(request, parent, name, mode, rdev, umask);
        }

        @Override
        public Entry mkdir(Request request, long parent, String name, int mode, int umask) throws IOException {
            return delegate.mkdir(request, parent, name, mode, umask);
        }

        @Override
        public void unlink(Request request, long parent, String name) throws IOException {
            delegate.unlink(request, parent, name);
        }

        @Override
        public void rmdir(Request request, long parent, String name) throws IOException {
            delegate.rmdir(request, parent, name);
        }

        @Override
        public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
                throws IOException {
            return delegate.read(request, nodeId, fh, offset, destination);
        }

        @Override
        public void flush(Request request, long nodeId, long fh, long lockOwner) throws IOException {
            delegate.flush(request, nodeId, fh, lockOwner);
        }

        @Override
        public void release(Request request, long nodeId, long fh, int flags) throws IOException {
            delegate.release(request, nodeId, fh, flags);
        }

        @Override
        public void fsync(Request request, long nodeId, long fh, boolean dataOnly) throws IOException {
            delegate.fsync(request, nodeId, fh, dataOnly);
        }

        @Override
        public Open opendir(Request request, long nodeId, int flags) throws IOException {
            return delegate.opendir(request, nodeId, flags);
        }

        @Override
        public void readdir(Request request, long nodeId, long fh, long offset, DirectoryFiller out)
                throws IOException {
            delegate.readdir(request, nodeId, fh, offset, out);
        }

        @Override
        public void releasedir(Request request, long nodeId, long fh) throws IOException {
            delegate.releasedir(request, nodeId, fh);
        }

        @Override
        public StatFs statfs(Request request, long nodeId) throws IOException {
            return delegate.statfs(request, nodeId);
        }

        @Override
        public void access(Request request, long nodeId, int mask) throws IOException {
            delegate.access(request, nodeId, mask);
        }

        @Override
        public void fallocate(Request request, long nodeId, long fh, long offset, long length, int mode)
                throws IOException {
            delegate.fallocate(request, nodeId, fh, offset, length, mode);
        }
    }
}
