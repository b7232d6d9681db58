package io.javafuse;

import io.javafuse.EngineMountTest.Result;
import io.javafuse.api.Attr;
import io.javafuse.api.DispatcherConfig;
import io.javafuse.api.DispatcherStats;
import io.javafuse.api.Entry;
import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.api.Open;
import io.javafuse.api.Operation;
import io.javafuse.api.Request;
import io.javafuse.api.SetAttr;
import io.javafuse.testing.MountExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static io.javafuse.EngineMountTest.pattern;
import static io.javafuse.EngineMountTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The dispatcher behind real mounts: backpressure, interrupts, statistics, reconfiguration and
 * handler replacement while the kernel keeps sending, and priorities as a caller sees them. The
 * kernel-free counterpart is {@code dispatch.DispatcherTest}; here each request really comes
 * from a system call, so the tests count what the kernel sends on its own (OPEN, FLUSH, RELEASE,
 * FORGET ...) by comparing per-operation deltas instead of absolute numbers.
 */
class DispatcherMountTest {
    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    private static final int O_TRUNC = 01000;

    /** No caching of names or attributes: every stat reaches the filesystem. */
    static final MountOptions UNCACHED = MountOptions.defaults().withEntryTimeout(Duration.ZERO)
            .withAttrTimeout(Duration.ZERO);

    /**
     * Files in the root directory (node ids 2, 3, ... in the order added) that can be read and
     * written. Every open is DIRECT_IO, so each read(2) and write(2) reaches the filesystem.
     * Flush and release do nothing; "user.test" is the one extended attribute of every file.
     */
    static class BlobFs implements FileSystem {
        static final Instant T = Instant.ofEpochSecond(1_700_000_000);

        private final List<String> names = new CopyOnWriteArrayList<>();
        private final Map<String, byte[][]> blobs = new ConcurrentHashMap<>();

        BlobFs file(String name, byte[] content) {
            names.add(name);
            blobs.put(name, new byte[][] {content.clone()});
            return this;
        }

        String name(long nodeId) throws FuseException {
            int index = (int) nodeId - 2;
            if (index < 0 || index >= names.size()) {
                throw new FuseException(Errno.ENOENT);
            }
            return names.get(index);
        }

        /** The content now (a copy). */
        byte[] content(String name) {
            byte[][] blob = blobs.get(name);
            synchronized (blob) {
                return blob[0].clone();
            }
        }

        Attr attr(long nodeId) throws FuseException {
            if (nodeId == ROOT_ID) {
                return new Attr(ROOT_ID, FileMode.S_IFDIR | 0755, 2, 0, 0, 0, 0, 0, 0, T, T, T);
            }
            byte[][] blob = blobs.get(name(nodeId));
            long size;
            synchronized (blob) {
                size = blob[0].length;
            }
            return new Attr(nodeId, FileMode.S_IFREG | 0644, 1, 0, 0, 0, size, (size + 511) / 512, 0, T, T, T);
        }

        private void resize(long nodeId, long size) throws FuseException {
            byte[][] blob = blobs.get(name(nodeId));
            synchronized (blob) {
                blob[0] = Arrays.copyOf(blob[0], Math.toIntExact(size));
            }
        }

        @Override
        public Entry lookup(Request request, long parent, String name) throws IOException {
            int index = names.indexOf(name);
            if (parent != ROOT_ID || index < 0) {
                throw new FuseException(Errno.ENOENT);
            }
            return Entry.of(attr(index + 2));
        }

        @Override
        public Attr getattr(Request request, long nodeId, long fh) throws IOException {
            return attr(nodeId);
        }

        @Override
        public Attr setattr(Request request, long nodeId, SetAttr changes) throws IOException {
            if (changes.size() != null) {
                resize(nodeId, changes.size());
            }
            return attr(nodeId);
        }

        @Override
        public Open open(Request request, long nodeId, int flags) throws IOException {
            if ((flags & O_TRUNC) != 0) {
                resize(nodeId, 0);
            }
            return Open.handle(nodeId).with(Open.DIRECT_IO);
        }

        @Override
        public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
                throws IOException {
            byte[][] blob = blobs.get(name(nodeId));
            synchronized (blob) {
                byte[] content = blob[0];
                int n = (int) Math.max(0, Math.min(destination.byteSize(), content.length - offset));
                MemorySegment.copy(content, (int) offset, destination, ValueLayout.JAVA_BYTE, 0, n);
                return n;
            }
        }

        @Override
        public int write(Request request, long nodeId, long fh, long offset, MemorySegment data, int writeFlags)
                throws IOException {
            byte[][] blob = blobs.get(name(nodeId));
            int n = (int) data.byteSize();
            synchronized (blob) {
                if (offset + n > blob[0].length) {
                    blob[0] = Arrays.copyOf(blob[0], Math.toIntExact(offset + n));
                }
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, 0, blob[0], (int) offset, n);
            }
            return n;
        }

        @Override
        public void flush(Request request, long nodeId, long fh, long lockOwner) {
        }

        @Override
        public byte[] getxattr(Request request, long nodeId, String name) throws IOException {
            name(nodeId);
            if (!name.equals("user.test")) {
                throw new FuseException(Errno.ENODATA);
            }
            return "hello".getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public List<String> listxattr(Request request, long nodeId) throws IOException {
            name(nodeId);
            return List.of("user.test");
        }
    }

    /** Sleeps as a slow handler would; the dispatcher's interrupt ends the sleep with EINTR. */
    static void slow(int minMillis, int maxMillis) throws FuseException {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextInt(minMillis, maxMillis + 1));
        } catch (InterruptedException e) {
            throw new FuseException(Errno.EINTR);
        }
    }

    // ---- backpressure

    @Test
    @Timeout(120)
    void twoHundredCallersAgainstASlowHandlerNeverOverflowTheQueue() throws Exception {
        int callers = 200;
        int rounds = 10;
        int chunk = 4096;
        byte[] content = pattern(1 << 20);
        BlobFs fs = new BlobFs() {
            @Override
            public Entry lookup(Request request, long parent, String name) throws IOException {
                slow(5, 20);
                return super.lookup(request, parent, name);
            }

            @Override
            public Attr getattr(Request request, long nodeId, long fh) throws IOException {
                slow(5, 20);
                return super.getattr(request, nodeId, fh);
            }

            @Override
            public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
                    throws IOException {
                slow(5, 20);
                return super.read(request, nodeId, fh, offset, destination);
            }
        }.file("data", content);
        Mount mount = mounts.mount(fs, UNCACHED.withDispatcher(DispatcherConfig.defaults().withMaxQueueSize(16)));
        Path data = mount.mountpoint().resolve("data");
        assertThat(Files.size(data)).isEqualTo(content.length);

        long heapBefore = usedHeapAfterGc();
        AtomicInteger succeeded = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            threads.add(Thread.ofPlatform().name("caller-" + c).start(() -> {
                try (FileChannel channel = FileChannel.open(data, StandardOpenOption.READ)) {
                    go.await();
                    ByteBuffer buffer = ByteBuffer.allocate(chunk);
                    for (int r = 0; r < rounds; r++) {
                        BasicFileAttributes attributes = Files.readAttributes(data, BasicFileAttributes.class);
                        assertThat(attributes.size()).isEqualTo(content.length);
                        int offset = ThreadLocalRandom.current().nextInt(content.length / chunk) * chunk;
                        assertThat(channel.read(buffer.clear(), offset)).isEqualTo(chunk);
                        assertThat(Arrays.equals(buffer.array(), 0, chunk, content, offset, offset + chunk))
                                .as("4 KiB at %d", offset).isTrue();
                        succeeded.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        go.countDown();
        long mostQueued = 0;
        while (threads.stream().anyMatch(Thread::isAlive)) {
            mostQueued = Math.max(mostQueued, mount.dispatcherStats().queueSize());
            Thread.sleep(2);
        }
        for (Thread t : threads) {
            t.join();
        }
        long heapAfter = usedHeapAfterGc();

        assertThat(failures).as("failed calls").isEmpty();
        assertThat(succeeded).hasValue(callers * rounds);
        DispatcherStats stats = awaitIdle(mount);
        assertThat(mostQueued).as("queue depth sampled during the run").isLessThanOrEqualTo(16);
        assertThat(stats.maxQueueSize()).as("the queue filled up to its limit and never beyond").isEqualTo(16);
        assertThat(stats.perOperation().get(Operation.READ).count()).isGreaterThanOrEqualTo(callers * rounds);
        assertThat(stats.perOperation().get(Operation.READ).errors()).isZero();
        assertThat(heapAfter - heapBefore).as("heap growth in bytes").isLessThan(64L << 20);
    }

    // ---- interrupts

    @Test
    @Timeout(90)
    void aSignalledCallerGetsEintrWithinASecondAndTheMountKeepsWorking() throws Exception {
        CountDownLatch readStarted = new CountDownLatch(1);
        AtomicBoolean sleepInterrupted = new AtomicBoolean();
        BlobFs fs = new BlobFs() {
            @Override
            public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
                    throws IOException {
                if (name(nodeId).equals("slow")) {
                    readStarted.countDown();
                    try {
                        Thread.sleep(30_000);
                    } catch (InterruptedException e) {
                        sleepInterrupted.set(true);
                        throw new FuseException(Errno.EINTR);
                    }
                }
                return super.read(request, nodeId, fh, offset, destination);
            }
        }.file("slow", pattern(8192)).file("fast", "fast".getBytes(StandardCharsets.UTF_8));
        Mount mount = mounts.mount(fs);
        long interruptedBefore = mount.dispatcherStats().totalInterrupted();

        Process dd = dd("if=" + mount.mountpoint().resolve("slow"), "of=/dev/null", "bs=4k", "count=1");
        try {
            assertThat(readStarted.await(20, TimeUnit.SECONDS)).as("dd's read reached the handler").isTrue();
            long signalled = System.nanoTime();
            kill("-INT", dd.pid());
            assertThat(dd.waitFor(5, TimeUnit.SECONDS)).as("dd exits after SIGINT").isTrue();
            Duration took = Duration.ofNanos(System.nanoTime() - signalled);
            assertThat(took).as("from SIGINT to dd's exit").isLessThan(Duration.ofSeconds(1));
            assertThat(dd.exitValue()).isNotZero();
        } finally {
            dd.destroyForcibly();
        }
        assertThat(sleepInterrupted).as("the handler's Thread.sleep was interrupted").isTrue();
        awaitTrue(() -> mount.dispatcherStats().totalInterrupted() > interruptedBefore, "an interrupted call counted");

        assertThat(Files.readString(mount.mountpoint().resolve("fast"))).isEqualTo("fast");
        assertThat(mount.isAlive()).isTrue();
        awaitIdle(mount);
    }

    @Test
    @Timeout(90)
    void aSignalledCallerWhoseRequestIsStillQueuedIsAnsweredWithoutRunningIt() throws Exception {
        CountDownLatch blockerStarted = new CountDownLatch(1);
        AtomicBoolean blockerInterrupted = new AtomicBoolean();
        List<String> looked = new CopyOnWriteArrayList<>();
        BlobFs fs = new BlobFs() {
            @Override
            public Entry lookup(Request request, long parent, String name) throws IOException {
                looked.add(name);
                return super.lookup(request, parent, name);
            }

            @Override
            public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
                    throws IOException {
                if (name(nodeId).equals("slow")) {
                    blockerStarted.countDown();
                    try {
                        Thread.sleep(30_000);
                    } catch (InterruptedException e) {
                        blockerInterrupted.set(true);
                        throw new FuseException(Errno.EINTR);
                    }
                }
                return super.read(request, nodeId, fh, offset, destination);
            }
        }.file("slow", pattern(8192)).file("queued", pattern(4096));
        Mount mount = mounts.mount(fs, UNCACHED.withDispatcher(DispatcherConfig.defaults().withWorkerThreads(1)));
        long interruptedBefore = mount.dispatcherStats().totalInterrupted();

        Process blocker = dd("if=" + mount.mountpoint().resolve("slow"), "of=/dev/null", "bs=4k", "count=1");
        Process waiting = null;
        try {
            assertThat(blockerStarted.await(20, TimeUnit.SECONDS)).isTrue();
            looked.clear();
            // The only worker is busy: the second dd's first request (the LOOKUP of its file) waits in the queue.
            waiting = dd("if=" + mount.mountpoint().resolve("queued"), "of=/dev/null", "bs=4k", "count=1");
            awaitTrue(() -> mount.dispatcherStats().queueSize() == 1, "the second dd's request is queued");

            long signalled = System.nanoTime();
            kill("-INT", waiting.pid());
            assertThat(waiting.waitFor(5, TimeUnit.SECONDS)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(Duration.ofSeconds(1));
            assertThat(mount.dispatcherStats().queueSize()).isZero();
            assertThat(blocker.isAlive()).as("the worker is still held by the first dd").isTrue();
            assertThat(looked).as("the queued request never reached its handler").isEmpty();

            kill("-INT", blocker.pid());
            assertThat(blocker.waitFor(5, TimeUnit.SECONDS)).isTrue();
        } finally {
            blocker.destroyForcibly();
            if (waiting != null) {
                waiting.destroyForcibly();
            }
        }
        assertThat(blockerInterrupted).isTrue();
        awaitTrue(() -> mount.dispatcherStats().totalInterrupted() >= interruptedBefore + 2, "both interrupts counted");
        assertThat(Files.readAllBytes(mount.mountpoint().resolve("queued"))).isEqualTo(pattern(4096));
        awaitIdle(mount);
    }

    // ---- statistics

    @Test
    @Timeout(60)
    void statisticsCountExactlyWhatTheCallsSent() throws Exception {
        byte[] content = pattern(256 * 1024);
        BlobFs fs = new BlobFs().file("data", content);
        Mount mount = mounts.mount(fs, UNCACHED);
        Path missing = mount.mountpoint().resolve("missing");
        Path data = mount.mountpoint().resolve("data");
        assertThat(Files.size(data)).isEqualTo(content.length);
        awaitIdle(mount);

        // 50 stats of a name that does not exist: one LOOKUP each, each an error (ENOENT is not cached).
        DispatcherStats before = mount.dispatcherStats();
        for (int i = 0; i < 50; i++) {
            assertThatThrownBy(() -> Files.readAttributes(missing, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS))
                    .isInstanceOf(NoSuchFileException.class);
        }
        DispatcherStats after = awaitIdle(mount);
        assertThat(count(after, Operation.LOOKUP) - count(before, Operation.LOOKUP)).isEqualTo(50);
        assertThat(errors(after, Operation.LOOKUP) - errors(before, Operation.LOOKUP)).isEqualTo(50);
        assertThat(after.totalErrors() - before.totalErrors()).isEqualTo(50);
        assertConsistent(before, after);

        // 30 reads of 4 KiB from a DIRECT_IO file: exactly 30 READs, 120 KiB, no errors.
        before = after;
        try (FileChannel channel = FileChannel.open(data, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(4096);
            for (int i = 0; i < 30; i++) {
                assertThat(channel.read(buffer.clear(), i * 4096L)).isEqualTo(4096);
                assertThat(Arrays.equals(buffer.array(), 0, 4096, content, i * 4096, (i + 1) * 4096)).isTrue();
            }
        }
        DispatcherStats closed = before;
        // RELEASE follows close(2) asynchronously; wait for it before taking the final counts.
        awaitTrue(() -> count(mount.dispatcherStats(), Operation.RELEASE) == count(closed, Operation.RELEASE) + 1,
                "the RELEASE of the closed file");
        after = awaitIdle(mount);
        assertThat(count(after, Operation.READ) - count(before, Operation.READ)).isEqualTo(30);
        assertThat(errors(after, Operation.READ) - errors(before, Operation.READ)).isZero();
        assertThat(after.bytesRead() - before.bytesRead()).isEqualTo(30 * 4096);
        assertThat(count(after, Operation.OPEN) - count(before, Operation.OPEN)).isEqualTo(1);
        assertThat(count(after, Operation.FLUSH) - count(before, Operation.FLUSH)).isEqualTo(1);
        assertThat(after.totalErrors() - before.totalErrors()).isZero();
        assertThat(after.bytesWritten()).isZero();
        assertConsistent(before, after);

        assertThat(after.totalDispatched()).isEqualTo(after.totalCompleted());
        assertThat(after.queueSize()).isZero();
        assertThat(after.perOperation().get(Operation.READ).p99Ms())
                .isGreaterThanOrEqualTo(after.perOperation().get(Operation.READ).p50Ms()).isPositive();
    }

    /**
     * Latency runs from the moment a request was read, as documented: the time a reader holds a
     * request while the full queue makes it wait counts too. One worker, a queue of one, two
     * readers and four reads of 100 ms each: the last one read waits 300 ms before it runs.
     */
    @Test
    @Timeout(60)
    void latencyIncludesTheTimeARequestWaitedForRoomInTheQueue() throws Exception {
        int callers = 4;
        BlobFs fs = new BlobFs() {
            @Override
            public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
                    throws IOException {
                slow(100, 100);
                return super.read(request, nodeId, fh, offset, destination);
            }
        }.file("data", pattern(4096));
        Mount mount = mounts.mount(fs, MountOptions.defaults().withReaders(2)
                .withDispatcher(DispatcherConfig.defaults().withWorkerThreads(1).withMaxQueueSize(1)));
        Path data = mount.mountpoint().resolve("data");
        List<FileChannel> channels = new ArrayList<>();
        try {
            for (int c = 0; c < callers; c++) {
                channels.add(FileChannel.open(data, StandardOpenOption.READ));
            }
            CountDownLatch go = new CountDownLatch(1);
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            long start = System.nanoTime();
            for (FileChannel channel : channels) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        assertThat(channel.read(ByteBuffer.allocate(4096), 0)).isEqualTo(4096);
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            go.countDown();
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(20));
            }
            long wallMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(failures).isEmpty();
            // A reply goes out before its completion is counted: wait until the last one is.
            DispatcherStats.OperationStats read = awaitIdle(mount).perOperation().get(Operation.READ);
            assertThat(read.count()).isEqualTo(callers);
            assertThat(wallMs).as("four reads one after the other").isGreaterThanOrEqualTo(400);
            assertThat(read.p999Ms()).as("the slowest read, from the moment it was read from /dev/fuse")
                    .isGreaterThanOrEqualTo(300);
        } finally {
            for (FileChannel channel : channels) {
                channel.close();
            }
        }
    }

    /** The totals move exactly as much as the per-operation counts that make them up. */
    private static void assertConsistent(DispatcherStats before, DispatcherStats after) {
        long completed = 0;
        long errors = 0;
        for (Operation operation : Operation.values()) {
            completed += count(after, operation) - count(before, operation);
            errors += errors(after, operation) - errors(before, operation);
        }
        assertThat(after.totalCompleted() - before.totalCompleted()).isEqualTo(completed);
        assertThat(after.totalErrors() - before.totalErrors()).isEqualTo(errors);
        assertThat(after.totalDispatched() - before.totalDispatched()).isEqualTo(completed);
    }

    private static long count(DispatcherStats stats, Operation operation) {
        DispatcherStats.OperationStats o = stats.perOperation().get(operation);
        return o == null ? 0 : o.count();
    }

    private static long errors(DispatcherStats stats, Operation operation) {
        DispatcherStats.OperationStats o = stats.perOperation().get(operation);
        return o == null ? 0 : o.errors();
    }

    // ---- reconfiguration

    @Test
    @Timeout(120)
    void reconfiguringEveryTwentyMillisecondsUnderLoadLosesNoCallAndNoByte() throws Exception {
        int files = 8;
        int size = 64 * 1024;
        BlobFs fs = new BlobFs();
        for (int f = 0; f < files; f++) {
            fs.file("f" + f, new byte[size]);
        }
        Mount mount = mounts.mount(fs);

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong calls = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        byte[][] shadows = new byte[files][];
        List<Thread> threads = new ArrayList<>();
        for (int f = 0; f < files; f++) {
            int index = f;
            Path path = mount.mountpoint().resolve("f" + f);
            shadows[f] = new byte[size];
            threads.add(Thread.ofPlatform().name("load-" + f).start(() -> {
                byte[] shadow = shadows[index];
                ThreadLocalRandom random = ThreadLocalRandom.current();
                try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    for (int round = 0; !stop.get(); round++) {
                        int length = random.nextInt(1, 16 * 1024 + 1);
                        int offset = random.nextInt(size - length + 1);
                        byte[] data = new byte[length];
                        random.nextBytes(data);
                        assertThat(channel.write(ByteBuffer.wrap(data), offset)).isEqualTo(length);
                        System.arraycopy(data, 0, shadow, offset, length);
                        ByteBuffer back = ByteBuffer.allocate(length);
                        assertThat(channel.read(back, offset)).isEqualTo(length);
                        assertThat(back.array()).as("read back at %d", offset).isEqualTo(data);
                        calls.addAndGet(2);
                        if (round % 8 == 0) {
                            ByteBuffer all = ByteBuffer.allocate(size);
                            while (all.hasRemaining() && channel.read(all, all.position()) > 0) {
                                // DIRECT_IO reads may be split; read until the buffer is full
                            }
                            assertThat(all.array()).as("whole file f%d", index).isEqualTo(shadow);
                            calls.incrementAndGet();
                        }
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }

        int[] workers = {0, 1, 2, 4};
        int[] queues = {4, 64};
        boolean[] ordering = {true, false};
        int reconfigurations = 0;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (int i = 0; System.nanoTime() < end && failures.isEmpty(); i++) {
            mount.setDispatcherConfig(DispatcherConfig.defaults().withWorkerThreads(workers[i % 4])
                    .withMaxQueueSize(queues[(i / 4) % 2]).withPriorityOrdering(ordering[(i / 8) % 2]));
            reconfigurations++;
            Thread.sleep(20);
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(t.isAlive()).as(t.getName() + " finished").isFalse();
        }

        assertThat(failures).as("failed calls").isEmpty();
        assertThat(reconfigurations).isGreaterThanOrEqualTo(20);
        assertThat(calls.get()).as("calls made during the reconfigurations").isGreaterThan(100);
        for (int f = 0; f < files; f++) {
            assertThat(fs.content("f" + f)).as("f%d in the filesystem", f).isEqualTo(shadows[f]);
            assertThat(Files.readAllBytes(mount.mountpoint().resolve("f" + f))).as("f%d through the mount", f)
                    .isEqualTo(shadows[f]);
        }
        DispatcherStats stats = awaitIdle(mount);
        assertThat(stats.totalDispatched()).isEqualTo(stats.totalCompleted());
        assertThat(stats.perOperation().get(Operation.WRITE).errors()).isZero();
        assertThat(stats.perOperation().get(Operation.READ).errors()).isZero();
    }

    /**
     * A mount started small (one worker, a queue of 4) and then given 8 workers and a queue of 64
     * runs 8 handlers at once and queues the rest: the new limits apply to the live mount, not
     * only to the dispatcher's bookkeeping.
     */
    @Test
    @Timeout(60)
    void raisingWorkersAndQueueOnALiveMountTakesEffect() throws Exception {
        int callers = 16;
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        BlobFs fs = new BlobFs() {
            @Override
            public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
                    throws IOException {
                mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
                try {
                    slow(400, 400);
                    return super.read(request, nodeId, fh, offset, destination);
                } finally {
                    running.decrementAndGet();
                }
            }
        }.file("data", pattern(64 * 1024));
        Mount mount = mounts.mount(fs, MountOptions.defaults().withReaders(2)
                .withDispatcher(DispatcherConfig.defaults().withWorkerThreads(1).withMaxQueueSize(4)));
        mount.setDispatcherConfig(DispatcherConfig.defaults().withWorkerThreads(8).withMaxQueueSize(64));
        Path data = mount.mountpoint().resolve("data");

        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        CountDownLatch opened = new CountDownLatch(callers);
        CountDownLatch go = new CountDownLatch(1);
        for (int c = 0; c < callers; c++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try (FileChannel channel = FileChannel.open(data, StandardOpenOption.READ)) {
                    opened.countDown();
                    go.await();
                    assertThat(channel.read(ByteBuffer.allocate(4096), 0)).isEqualTo(4096);
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        assertThat(opened.await(20, TimeUnit.SECONDS)).isTrue();
        go.countDown();
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertThat(failures).isEmpty();
        assertThat(mostAtOnce.get()).as("handlers running at once with 8 workers").isEqualTo(8);
        assertThat(mount.dispatcherStats().maxQueueSize()).as("requests queued at once").isGreaterThan(4);
        awaitIdle(mount);
    }

    // ---- handler replacement

    @Test
    @Timeout(120)
    void replacingAndRestoringTheReadHandlerUnderLoadNeverLosesARead() throws Exception {
        int size = 256 * 1024;
        BlobFs fs = new BlobFs();
        for (int f = 0; f < 4; f++) {
            fs.file("f" + f, pattern(size + f));
        }
        Mount mount = mounts.mount(fs);
        AtomicLong counted = new AtomicLong();
        FileSystem counting = new FileSystem() {
            @Override
            public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
                    throws IOException {
                counted.incrementAndGet();
                return fs.read(request, nodeId, fh, offset, destination);
            }
        };

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int f = t % 4;
            byte[] expected = pattern(size + f);
            Path path = mount.mountpoint().resolve("f" + f);
            threads.add(Thread.ofPlatform().name("reader-" + t).start(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                    while (!stop.get()) {
                        int length = random.nextInt(1, 64 * 1024 + 1);
                        int offset = random.nextInt(expected.length - length + 1);
                        ByteBuffer buffer = ByteBuffer.allocate(length);
                        while (buffer.hasRemaining() && channel.read(buffer, offset + buffer.position()) > 0) {
                            // until full
                        }
                        assertThat(buffer.hasRemaining()).isFalse();
                        assertThat(Arrays.equals(buffer.array(), 0, length, expected, offset, offset + length))
                                .as("%d bytes at %d", length, offset).isTrue();
                        reads.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        int swaps = 0;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < end && failures.isEmpty()) {
            mount.setOperationHandler(Operation.READ, counting);
            Thread.sleep(5);
            mount.restoreOperationHandler(Operation.READ);
            Thread.sleep(5);
            swaps++;
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertThat(failures).as("failed reads").isEmpty();
        assertThat(swaps).isGreaterThan(50);
        assertThat(reads.get()).isGreaterThan(100);
        assertThat(counted.get()).as("reads that went through the replacement").isPositive();

        long countedAfterRestore = counted.get();
        assertThat(Files.readAllBytes(mount.mountpoint().resolve("f1"))).isEqualTo(pattern(size + 1));
        assertThat(counted.get()).as("restored: the replacement no longer runs").isEqualTo(countedAfterRestore);
        assertThat(mount.dispatcherStats().perOperation().get(Operation.READ).errors()).isZero();
    }

    @Test
    @Timeout(60)
    void aRemovedGetxattrHandlerIsOperationNotSupportedAndTheMountKeepsWorking() throws Exception {
        BlobFs fs = new BlobFs().file("a", "content".getBytes(StandardCharsets.UTF_8));
        Mount mount = mounts.mount(fs);
        String a = mount.mountpoint().resolve("a").toString();

        Result before = run(Duration.ofSeconds(10), "getfattr", "--absolute-names", "--only-values", "-n", "user.test", a);
        assertThat(before.exitCode()).as(before.output()).isZero();
        assertThat(before.output()).isEqualTo("hello");

        mount.removeOperationHandler(Operation.GETXATTR);
        Result removed = run(Duration.ofSeconds(10), "getfattr", "--absolute-names", "-n", "user.test", a);
        assertThat(removed.exitCode()).isNotZero();
        assertThat(removed.output()).contains("Operation not supported");

        assertThat(Files.readString(mount.mountpoint().resolve("a"))).isEqualTo("content");
        assertThat(mount.isAlive()).isTrue();
        assertThat(awaitIdle(mount).perOperation().get(Operation.GETXATTR).errors()).isEqualTo(1);
    }

    @Test
    @Timeout(60)
    void anInjectedEnospcFailsDdAndRestoringTheHandlerWritesAgain() throws Exception {
        BlobFs fs = new BlobFs().file("target", new byte[8192]);
        Mount mount = mounts.mount(fs);
        String target = mount.mountpoint().resolve("target").toString();
        AtomicInteger injected = new AtomicInteger();
        mount.setOperationHandler(Operation.WRITE, new FileSystem() {
            @Override
            public int write(Request request, long nodeId, long fh, long offset, MemorySegment data, int writeFlags)
                    throws IOException {
                injected.incrementAndGet();
                throw new FuseException(Errno.ENOSPC);
            }
        });

        Result full = run(Duration.ofSeconds(10), "dd", "if=/dev/urandom", "of=" + target, "bs=4k", "count=1",
                "conv=notrunc");
        assertThat(full.exitCode()).isNotZero();
        assertThat(full.output()).contains("No space left on device");
        assertThat(injected.get()).isPositive();
        assertThat(fs.content("target")).isEqualTo(new byte[8192]);

        mount.restoreOperationHandler(Operation.WRITE);
        int injectedBeforeRestore = injected.get();
        Path source = Files.write(mounts.newDirectory("javafuse-src-").resolve("source"), pattern(4096));
        Result written = run(Duration.ofSeconds(10), "dd", "if=" + source, "of=" + target, "bs=4k", "count=1",
                "conv=notrunc");
        assertThat(written.exitCode()).as(written.output()).isZero();
        byte[] expected = new byte[8192];
        System.arraycopy(pattern(4096), 0, expected, 0, 4096);
        assertThat(fs.content("target")).isEqualTo(expected);
        assertThat(Files.readAllBytes(Path.of(target))).isEqualTo(expected);
        assertThat(injected.get()).as("the injected handler no longer runs").isEqualTo(injectedBeforeRestore);
    }

    // ---- priorities

    @Test
    @Timeout(60)
    void aQueuedStatOvertakesALargeReadQueuedBeforeIt() throws Exception {
        int large = 1 << 20;
        CountDownLatch blockerStarted = new CountDownLatch(1);
        CountDownLatch releaseBlocker = new CountDownLatch(1);
        AtomicBoolean recording = new AtomicBoolean();
        List<String> order = new CopyOnWriteArrayList<>();
        BlobFs fs = new BlobFs() {
            private void record(Request request, String what) {
                if (recording.get()) {
                    order.add(request.operation() + " " + what);
                }
            }

            @Override
            public Entry lookup(Request request, long parent, String name) throws IOException {
                record(request, name);
                return super.lookup(request, parent, name);
            }

            @Override
            public Attr getattr(Request request, long nodeId, long fh) throws IOException {
                record(request, nodeId == ROOT_ID ? "/" : name(nodeId));
                return super.getattr(request, nodeId, fh);
            }

            @Override
            public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
                    throws IOException {
                record(request, name(nodeId));
                if (name(nodeId).equals("blocker")) {
                    blockerStarted.countDown();
                    try {
                        if (!releaseBlocker.await(30, TimeUnit.SECONDS)) {
                            throw new FuseException(Errno.ETIMEDOUT);
                        }
                    } catch (InterruptedException e) {
                        throw new FuseException(Errno.EINTR);
                    }
                }
                return super.read(request, nodeId, fh, offset, destination);
            }
        }.file("blocker", pattern(4096)).file("large", pattern(large)).file("small", pattern(10));
        Mount mount = mounts.mount(fs, UNCACHED.withDispatcher(DispatcherConfig.defaults().withWorkerThreads(1)));
        Path small = mount.mountpoint().resolve("small");

        // Open both files first: their LOOKUPs and OPENs need the one worker, which is about to be held.
        try (FileChannel blockerFile = FileChannel.open(mount.mountpoint().resolve("blocker"), StandardOpenOption.READ);
             FileChannel largeFile = FileChannel.open(mount.mountpoint().resolve("large"), StandardOpenOption.READ)) {
            recording.set(true);
            Thread blocker = Thread.ofPlatform().start(() -> readQuietly(blockerFile, 4096));
            assertThat(blockerStarted.await(10, TimeUnit.SECONDS)).isTrue();

            ByteBuffer largeBuffer = ByteBuffer.allocate(large);
            Thread reader = Thread.ofPlatform().start(() -> {
                try {
                    largeFile.read(largeBuffer, 0);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            awaitTrue(() -> mount.dispatcherStats().queueSize() == 1, "the large READ is queued");

            AtomicLong statSize = new AtomicLong(-1);
            Thread stat = Thread.ofPlatform().start(() -> {
                try {
                    statSize.set(Files.readAttributes(small, BasicFileAttributes.class).size());
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            awaitTrue(() -> mount.dispatcherStats().queueSize() == 2, "the stat's LOOKUP is queued behind the READ");

            releaseBlocker.countDown();
            for (Thread t : List.of(blocker, reader, stat)) {
                t.join(TimeUnit.SECONDS.toMillis(20));
                assertThat(t.isAlive()).isFalse();
            }
            assertThat(statSize).hasValue(10);
            assertThat(largeBuffer.position()).isPositive();
            assertThat(Arrays.equals(largeBuffer.array(), 0, largeBuffer.position(), pattern(large), 0,
                    largeBuffer.position())).isTrue();
        }
        recording.set(false);
        assertThat(order.getFirst()).isEqualTo("READ blocker");
        int lookup = order.indexOf("LOOKUP small");
        int read = order.indexOf("READ large");
        assertThat(lookup).as("the stat's LOOKUP ran: " + order).isPositive();
        assertThat(read).as("the large READ ran: " + order).isPositive();
        assertThat(lookup).as("handler order " + order).isLessThan(read);
        assertThat(order.subList(1, read)).as("everything before the READ belongs to the stat")
                .allMatch(s -> s.endsWith(" small"));
    }

    private static void readQuietly(FileChannel channel, int length) {
        try {
            channel.read(ByteBuffer.allocate(length), 0);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    // ---- helpers

    private static Process dd(String... operands) throws IOException {
        List<String> command = new ArrayList<>(List.of("dd"));
        command.addAll(List.of(operands));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    private static void kill(String signal, long pid) throws IOException, InterruptedException {
        Result kill = run(Duration.ofSeconds(10), "kill", signal, Long.toString(pid));
        assertThat(kill.exitCode()).as(kill.output()).isZero();
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(2);
        }
    }

    /**
     * Waits until every admitted request was answered and nothing changed for 100 ms (the kernel
     * sends some requests, such as RELEASE, after the call that caused them returned).
     */
    private static DispatcherStats awaitIdle(Mount mount) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        DispatcherStats last = null;
        while (System.nanoTime() < deadline) {
            DispatcherStats now = mount.dispatcherStats();
            if (now.totalDispatched() == now.totalCompleted() && now.queueSize() == 0 && last != null
                    && last.totalDispatched() == now.totalDispatched()) {
                return now;
            }
            last = now;
            Thread.sleep(100);
        }
        DispatcherStats stats = mount.dispatcherStats();
        throw new AssertionError("the dispatcher did not become idle: dispatched " + stats.totalDispatched()
                + ", completed " + stats.totalCompleted() + ", queued " + stats.queueSize());
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
