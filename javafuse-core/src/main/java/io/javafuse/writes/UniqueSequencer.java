package io.javafuse.writes;

import java.util.concurrent.TimeUnit;

/**
 * Knows which requests the readers have taken from the kernel, in the kernel's order.
 *
 * <p>The kernel numbers requests in the order it queues them (uniques step by 2; an INTERRUPT
 * is its request's unique + 1) and the readers take them in that order, but two readers may
 * return from read() in the other order. A request is <em>settled</em> once every request the
 * kernel numbered before it has been admitted by some reader: from then on nothing earlier can
 * still turn up. A number that never turns up (a request the kernel dropped before anyone read
 * it) is passed over after a short wait.
 */
public final class UniqueSequencer {
    private static final long STEP = 2;
    /** Uniques tracked beyond the low-water mark; a request further ahead skips the gap. */
    private static final int WINDOW = 1 << 16;

    /**
     * Guards the fields below and is waited on for an advance. A monitor, not a ReentrantLock:
     * a reader often waits a moment for the other reader's earlier request, and a Condition
     * allocates a node for every wait (and a lock for every contended acquire); a monitor does not.
     */
    private final Object monitor = new Object();
    /** Admitted uniques above {@link #settledThrough}, as bits by (unique / 2) modulo the window. */
    private final long[] admitted = new long[WINDOW / 64];
    private volatile long settledThrough;
    private int waiters;

    /** @param first the unique of the first request (INIT), which is settled */
    public UniqueSequencer(long first) {
        this.settledThrough = first;
    }

    /** A reader took this request from the kernel. */
    public void admitted(long unique) {
        if (!isSequenced(unique)) {
            return;
        }
        synchronized (monitor) {
            long base = settledThrough;
            if (unique <= base) {
                return;
            }
            if (unique - base > (long) WINDOW * STEP / 2) {
                // Far ahead: the numbers between will not all come; start again from here.
                java.util.Arrays.fill(admitted, 0);
                settledThrough = unique;
            } else {
                set(unique);
                advance();
            }
            if (waiters > 0) {
                monitor.notifyAll();
            }
        }
    }

    /** Whether every request numbered before {@code unique} has been admitted. */
    public boolean isSettled(long unique) {
        return !isSequenced(unique) || unique - STEP <= settledThrough;
    }

    /**
     * Waits until {@code unique} is settled, at most {@code gapTimeout}; past that, the missing
     * numbers before it are taken as requests that will never come.
     */
    public void awaitSettled(long unique, long gapTimeout, TimeUnit unit) throws InterruptedException {
        if (isSettled(unique)) {
            return;
        }
        long deadline = System.nanoTime() + unit.toNanos(gapTimeout);
        synchronized (monitor) {
            waiters++;
            try {
                while (!isSettled(unique)) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        skipTo(unique - STEP);
                        return;
                    }
                    TimeUnit.NANOSECONDS.timedWait(monitor, left);
                }
            } finally {
                waiters--;
            }
        }
    }

    private static boolean isSequenced(long unique) {
        // Odd numbers are interrupts; the resend bit marks a request the kernel sent twice.
        return (unique & 1) == 0 && unique > 0;
    }

    private void skipTo(long unique) {
        while (settledThrough < unique) {
            clear(settledThrough + STEP);
            settledThrough += STEP;
        }
        advance();
    }

    private void advance() {
        long next = settledThrough + STEP;
        while (get(next)) {
            clear(next);
            settledThrough = next;
            next += STEP;
        }
    }

    private int bit(long unique) {
        return (int) ((unique / STEP) & (WINDOW - 1));
    }

    private void set(long unique) {
        int b = bit(unique);
        admitted[b >>> 6] |= 1L << (b & 63);
    }

    private void clear(long unique) {
        int b = bit(unique);
        admitted[b >>> 6] &= ~(1L << (b & 63));
    }

    private boolean get(long unique) {
        int b = bit(unique);
        return (admitted[b >>> 6] & (1L << (b & 63))) != 0;
    }
}
