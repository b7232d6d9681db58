package io.javafuse.writes;

import io.javafuse.api.Errno;
import io.javafuse.api.FuseException;
import io.javafuse.api.Request;
import io.javafuse.api.WritePriority;
import io.javafuse.api.WriteQueueConfig;
import io.javafuse.api.WriteQueueStats;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One queue per open file: writes are applied in the order the kernel sent them (by unique,
 * whichever reader read them and whichever worker delivered them), FLUSH, FSYNC and RELEASE wait
 * for every earlier write on their file, and a full queue makes the reader wait.
 *
 * <p>Queues are served by whichever worker delivers work to an idle queue (it drains what is
 * ready, in order, then leaves); different files proceed in parallel. With write-behind, a write
 * is answered when queued and applied later; a failure is kept and reported by the next FLUSH or
 * FSYNC of that file, as the page cache does.
 *
 * <p>Settled (every earlier unique was read) is not enough to apply a write: an earlier write on
 * the same file may have been read and still be on its way (waiting for a place, queued in the
 * dispatcher, or with a descheduled worker). So the reader makes each write expected on its
 * handle before telling the sequencer, places are granted in unique order once the write is
 * settled, and a queued item waits while any earlier write of its handle is expected.
 *
 * @param <R> the request type
 */
public final class WriteQueues<R extends Request> {
    private static final System.Logger LOG = System.getLogger(WriteQueues.class.getName());
    /**
     * How long a write waits for an earlier-numbered request that may still be on its way from
     * another reader (descheduled between read() and admission). Numbers that never come are
     * rare (a request dropped by the kernel before anyone read it), so the wait is generous.
     */
    static final long GAP_TIMEOUT_MILLIS = 50;
    /** The largest write that batching builds out of queued writes. */
    private static final long MAX_BATCH_BYTES = 8L << 20;

    /** The open file a queue serves: a node and its handle (filesystems without open use fh 0 for all). */
    public record Key(long nodeId, long fh) {}

    /** Barrier kinds: each waits for the writes before it. */
    public enum Barrier { FLUSH, FSYNC, RELEASE }

    /** What the queues need from the session. */
    public interface Backend<R> {
        /**
         * Calls the filesystem's write (one piece) or gathered write (several); returns bytes written.
         * {@code pieces} is the queue's own list, refilled for its next write once this returns.
         */
        long write(R first, long offset, List<MemorySegment> pieces) throws Exception;

        /** Calls the filesystem's flush, fsync or release for this request. */
        void barrier(R request) throws Exception;

        /** Sends the answer (bytes for a write, or the failure) and finishes the request. */
        void answer(R request, long bytes, Throwable failure);

        /** Write-behind: answers the write as done now; the request stays open until {@link #release}. */
        void acknowledge(R request, long bytes);

        /** Write-behind: the write was applied (errno 0) or failed; finishes the request. */
        void release(R request, int errno);
    }

    private final Backend<R> backend;
    private final long gapTimeoutMillis;
    private final UniqueSequencer sequencer;
    private final ConcurrentHashMap<Key, HandleQueue> queues = new ConcurrentHashMap<>();
    private final Stats aggregate = new Stats();
    private final LongAdder batched = new LongAdder();
    private final LongAdder lost = new LongAdder();
    /** Writes reserved or queued and not yet applied, over all handles. */
    private final AtomicLong pendingTotal = new AtomicLong();
    private volatile WriteQueueConfig config;

    public WriteQueues(WriteQueueConfig config, UniqueSequencer sequencer, Backend<R> backend) {
        this(config, sequencer, backend, GAP_TIMEOUT_MILLIS);
    }

    /** With another wait for missing numbers: tests that stage a late reader need one longer than a pause. */
    WriteQueues(WriteQueueConfig config, UniqueSequencer sequencer, Backend<R> backend, long gapTimeoutMillis) {
        this.config = config;
        this.sequencer = sequencer;
        this.backend = backend;
        this.gapTimeoutMillis = gapTimeoutMillis;
    }

    public WriteQueueConfig config() {
        return config;
    }

    /** New limits apply to queues from their next admission on. */
    public void configure(WriteQueueConfig next) {
        config = next;
        queues.values().forEach(HandleQueue::limitsChanged);
    }

    /** An open succeeded: how its writes are served. */
    public void opened(Key key, WritePriority priority, boolean writeBehind) {
        HandleQueue queue = queue(key);
        queue.priority = priority;
        queue.writeBehind = writeBehind || config.writeBehind();
    }

    /** The priority a write on this handle is dispatched at. */
    public WritePriority priorityOf(Key key, boolean fromWritebackCache) {
        if (fromWritebackCache) {
            return WritePriority.LOW;
        }
        HandleQueue queue = queues.get(key);
        return queue != null ? queue.priority : WritePriority.NORMAL;
    }

    /**
     * Called by the reader for a write it has just read, before it tells the sequencer: from here
     * on, later requests on this handle wait for this one, wherever it is on its way.
     */
    public void expect(Key key, long unique) {
        queue(key).expect(unique);
    }

    /**
     * Called by the reader before a write is dispatched: waits while the handle's queue is full.
     * Places are granted in unique order, so a write read a moment later by another reader never
     * takes the last place from an earlier one (which it would then have to wait for: the queue
     * could not move). {@link #expect} is implied if the reader did not call it.
     */
    public void reserve(Key key, long unique) throws InterruptedException {
        queue(key).reserve(unique);
    }

    /** A reserved write will not arrive (refused, or interrupted while queued in the dispatcher). */
    public void unreserve(Key key, long unique) {
        HandleQueue queue = queues.get(key);
        if (queue != null) {
            queue.unreserve(unique);
        }
    }

    /** Queues a reserved write; it is applied in unique order. */
    public void write(R request, Key key, long offset, MemorySegment data) {
        HandleQueue queue = queue(key);
        long admittedNanos = System.nanoTime();
        boolean acknowledged = queue.writeBehind;
        if (acknowledged) {
            // Answered before it is in the queue: until then, its unique (still expected) holds back later writes.
            backend.acknowledge(request, data.byteSize());
        }
        queue.add(request, null, offset, data, acknowledged, admittedNanos);
        queue.drain();
    }

    /** Queues a FLUSH, FSYNC or RELEASE; it runs once every earlier write on the handle is done. */
    public void barrier(R request, Key key, Barrier kind) {
        HandleQueue queue = queue(key);
        queue.add(request, kind, 0, null, false, System.nanoTime());
        queue.drain();
    }

    private HandleQueue queue(Key key) {
        HandleQueue queue = queues.get(key);
        if (queue != null) {
            return queue;
        }
        // Not computeIfAbsent: its function (capturing this) and bin reservation cost more than
        // the queue that loses the rare race for a new handle.
        HandleQueue created = new HandleQueue(key);
        HandleQueue raced = queues.putIfAbsent(key, created);
        return raced != null ? raced : created;
    }

    /** Waits until every write admitted so far on {@code fh} is applied. */
    public void flushWriteQueue(long fh, long timeout, TimeUnit unit) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        for (HandleQueue queue : List.copyOf(queues.values())) {
            if (queue.key.fh() == fh) {
                queue.awaitEmpty(deadline);
            }
        }
    }

    /** Waits until every write admitted so far, on every handle, is applied. */
    public void flushAllWriteQueues(long timeout, TimeUnit unit) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        for (HandleQueue queue : List.copyOf(queues.values())) {
            queue.awaitEmpty(deadline);
        }
    }

    /** Writes admitted and not yet applied, over all handles. */
    public long pending() {
        return pendingTotal.get();
    }

    /** Records write-behind writes that will now never be applied (a forced shutdown). */
    public long abandon() {
        long abandoned = 0;
        for (HandleQueue queue : queues.values()) {
            abandoned += queue.abandon();
        }
        lost.add(abandoned);
        return abandoned;
    }

    public WriteQueueStats stats() {
        Map<Long, WriteQueueStats.Counts> handles = new HashMap<>();
        for (HandleQueue queue : queues.values()) {
            handles.merge(queue.key.fh(), queue.counts(), Stats::sum);
        }
        return new WriteQueueStats(aggregate.snapshot(pending()), queues.size(), batched.sum(), lost.sum(),
                Map.copyOf(handles));
    }

    // ---- one handle

    /**
     * A queued write or barrier. Items are pooled per handle queue, so a write allocates none once
     * the queue has served as many at a time. Lifetime: taken from the pool by {@link HandleQueue#add}
     * under the lock; in {@code items} until the draining thread links it into its batch, under
     * the lock; applied and answered by that thread alone; given back to the pool under the lock
     * when the batch is done, after which nothing refers to it (its references are cleared so that
     * a pooled item keeps no request buffer alive).
     */
    private static final class Item<R> {
        R request;
        Barrier barrier;
        long unique;
        long offset;
        MemorySegment data;
        long admittedNanos;
        boolean acknowledged;
        /** The next item of its batch while applied, or the next free item while pooled. */
        Item<R> next;

        long length() {
            return data == null ? 0 : data.byteSize();
        }
    }

    private final class HandleQueue {
        /** Free items kept beyond this go to the garbage collector: a burst does not pin its peak. */
        private static final int MAX_POOLED_ITEMS = 64;

        final Key key;
        final ReentrantLock lock = new ReentrantLock();
        final Condition changed = lock.newCondition();
        /** Queued writes and barriers by unique; guarded by the lock. */
        final UniqueOrder<Item<R>> items = new UniqueOrder<>(true);
        /** Counts of this handle only; guarded by the lock. */
        final HandleStats stats = new HandleStats();
        volatile WritePriority priority = WritePriority.NORMAL;
        volatile boolean writeBehind = config.writeBehind();
        /** Writes reserved or queued and not yet applied; guarded by the lock. */
        volatile int count;
        /** Uniques of writes read but not yet granted a place, in order; guarded by the lock. */
        final UniqueOrder<Void> waiting = new UniqueOrder<>(false);
        /** Uniques of writes granted a place and not yet delivered to {@link #add}; guarded by the lock. */
        final UniqueOrder<Void> undelivered = new UniqueOrder<>(false);
        /** The limit of this handle under {@link #limitsOf}, looked up once per configuration (the lookup boxes fh). */
        private int maxQueueSize;
        private WriteQueueConfig limitsOf;
        /** Free items, linked by {@link Item#next}; guarded by the lock. */
        private Item<R> freeItems;
        private int freeItemCount;
        boolean draining;
        /**
         * What the draining thread applies (linked by {@link Item#next}), and the pieces it hands to
         * the backend, reused: only the thread that set {@link #draining} touches them, and it
         * empties them before clearing it.
         */
        private Item<R> batch;
        private int batchSize;
        /** Made by the first write: a handle that is only flushed and released needs none. */
        private ArrayList<MemorySegment> pieces;
        /** The first write-behind failure not yet reported to a FLUSH or FSYNC. */
        int unreportedErrno;

        HandleQueue(Key key) {
            this.key = key;
        }

        void expect(long unique) {
            lock.lock();
            try {
                if (!undelivered.contains(unique)) {
                    waiting.addIfAbsent(unique);
                }
            } finally {
                lock.unlock();
            }
        }

        void reserve(long unique) throws InterruptedException {
            expect(unique);
            try {
                // Every write numbered before this one has been read, and so is expected here if it is ours.
                sequencer.awaitSettled(unique, gapTimeoutMillis, TimeUnit.MILLISECONDS);
                lock.lockInterruptibly();
            } catch (InterruptedException e) {
                unreserve(unique);
                throw e;
            }
            try {
                while (!mayTakePlace(unique)) {
                    changed.await();
                }
                waiting.remove(unique);
                undelivered.addIfAbsent(unique);
                count++;
                stats.queued(count);
                aggregate.queued(pendingTotal.incrementAndGet());
                if (!waiting.isEmpty()) {
                    // The next waiting write may take a place now, if one is left.
                    changed.signalAll();
                }
            } catch (InterruptedException e) {
                waiting.remove(unique);
                changed.signalAll();
                throw e;
            } finally {
                lock.unlock();
            }
        }

        /** The earliest waiting write takes the next free place; the lock is held. */
        private boolean mayTakePlace(long unique) {
            if (count < maxQueueSize() && !waiting.isEmpty() && waiting.first() == unique) {
                return true;
            }
            // A write that turned up after later ones were let in (its number had been passed over
            // as never coming): the later ones wait for it, so it must get in, even past the limit.
            if (!undelivered.isEmpty() && undelivered.last() > unique) {
                return true;
            }
            for (int i = 0; i < items.size(); i++) {
                Item<R> item = items.valueAt(i);
                if (item.barrier == null && item.unique > unique) {
                    return true;
                }
            }
            return false;
        }

        /** The lock is held. */
        private int maxQueueSize() {
            WriteQueueConfig current = config;
            if (current != limitsOf) {
                maxQueueSize = current.maxQueueSize(key.fh());
                limitsOf = current;
            }
            return maxQueueSize;
        }

        void unreserve(long unique) {
            boolean drainNow;
            lock.lock();
            try {
                waiting.remove(unique);
                if (undelivered.remove(unique)) {
                    count--;
                    pendingTotal.decrementAndGet();
                }
                changed.signalAll();
                drainNow = !draining && !items.isEmpty();
            } finally {
                lock.unlock();
            }
            if (drainNow) {
                // Later writes may have been waiting for this one; no delivery of it will drain them.
                Thread.ofVirtual().name("javafuse-write-queue-drain").start(this::drain);
            }
        }

        void limitsChanged() {
            lock.lock();
            try {
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        void add(R request, Barrier barrier, long offset, MemorySegment data, boolean acknowledged, long admittedNanos) {
            long unique = request.unique();
            lock.lock();
            try {
                Item<R> item = takeFreeItem();
                item.request = request;
                item.barrier = barrier;
                item.unique = unique;
                item.offset = offset;
                item.data = data;
                item.acknowledged = acknowledged;
                item.admittedNanos = admittedNanos;
                items.add(unique, item);
                if (barrier == null) {
                    undelivered.remove(unique);
                    waiting.remove(unique);
                    if (!waiting.isEmpty()) {
                        changed.signalAll();
                    }
                }
            } finally {
                lock.unlock();
            }
        }

        /** The lock is held. */
        private Item<R> takeFreeItem() {
            Item<R> item = freeItems;
            if (item == null) {
                return new Item<>();
            }
            freeItems = item.next;
            item.next = null;
            freeItemCount--;
            return item;
        }

        /** Gives the applied batch's items back to the pool and empties the batch; the lock is held. */
        private void recycleBatch() {
            Item<R> item = batch;
            while (item != null) {
                Item<R> following = item.next;
                item.request = null;
                item.data = null;
                item.barrier = null;
                item.next = null;
                if (freeItemCount < MAX_POOLED_ITEMS) {
                    item.next = freeItems;
                    freeItems = item;
                    freeItemCount++;
                }
                item = following;
            }
            batch = null;
            batchSize = 0;
        }

        /** Applies what is ready, in order, unless another thread is already doing so. */
        void drain() {
            while (true) {
                long headUnique;
                boolean settled;
                lock.lock();
                try {
                    Item<R> head = items.firstValue();
                    if (draining || head == null || expectsBefore(head.unique)) {
                        // An earlier write is on its way here; its delivery drains.
                        return;
                    }
                    headUnique = head.unique;
                    settled = sequencer.isSettled(headUnique);
                    if (settled) {
                        draining = true;
                        takeBatch();
                    }
                } finally {
                    lock.unlock();
                }
                if (!settled) {
                    try {
                        sequencer.awaitSettled(headUnique, gapTimeoutMillis, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        // This thread was interrupted (its request was); another delivery drains later.
                        return;
                    }
                    continue;
                }
                try {
                    apply();
                } finally {
                    if (pieces != null) {
                        pieces.clear();
                    }
                    lock.lock();
                    try {
                        recycleBatch();
                        draining = false;
                    } finally {
                        lock.unlock();
                    }
                }
            }
        }

        /** Whether a write numbered before {@code unique} was read and is not in the queue yet; the lock is held. */
        private boolean expectsBefore(long unique) {
            return !waiting.isEmpty() && waiting.first() < unique || !undelivered.isEmpty() && undelivered.first() < unique;
        }

        /** Moves the head, and with batching the contiguous writes right behind it, to the batch; the lock is held. */
        private void takeBatch() {
            Item<R> head = items.pollFirst();
            batch = head;
            batchSize = 1;
            if (head.barrier != null || !config.batching()) {
                return;
            }
            long end = head.offset + head.length();
            long bytes = head.length();
            Item<R> last = head;
            while (true) {
                Item<R> next = items.firstValue();
                if (next == null || next.barrier != null || next.offset != end || !sequencer.isSettled(next.unique)
                        || expectsBefore(next.unique)
                        || next.acknowledged != head.acknowledged || bytes + next.length() > MAX_BATCH_BYTES) {
                    return;
                }
                last.next = items.pollFirst();
                last = next;
                batchSize++;
                end += next.length();
                bytes += next.length();
            }
        }

        /** Applies the batch; only the draining thread calls it. */
        private void apply() {
            Item<R> head = batch;
            if (head.barrier != null) {
                runBarrier(head);
                return;
            }
            if (batchSize > 1) {
                try {
                    List<MemorySegment> gathered = emptyPieces();
                    long total = 0;
                    for (Item<R> item = head; item != null; item = item.next) {
                        gathered.add(item.data);
                        total += item.length();
                    }
                    long written = backend.write(head.request, head.offset, gathered);
                    if (written == total) {
                        batched.add(batchSize);
                        for (Item<R> item = head; item != null; item = item.next) {
                            finishWrite(item, item.length(), null);
                        }
                        return;
                    }
                } catch (Exception e) {
                    // A gathered write that fell short: apply each piece alone, so each gets its own answer.
                }
            }
            for (Item<R> item = head; item != null; item = item.next) {
                try {
                    List<MemorySegment> single = emptyPieces();
                    single.add(item.data);
                    finishWrite(item, backend.write(item.request, item.offset, single), null);
                } catch (Exception e) {
                    finishWrite(item, 0, e);
                }
            }
        }

        /** The draining thread's pieces list, emptied. */
        private List<MemorySegment> emptyPieces() {
            if (pieces == null) {
                pieces = new ArrayList<>();
            } else {
                pieces.clear();
            }
            return pieces;
        }

        private void finishWrite(Item<R> item, long written, Throwable failure) {
            long latency = System.nanoTime() - item.admittedNanos;
            boolean ok = failure == null;
            aggregate.done(ok, written, latency);
            completed(ok, written, latency);
            if (item.acknowledged) {
                int errno = ok ? (written < item.length() ? Errno.EIO : 0) : Errno.of(failure);
                if (errno != 0) {
                    recordFailure(errno, failure);
                }
                backend.release(item.request, errno);
            } else {
                backend.answer(item.request, written, failure);
            }
        }

        private void recordFailure(int errno, Throwable failure) {
            lost.increment();
            lock.lock();
            try {
                if (unreportedErrno == 0) {
                    unreportedErrno = errno;
                }
            } finally {
                lock.unlock();
            }
            LOG.log(System.Logger.Level.WARNING, "a write-behind write on handle " + key.fh() + " failed ("
                    + Errno.name(errno) + "); the next flush or fsync of that file reports it", failure);
        }

        private void runBarrier(Item<R> item) {
            Throwable failure = null;
            try {
                backend.barrier(item.request);
            } catch (Exception e) {
                failure = e;
            }
            int deferredErrno;
            lock.lock();
            try {
                deferredErrno = unreportedErrno;
                if (item.barrier != Barrier.RELEASE) {
                    unreportedErrno = 0;
                }
            } finally {
                lock.unlock();
            }
            if (failure == null && deferredErrno != 0) {
                if (item.barrier == Barrier.RELEASE) {
                    LOG.log(System.Logger.Level.WARNING, "handle " + key.fh() + " closed with an unreported "
                            + "write-behind failure (" + Errno.name(deferredErrno) + ")");
                } else {
                    failure = new FuseException(deferredErrno, "an earlier write-behind write failed");
                }
            }
            if (item.barrier == Barrier.RELEASE) {
                queues.remove(key, this);
            }
            backend.answer(item.request, 0, failure);
        }

        private void completed(boolean ok, long written, long latency) {
            lock.lock();
            try {
                stats.done(ok, written, latency);
                count--;
                pendingTotal.decrementAndGet();
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        WriteQueueStats.Counts counts() {
            lock.lock();
            try {
                return stats.snapshot(count);
            } finally {
                lock.unlock();
            }
        }

        void awaitEmpty(long deadline) throws InterruptedException, TimeoutException {
            lock.lock();
            try {
                while (count > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new TimeoutException("write queue of handle " + key.fh() + " (node " + key.nodeId()
                                + ") still holds " + count + " writes");
                    }
                    changed.awaitNanos(left);
                }
            } finally {
                lock.unlock();
            }
        }

        long abandon() {
            lock.lock();
            try {
                long abandoned = 0;
                for (int i = 0; i < items.size(); i++) {
                    if (items.valueAt(i).acknowledged) {
                        abandoned++;
                    }
                }
                return abandoned;
            } finally {
                lock.unlock();
            }
        }
    }

    // ---- statistics

    /** Over all handles: updated by many workers at once, so without a lock. */
    private static final class Stats {
        final long startNanos = System.nanoTime();
        final LongAdder total = new LongAdder();
        final LongAdder completed = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder bytes = new LongAdder();
        final LongAdder latencyNanos = new LongAdder();
        final AtomicLong highWater = new AtomicLong();

        void queued(long queueSize) {
            total.increment();
            highWater.accumulateAndGet(queueSize, Math::max);
        }

        void done(boolean ok, long written, long latency) {
            (ok ? completed : failed).increment();
            bytes.add(written);
            latencyNanos.add(latency);
        }

        WriteQueueStats.Counts snapshot(long queueSize) {
            return counts(startNanos, total.sum(), completed.sum(), failed.sum(), bytes.sum(), latencyNanos.sum(),
                    highWater.get(), queueSize);
        }

        static WriteQueueStats.Counts counts(long startNanos, long total, long completed, long failed, long bytes,
                                             long latencyNanos, long highWater, long queueSize) {
            long finished = completed + failed;
            double seconds = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
            return new WriteQueueStats.Counts(total, completed, failed, bytes, queueSize, highWater,
                    finished == 0 ? 0 : latencyNanos / 1e6 / finished, bytes / seconds);
        }

        static WriteQueueStats.Counts sum(WriteQueueStats.Counts a, WriteQueueStats.Counts b) {
            long finished = a.completedOperations() + a.failedOperations() + b.completedOperations()
                    + b.failedOperations();
            double latency = finished == 0 ? 0 : (a.avgLatencyMs() * (a.completedOperations() + a.failedOperations())
                    + b.avgLatencyMs() * (b.completedOperations() + b.failedOperations())) / finished;
            return new WriteQueueStats.Counts(a.totalOperations() + b.totalOperations(),
                    a.completedOperations() + b.completedOperations(), a.failedOperations() + b.failedOperations(),
                    a.bytesWritten() + b.bytesWritten(), a.queueSize() + b.queueSize(),
                    Math.max(a.maxQueueSize(), b.maxQueueSize()), latency, a.throughput() + b.throughput());
        }
    }

    /** One handle's counts: plain fields, as every update already holds the handle's lock, which guards them. */
    private static final class HandleStats {
        final long startNanos = System.nanoTime();
        long total;
        long completed;
        long failed;
        long bytes;
        long latencyNanos;
        long highWater;

        void queued(long queueSize) {
            total++;
            highWater = Math.max(highWater, queueSize);
        }

        void done(boolean ok, long written, long latency) {
            if (ok) {
                completed++;
            } else {
                failed++;
            }
            bytes += written;
            latencyNanos += latency;
        }

        WriteQueueStats.Counts snapshot(long queueSize) {
            return Stats.counts(startNanos, total, completed, failed, bytes, latencyNanos, highWater, queueSize);
        }
    }
}
