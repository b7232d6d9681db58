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
import java.util.concurrent.ConcurrentHashMap;
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
 * by the kernel's unique id from submission to completion, so an INTERRUPT can find it: still
 * queued, it is answered EINTR without running; running, its handler is interrupted.
 *
 * <p>Statistics are kept with adders and atomics; the queue itself is guarded by one lock, held
 * only to move a request in or out.
 *
 * @param <R> the request type; the session's requests, or a test's
 */
public final class Dispatcher<R extends Dispatcher.Dispatchable> {
    private static final System.Logger LOG = System.getLogger(Dispatcher.class.getName());

    /** Operations that still run while the dispatcher shuts down: they free resources and finish work. */
    public static final Set<Operation> CLEANUP = EnumSet.of(Operation.FORGET, Operation.BATCH_FORGET,
            Operation.RELEASE, Operation.RELEASEDIR, Operation.FLUSH, Operation.FSYNC, Operation.FSYNCDIR,
            Operation.INTERRUPT, Operation.DESTROY);

    /** What the dispatcher needs of a request. */
    public interface Dispatchable {
        long unique();

        /** The operation, or null for an opcode the engine does not know (it runs at NORMAL priority). */
        Operation operation();

        /** Tells a running handler that its caller gave up (a flag, and a Java interrupt of its thread). */
        void interrupt();

        /** Whether this request is cleanup that must run even while shutting down (beyond {@link #CLEANUP}). */
        default boolean isCleanup() {
            return false;
        }

        /**
         * Whether the submitting thread may run this request itself when nothing is queued
         * (see {@link DispatcherConfig#inline}): true only for handlers known to be quick.
         */
        default boolean mayRunInline() {
            return false;
        }

        /** A priority for this request in particular (a write on an O_SYNC file), or null for its operation's. */
        default Priority priority() {
            return null;
        }

        /**
         * When the request was received ({@link System#nanoTime}), where latency starts: before any
         * wait for room in the queue. By default, the moment it is submitted.
         */
        default long receivedNanos() {
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

    private enum State { QUEUED, RUNNING }

    private static final class Ticket<R extends Dispatchable> {
        final R request;
        final Priority priority;
        final long sequence;
        final long receivedNanos;
        State state = State.QUEUED;

        Ticket(R request, Priority priority, long sequence) {
            this.request = request;
            this.priority = priority;
            this.sequence = sequence;
            this.receivedNanos = request.receivedNanos();
        }
    }

    private final Worker<R> worker;
    private final int refusal;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final Condition drained = lock.newCondition();
    @SuppressWarnings("unchecked")
    private final ArrayDeque<Ticket<R>>[] queues = new ArrayDeque[] {new ArrayDeque<>(), new ArrayDeque<>(),
            new ArrayDeque<>()};
    /** Per priority: higher-priority requests started while this level waited. */
    private final int[] overtaken = new int[3];
    private final ConcurrentHashMap<Long, Ticket<R>> tracked = new ConcurrentHashMap<>();
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
    private boolean shuttingDown;
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
        Ticket<R> runHere = null;
        lock.lockInterruptibly();
        try {
            while (queued >= config.maxQueueSize() && !shuttingDown) {
                notFull.await();
            }
            if (stopped || (shuttingDown && !CLEANUP.contains(operation) && !request.isCleanup())) {
                refuse = true;
            } else if (queued == 0 && config.inline() && request.mayRunInline()) {
                runHere = new Ticket<>(request, priority, sequence++);
                runHere.state = State.RUNNING;
                tracked.put(request.unique(), runHere);
                statistics.dispatchedInline();
            } else {
                if (!workersStarted) {
                    workersStarted = true;
                    startWorkers(config.concurrency());
                }
                Ticket<R> ticket = new Ticket<>(request, priority, sequence++);
                tracked.put(request.unique(), ticket);
                queues[priority.ordinal()].addLast(ticket);
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
        } else if (runHere != null) {
            run(runHere);
        }
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
        Ticket<R> ticket = tracked.get(unique);
        if (ticket == null) {
            return false;
        }
        boolean wasQueued = false;
        lock.lock();
        try {
            // Cleanup (FLUSH, RELEASE ...) still runs: a killed process's FLUSH must release its locks.
            if (ticket.state == State.QUEUED && !CLEANUP.contains(ticket.request.operation())
                    && queues[ticket.priority.ordinal()].remove(ticket)) {
                queued--;
                notFull.signal();
                wasQueued = true;
            }
        } finally {
            lock.unlock();
        }
        if (wasQueued) {
            worker.refuse(ticket.request, Errno.EINTR);
        } else {
            ticket.request.interrupt();
        }
        return true;
    }

    /** A request was answered (or needed no answer). {@code bytes}: data bytes read or written. */
    public void completed(R request, int errno, long bytes) {
        Ticket<R> ticket = tracked.remove(request.unique());
        if (ticket == null) {
            return;
        }
        Operation operation = request.operation();
        statistics.completed(operation != null ? operation : Operation.CUSE_INIT,
                System.nanoTime() - ticket.receivedNanos, errno, errno == Errno.EINTR, bytes);
        if (shuttingDown && tracked.isEmpty()) {
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
            Ticket<R> ticket;
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
                ticket = next();
                ticket.state = State.RUNNING;
                queued--;
                notFull.signal();
            } finally {
                lock.unlock();
            }
            run(ticket);
        }
    }

    private void run(Ticket<R> ticket) {
        try {
            worker.run(ticket.request);
        } catch (RuntimeException | Error e) {
            // The session answers handler failures itself; this is a bug in the engine.
            LOG.log(System.Logger.Level.ERROR, "request " + ticket.request.unique() + " escaped its handler", e);
        }
    }

    /** The next request to run; the lock is held and the queue is not empty. */
    private Ticket<R> next() {
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

    private Ticket<R> oldest() {
        ArrayDeque<Ticket<R>> best = null;
        for (ArrayDeque<Ticket<R>> queue : queues) {
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
        List<DispatcherShutdown.Pending> unfinished = new ArrayList<>();
        List<Ticket<R>> abandoned = new ArrayList<>();
        lock.lock();
        try {
            if (stopped) {
                return new DispatcherShutdown(tracked.isEmpty(), 0, List.of());
            }
            shuttingDown = true;
            notFull.signalAll();
            while (!tracked.isEmpty() && !runningAbandoned) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                drained.awaitNanos(left);
            }
            for (Ticket<R> ticket : tracked.values()) {
                Operation operation = ticket.request.operation();
                unfinished.add(new DispatcherShutdown.Pending(ticket.request.unique(), operation,
                        ticket.state == State.RUNNING));
            }
            stopped = true;
            for (ArrayDeque<Ticket<R>> queue : queues) {
                abandoned.addAll(queue);
                queue.clear();
            }
            queued = 0;
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
        // Never leave a caller waiting: what was still queued is answered now.
        for (Ticket<R> ticket : abandoned) {
            refused.increment();
            worker.refuse(ticket.request, refusal);
        }
        long finished = statistics.snapshot(queued).totalCompleted() - completedBefore;
        return new DispatcherShutdown(unfinished.isEmpty(), finished, List.copyOf(unfinished));
    }

    /** Requests admitted and not yet answered, queued or running. */
    public int pending() {
        return tracked.size();
    }

    public boolean isShuttingDown() {
        return shuttingDown;
    }
}
