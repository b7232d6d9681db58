package io.javafuse.shutdown;

import io.javafuse.api.ShutdownCallback;
import io.javafuse.api.ShutdownState;
import io.javafuse.api.ShutdownStats;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Takes a mount from RUNNING through DRAINING and UNMOUNTING to CLOSED, once, whoever asks and
 * however often: the first reason wins, later callers get the same future. Each phase has a
 * timeout; past it, or when asked to, the shutdown goes on forced (the connection is aborted so
 * nothing waits on it) and its statistics say so.
 */
public final class ShutdownManager {
    private static final System.Logger LOG = System.getLogger(ShutdownManager.class.getName());
    private static final long POLL_NANOS = 10_000_000;
    /** After an abort, how long the session gets to notice that its device is gone. */
    private static final Duration AFTER_ABORT = Duration.ofSeconds(3);

    /** The mount, as the shutdown sees it. */
    public interface Target {
        /** Refuse new work from now on; cleanup (FLUSH, FSYNC, RELEASE, FORGET ...) still runs. */
        void beginDraining();

        /** Whether every admitted request is answered and every queued write applied. */
        boolean isDrained();

        /** What is still pending, for a failure reason. */
        String pending();

        /** Unmounts: detached lazily if busy; the session ends when the kernel lets go. */
        void unmount() throws Exception;

        /** Aborts the connection (callers get ENOTCONN at once) and detaches the mount. */
        void abort();

        boolean isClosed();

        /** Requests answered so far, requests refused so far, queued writes applied so far. */
        long requestsCompleted();

        long requestsRefused();

        long writesApplied();

        /** Acknowledged writes that failed or were never applied. */
        long writesLost();
    }

    private final Target target;
    private final AtomicReference<ShutdownState> state = new AtomicReference<>(ShutdownState.RUNNING);
    private final AtomicReference<String> reason = new AtomicReference<>();
    private final CompletableFuture<ShutdownStats> completion = new CompletableFuture<>();
    private final List<ShutdownCallback> callbacks = new CopyOnWriteArrayList<>();
    private volatile Duration drainingTimeout = Duration.ofSeconds(5);
    private volatile Duration unmountingTimeout = Duration.ofSeconds(8);
    private volatile String forceReason;
    /** Set when a force aborted the connection itself, outside the shutdown thread. */
    private volatile boolean abortedByForce;

    public ShutdownManager(Target target) {
        this.target = target;
    }

    public ShutdownState state() {
        return state.get();
    }

    public void configureTimeouts(Duration draining, Duration unmounting) {
        if (draining.isNegative() || unmounting.isNegative()) {
            throw new IllegalArgumentException("timeouts must not be negative");
        }
        drainingTimeout = draining;
        unmountingTimeout = unmounting;
    }

    public void register(ShutdownCallback callback) {
        callbacks.add(callback);
    }

    /** The statistics once CLOSED, else null. */
    public ShutdownStats stats() {
        return completion.getNow(null);
    }

    public CompletableFuture<ShutdownStats> completion() {
        return completion;
    }

    /** Starts a graceful shutdown within {@code budget}, unless one is already under way. */
    public CompletableFuture<ShutdownStats> initiateGraceful(String why, Duration budget) {
        start(why, budget);
        return completion;
    }

    /**
     * Aborts now: callers get ENOTCONN at once; queued writes are counted lost, never hidden. Once
     * the mount is closed there is nothing left to force: its connection id and mountpoint may
     * already belong to another mount, which an abort would take down.
     */
    public CompletableFuture<ShutdownStats> forceImmediate(String why) {
        if (completion.isDone()) {
            return completion;
        }
        if (forceReason == null) {
            forceReason = why;
        }
        if (!start(why, Duration.ZERO) && !target.isClosed()) {
            abortedByForce = true;
            target.abort();
        }
        return completion;
    }

    /** The session ended by itself (an unmount from outside): record it, if nothing else did. */
    public void sessionEnded() {
        start("unmounted from outside", unmountingTimeout);
    }

    private boolean start(String why, Duration budget) {
        if (!reason.compareAndSet(null, why)) {
            return false;
        }
        Thread.ofPlatform().name("javafuse-shutdown").daemon(false).start(() -> run(why, budget));
        return true;
    }

    private void run(String why, Duration budget) {
        long start = System.nanoTime();
        long deadline = start + budget.toNanos();
        Map<ShutdownState, Long> phases = new EnumMap<>(ShutdownState.class);
        String failure = forceReason != null ? "forced: " + forceReason : null;
        long drained = 0;
        long refusedBefore = target.requestsRefused();
        long writesBefore = target.writesApplied();
        long lostBefore = target.writesLost();
        callbacks.forEach(c -> safely(() -> c.onShutdownBegin(why)));
        try {
            // DRAINING: only if the session is still there to drain.
            if (!target.isClosed()) {
                transition(ShutdownState.RUNNING, ShutdownState.DRAINING);
                long phaseStart = System.nanoTime();
                long completedBefore = target.requestsCompleted();
                target.beginDraining();
                if (failure == null && !await(target::isDrained, phaseDeadline(phaseStart, drainingTimeout, deadline))) {
                    failure = forceReason != null ? "forced: " + forceReason
                            : "draining did not finish within " + millis(System.nanoTime() - phaseStart) + " ms ("
                                    + target.pending() + ")";
                }
                drained = target.requestsCompleted() - completedBefore;
                phases.put(ShutdownState.DRAINING, millis(System.nanoTime() - phaseStart));
            }
            // UNMOUNTING
            transition(state.get(), ShutdownState.UNMOUNTING);
            long phaseStart = System.nanoTime();
            if (failure == null) {
                try {
                    target.unmount();
                } catch (Exception e) {
                    failure = forceReason != null ? "forced: " + forceReason : "unmount failed: " + e.getMessage();
                }
            }
            if (failure == null && !await(target::isClosed, phaseDeadline(phaseStart, unmountingTimeout, deadline))) {
                failure = forceReason != null ? "forced: " + forceReason
                        : "unmounting did not finish within " + millis(System.nanoTime() - phaseStart) + " ms";
            }
            if (failure != null && !target.isClosed()) {
                target.abort();
                // Not cut short by a forced shutdown: this is the wait that makes CLOSED mean closed.
                awaitUntil(target::isClosed, System.nanoTime() + AFTER_ABORT.toNanos());
            }
            phases.put(ShutdownState.UNMOUNTING, millis(System.nanoTime() - phaseStart));
            // The abort can end the session between two polls, so the waits above may all have
            // succeeded: callers still got ENOTCONN, and that is not a graceful shutdown.
            if (failure == null && abortedByForce) {
                failure = "forced: " + forceReason;
            }
        } catch (RuntimeException | Error e) {
            // An Error too: a process out of descriptors cannot even load a class, and the mount
            // must still come down.
            failure = "shutdown failed: " + e;
            log(System.Logger.Level.ERROR, "shutdown failed", e);
            try {
                target.abort();
            } catch (RuntimeException | Error again) {
                log(System.Logger.Level.ERROR, "aborting the connection failed", again);
            }
        }
        transition(state.get(), ShutdownState.CLOSED);
        if (failure != null) {
            log(System.Logger.Level.WARNING, "shutdown (" + why + ") was forced: " + failure, null);
        }
        ShutdownStats stats = new ShutdownStats(ShutdownState.CLOSED, why, failure == null, failure, Map.copyOf(phases),
                millis(System.nanoTime() - start), drained, target.requestsRefused() - refusedBefore,
                target.writesApplied() - writesBefore, target.writesLost() - lostBefore);
        callbacks.forEach(c -> safely(() -> c.onShutdownComplete(stats)));
        completion.complete(stats);
    }

    private long phaseDeadline(long phaseStart, Duration timeout, long overall) {
        return Math.min(phaseStart + timeout.toNanos(), Math.max(overall, phaseStart));
    }

    /** Waits for {@code condition} until the deadline, or until a forced shutdown is asked for. */
    private boolean await(java.util.function.BooleanSupplier condition, long deadline) {
        return waitFor(condition, deadline, true);
    }

    /** Waits for {@code condition} until the deadline, whatever else is asked for meanwhile. */
    private boolean awaitUntil(java.util.function.BooleanSupplier condition, long deadline) {
        return waitFor(condition, deadline, false);
    }

    private boolean waitFor(java.util.function.BooleanSupplier condition, long deadline, boolean untilForced) {
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() >= deadline || (untilForced && forceReason != null)) {
                return condition.getAsBoolean();
            }
            java.util.concurrent.locks.LockSupport.parkNanos(POLL_NANOS);
        }
        return true;
    }

    private void transition(ShutdownState from, ShutdownState to) {
        if (from == to || !state.compareAndSet(from, to)) {
            return;
        }
        callbacks.forEach(c -> safely(() -> c.onStateChange(from, to)));
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    private static void safely(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            log(System.Logger.Level.WARNING, "a shutdown callback failed", e);
        }
    }

    /**
     * Logs, and never throws: a logger that fails (its first record loads the time zone from a
     * file, which a process out of descriptors cannot open) must not stop the shutdown. Falls
     * back to stderr, which is already open.
     */
    private static void log(System.Logger.Level level, String message, Throwable thrown) {
        try {
            LOG.log(level, message, thrown);
        } catch (RuntimeException | Error e) {
            System.err.println("javafuse: " + message + (thrown == null ? "" : ": " + thrown));
        }
    }
}
