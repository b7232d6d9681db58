package io.javafuse.dispatch;

import io.javafuse.api.DispatcherConfig;
import io.javafuse.api.DispatcherShutdown;
import io.javafuse.api.DispatcherStats;
import io.javafuse.api.Errno;
import io.javafuse.api.Operation;
import io.javafuse.api.Priority;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Decides when and on which thread each request's handler runs.
 *
 * <p>Reader threads {@link #submit} requests; a bounded queue in three priorities holds them
 * until a worker (a virtual thread by default, or a fixed pool of platform threads) takes the
 * next. When the queue is full, {@code submit} blocks: the reader stops reading and the kernel
 * keeps the rest, so load never drops a request and memory stays bounded. A request is tracked
 * from submission to completion, so an INTERRUPT can find it by the kernel's unique id: still
 * queued, it is answered EINTR without running; running, its handler is interrupted.
 *
 * <p>Statistics are kept with adders and atomics; the queue itself is guarded by one lock, held
 * only to move a request in or out. Nothing is allocated per request: the dispatcher's
 * bookkeeping lives in the request ({@link Dispatchable}), and the requests in flight in an
 * {@link InFlight} table of reused slots.
 *
 * @param <R> the request type; the session's requests, or a test's
 */
public final class Dispatcher<R extends Dispatcher.Dispatchable> {
    private static final System.Logger LOG = System.getLogger(Dispatcher.class.getName());

    /** Operations that still run while the dispatcher shuts down: they free resources and finish work. */
    public static final Set<Operation> CLEANUP = EnumSet.of(Operation.FORGET, Operation.BATCH_FORGET,
            Operation.RELEASE, Operation.RELEASEDIR, Operation.FLUSH, Operation.FSYNC, Operation.FSYNCDIR,
            Operation.INTERRUPT, Operation.DESTROY);

    /**
     * What the dispatcher needs of a request, and its bookkeeping for it while in flight (guarded
     * by the dispatcher's locks): a class, not an interface, so that submitting allocates nothing.
     * One object may be submitted again (a pooled request) once {@link #completed} returned for it.
     * The fields are the dispatcher's alone (package-private, where subclasses elsewhere cannot see them).
     */
    public abstract static class Dispatchable {
        /** The priority it is queued at. */
        Priority queuedAt;
        /** Submission order, for FIFO across priorities. */
        long sequence;
        long receivedAt;
        /** Taken by a worker (or run inline): too late to refuse it on INTERRUPT. */
        boolean running;
        /** Its place in the {@link InFlight} table; -1 while not in flight. */
        int slot = -1;

        public abstract long unique();

        /** The operation, or null for an opcode the engine does not know (it runs at NORMAL priority). */
        public abstract Operation operation();

        /** Tells a running handler that its caller gave up (a flag, and a Java interrupt of its thread). */
        public abstract void interrupt();

        /** Whether this request is cleanup that must run even while shutting down (beyond {@link #CLEANUP}). */
        public boolean isCleanup() {
            return false;
        }

        /**
         * Whether the submitting thread may run this request itself when nothing is queued
         * (see {@link DispatcherConfig#inline}): true only for handlers known to be quick.
         */
        public boolean mayRunInline() {
            return false;
        }

        /** A priority for this request in particular (a write on an O_SYNC file), or null for its operation's. */
        public Priority priority() {
            return null;
        }

        /**
         * When the request was received ({@link System#nanoTime}), where latency starts: before any
         * wait for room in the queue. By default, the moment it is submitted.
         */
        public long receivedNanos() {
            return System.nanoTime();
        }
    }

    /** Runs requests; the session's side of the dispatcher. */
    public interface Worker<R> {
        /** Runs the request's handler; the answer may come later, reported through {@link #completed}. */
        void run(R request);

        /** Answers a request with an error without running its handler (then reports it completed). */
        void refuse(R request, int errno);
    }

    /**
     * The requests submitted and not yet completed, in an array of slots reused as requests come
     * and go (it only grows, to the most ever in flight at once). Lookups by unique id scan it:
     * they serve INTERRUPT, which is rare. Its monitor is taken after the dispatcher's lock, never
     * before; a request leaves it in {@link #completed}, and only then may its owner reuse it, so
     * while the monitor is held every request in the table is the one that was submitted.
     */
    private static final class InFlight<R extends Dispatchable> {
        private Dispatchable[] slots = new Dispatchable[64];
        private int[] freeSlots = new int[64];
        private int free;
        private int highWater;
        private volatile int count;

        synchronized void add(R request) {
            int slot;
            if (free > 0) {
                slot = freeSlots[--free];
            } else {
                if (highWater == slots.length) {
                    slots = java.util.Arrays.copyOf(slots, highWater * 2);
                    freeSlots = new int[highWater * 2];
                }
                slot = highWater++;
            }
            slots[slot] = request;
            request.slot = slot;
            count++;
        }

        /** Takes the request out; false if it was not in flight (never submitted, or refused). */
        synchronized boolean remove(R request) {
            int slot = request.slot;
            if (slot < 0 || slots[slot] != request) {
                return false;
            }
            slots[slot] = null;
            request.slot = -1;
            freeSlots[free++] = slot;
            count--;
            return true;
        }

        /** The request in flight with this unique id, or null; the caller holds the monitor. */
        @SuppressWarnings("unchecked")
        R find(long unique) {
            for (int i = 0; i < highWater; i++) {
                Dispatchable request = slots[i];
                if (request != null && request.unique() == unique) {
                    return (R) request;
                }
            }
            return null;
        }

        /** What is in flight, copied out as values: the requests may be reused once they leave. */
        synchronized List<DispatcherShutdown.Pending> pending() {
            List<DispatcherShutdown.Pending> pending = new ArrayList<>(count);
            for (int i = 0; i < highWater; i++) {
                Dispatchable request = slots[i];
                if (request != null) {
                    pending.add(new DispatcherShutdown.Pending(request.unique(), request.operation(), request.running));
                }
            }
            return pending;
        }

        int count() {
            return count;
        }
    }

    private final Worker<R> worker;
    private final int refusal;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final Condition drained = lock.newCondition();
    @SuppressWarnings("unchecked")
    private final ArrayDeque<R>[] queues = new ArrayDeque[] {new ArrayDeque<>(), new ArrayDeque<>(),
            new ArrayDeque<>()};
    /** Per priority: higher-priority requests started while this level waited. */
    private final int[] overtaken = new int[3];
    private final InFlight<R> tracked = new InFlight<>();
    private final DispatcherStatistics statistics = new DispatcherStatistics();
    private final java.util.concurrent.atomic.LongAdder refused = new java.util.concurrent.atomic.LongAdder();
    private final List<Thread> workers = new ArrayList<>();

    private volatile DispatcherConfig config;
    private volatile int queued;
    private long sequence;
    /** Workers of an older generation (another kind of thread) leave at their next turn. */
    private int generation;
    private int liveWorkers;
    private int workerNumber;
    /** Workers start with the first request, not with the dispatcher (see the constructor). */
    private boolean workersStarted;
    /** Volatile: {@link #completed} reads it without the lock, after lowering the count shutdown waits on. */
    private volatile boolean shuttingDown;
    private boolean stopped;
    private boolean runningAbandoned;

    /**
     * @param refusal the errno for requests refused during shutdown, and for those still queued
     *                when it gives up waiting
     */
    public Dispatcher(DispatcherConfig config, int refusal, Worker<R> worker) {
        this.config = config;
        this.refusal = refusal;
        this.worker = worker;
        // No workers yet: the first request starts them. A mount builds its dispatcher before the
        // kernel's INIT, and starting 64 virtual threads (and the scheduler's carrier threads)
        // there delayed the mount; no request can come before INIT is answered anyway.
    }

    public DispatcherConfig config() {
        return config;
    }

    /**
     * Admits a request, waiting while the queue is full. During shutdown only {@link #CLEANUP}
     * operations are admitted; others are refused. A request that {@link Dispatchable#mayRunInline}
     * and finds the queue empty runs here, on the calling thread, before this method returns:
     * nothing waits that it could overtake, and no worker has to be woken for it.
     */
    public void submit(R request) throws InterruptedException {
        Operation operation = request.operation();
        Priority priority = request.priority() != null ? request.priority()
                : operation != null ? config.priorityOf(operation) : Priority.NORMAL;
        boolean refuse = false;
        boolean runHere = false;
        lock.lockInterruptibly();
        try {
            while (queued >= config.maxQueueSize() && !shuttingDown) {
                notFull.await();
            }
            if (stopped || (shuttingDown && !CLEANUP.contains(operation) && !request.isCleanup())) {
                refuse = true;
            } else if (queued == 0 && config.inline() && request.mayRunInline()) {
                track(request, priority, true);
                runHere = true;
                statistics.dispatchedInline();
            } else {
                if (!workersStarted) {
                    workersStarted = true;
                    startWorkers(config.concurrency());
                }
                track(request, priority, false);
                queues[priority.ordinal()].addLast(request);
                queued++;
                statistics.dispatched(queued);
                notEmpty.signal();
            }
        } finally {
            lock.unlock();
        }
        if (refuse) {
            refused.increment();
            worker.refuse(request, refusal);
        } else if (runHere) {
            run(request);
        }
    }

    /** The lock is held. */
    private void track(R request, Priority priority, boolean running) {
        if (request.slot >= 0) {
            throw new IllegalStateException("request " + request.unique() + " is already in flight");
        }
        request.queuedAt = priority;
        request.sequence = sequence++;
        request.receivedAt = request.receivedNanos();
        request.running = running;
        tracked.add(request);
    }

    /** Stops admitting new work (cleanup still runs) without waiting: the first phase of a shutdown. */
    public void beginDraining() {
        lock.lock();
        try {
            shuttingDown = true;
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Nobody can receive answers any more (the connection was aborted): a {@link #shutdown} under
     * way or to come stops waiting for running handlers at once.
     */
    public void abandonRunning() {
        lock.lock();
        try {
            runningAbandoned = true;
            drained.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Requests refused because they came during a shutdown. */
    public long refused() {
        return refused.sum();
    }

    /**
     * The kernel interrupted the request with this unique id. Returns false if no such request is
     * queued or running (not read yet, or answered already).
     */
    public boolean interrupt(long unique) {
        R dequeued;
        lock.lock();
        try {
            // The table's monitor keeps the request from completing (and being reused) while it is
            // told: the interrupt reaches this request, never the next one in the same object.
            synchronized (tracked) {
                R request = tracked.find(unique);
                if (request == null) {
                    return false;
                }
                // Cleanup (FLUSH, RELEASE ...) still runs: a killed process's FLUSH must release its locks.
                if (request.running || CLEANUP.contains(request.operation())
                        || !queues[request.queuedAt.ordinal()].remove(request)) {
                    request.interrupt();
                    return true;
                }
                queued--;
                notFull.signal();
                dequeued = request;
            }
        } finally {
            lock.unlock();
        }
        // Out of the queue and still in flight: nothing else can answer it or take it to run.
        worker.refuse(dequeued, Errno.EINTR);
        return true;
    }

    /** A request was answered (or needed no answer). {@code bytes}: data bytes read or written. */
    public void completed(R request, int errno, long bytes) {
        // Read before it leaves the table: from then on its owner may reuse it.
        long receivedAt = request.receivedAt;
        Operation operation = request.operation();
        if (!tracked.remove(request)) {
            return;
        }
        statistics.completed(operation != null ? operation : Operation.CUSE_INIT,
                System.nanoTime() - receivedAt, errno, errno == Errno.EINTR, bytes);
        if (shuttingDown && tracked.count() == 0) {
            lock.lock();
            try {
                drained.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    public DispatcherStats stats() {
        return statistics.snapshot(queued);
    }

    public double p99Ms() {
        return statistics.p99Ms();
    }

    /**
     * Changes queue size, workers and ordering on the live dispatcher. Admitted requests stay
     * queued in their order; workers of a kind no longer wanted leave after their current request.
     */
    public void reconfigure(DispatcherConfig next) {
        lock.lock();
        try {
            DispatcherConfig previous = config;
            config = next;
            if (stopped || !workersStarted) {
                notFull.signalAll();
                return;
            }
            if (previous.virtualThreads() != next.virtualThreads()) {
                generation++;
                liveWorkers = 0;
                startWorkers(next.concurrency());
            } else if (next.concurrency() > liveWorkers) {
                startWorkers(next.concurrency() - liveWorkers);
            }
            notEmpty.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void startWorkers(int count) {
        DispatcherConfig c = config;
        int myGeneration = generation;
        for (int i = 0; i < count; i++) {
            String name = "javafuse-worker-" + workerNumber++;
            Thread.Builder builder = c.virtualThreads() ? Thread.ofVirtual().name(name)
                    : Thread.ofPlatform().name(name).daemon(true);
            Thread thread = builder.unstarted(() -> workLoop(myGeneration));
            workers.add(thread);
            liveWorkers++;
            thread.start();
        }
        workers.removeIf(t -> t.getState() == Thread.State.TERMINATED);
    }

    private void workLoop(int myGeneration) {
        while (true) {
            R request;
            lock.lock();
            try {
                while (true) {
                    if (stopped || myGeneration != generation || liveWorkers > config.concurrency()) {
                        if (myGeneration == generation) {
                            liveWorkers--;
                        }
                        return;
                    }
                    if (queued > 0) {
                        break;
                    }
                    notEmpty.awaitUninterruptibly();
                }
                request = next();
                request.running = true;
                queued--;
                notFull.signal();
            } finally {
                lock.unlock();
            }
            run(request);
        }
    }

    private void run(R request) {
        long unique = request.unique(); // the request may be reused once answered
        try {
            worker.run(request);
        } catch (RuntimeException | Error e) {
            // The session answers handler failures itself; this is a bug in the engine.
            LOG.log(System.Logger.Level.ERROR, "request " + unique + " escaped its handler", e);
        }
    }

    /** The next request to run; the lock is held and the queue is not empty. */
    private R next() {
        if (!config.priorityOrdering()) {
            return oldest();
        }
        int level = 0;
        while (queues[level].isEmpty()) {
            level++;
        }
        // Lower levels waiting behind this one: the longest overtaken beyond the limit goes first.
        for (int lower = queues.length - 1; lower > level; lower--) {
            if (!queues[lower].isEmpty() && overtaken[lower] >= config.starvationLimit()) {
                overtaken[lower] = 0;
                return queues[lower].pollFirst();
            }
        }
        for (int lower = level + 1; lower < queues.length; lower++) {
            if (!queues[lower].isEmpty()) {
                overtaken[lower]++;
            }
        }
        overtaken[level] = 0;
        return queues[level].pollFirst();
    }

    private R oldest() {
        ArrayDeque<R> best = null;
        for (ArrayDeque<R> queue : queues) {
            if (!queue.isEmpty() && (best == null || queue.peekFirst().sequence < best.peekFirst().sequence)) {
                best = queue;
            }
        }
        return best.pollFirst();
    }

    /**
     * Stops admitting new work (cleanup operations still run), waits for what was admitted to
     * finish, then stops the workers. Reports what did not finish in time.
     */
    public DispatcherShutdown shutdown(long timeout, TimeUnit unit) throws InterruptedException {
        long completedBefore = statistics.snapshot(queued).totalCompleted();
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        List<DispatcherShutdown.Pending> unfinished;
        List<R> abandoned = new ArrayList<>();
        lock.lock();
        try {
            if (stopped) {
                return new DispatcherShutdown(tracked.count() == 0, 0, List.of());
            }
            shuttingDown = true;
            notFull.signalAll();
            while (tracked.count() > 0 && !runningAbandoned) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                drained.awaitNanos(left);
            }
            unfinished = tracked.pending();
            stopped = true;
            for (ArrayDeque<R> queue : queues) {
                abandoned.addAll(queue);
                queue.clear();
            }
            queued = 0;
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
        // Never leave a caller waiting: what was still queued is answered now.
        for (R request : abandoned) {
            refused.increment();
            worker.refuse(request, refusal);
        }
        long finished = statistics.snapshot(queued).totalCompleted() - completedBefore;
        return new DispatcherShutdown(unfinished.isEmpty(), finished, List.copyOf(unfinished));
    }

    /** Requests admitted and not yet answered, queued or running. */
    public int pending() {
        return tracked.count();
    }

    public boolean isShuttingDown() {
        return shuttingDown;
    }
}
