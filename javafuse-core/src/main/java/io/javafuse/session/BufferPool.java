package io.javafuse.session;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Request buffers, each large enough for the biggest request ({@code max_write} + 4 KiB), page
 * aligned, allocated on first use up to a fixed number and then reused. A reader that finds none
 * free waits: that is backpressure, and it bounds the memory a session can take. The number can
 * change while buffers are in use ({@link #resize}), when the dispatcher is reconfigured.
 *
 * <p>Each buffer comes inside the {@link FuseRequest} that owns it, and both are reused. A
 * request is released exactly once, when it is finished: after its answer was sent (or it needed
 * none) and the dispatcher took it out of its in-flight table. By then nothing refers to it any
 * more: an INTERRUPT looks requests up in that table only; a deferred answer ran (releasing is its
 * last step); the write queues dropped it when they answered it (write-behind: when they applied
 * it, long after it was acknowledged); a shutdown copied what it reports as values. A handler
 * that keeps the {@link io.javafuse.api.Request} past its answer sees the next request's header.
 */
public final class BufferPool implements AutoCloseable {
    private static final long PAGE = 4096;

    private final Arena arena = Arena.ofShared();
    /** Requests not in use, a stack under this pool's monitor: no allocation per release. */
    private FuseRequest[] free = new FuseRequest[16];
    private int freeCount;
    private int allocated;
    private final Permits available;
    private final int bufferSize;
    private volatile int capacity;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean closing;

    public BufferPool(int bufferSize, int capacity) {
        this.bufferSize = bufferSize;
        this.capacity = capacity;
        this.available = new Permits(capacity);
    }

    /** A semaphore whose permits can also be taken away, going negative while buffers are out. */
    private static final class Permits extends Semaphore {
        Permits(int permits) {
            super(permits);
        }

        void reduce(int reduction) {
            reducePermits(reduction);
        }
    }

    public int bufferSize() {
        return bufferSize;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * Changes how many buffers may be out at once. Growing lets waiting readers go on at once;
     * shrinking makes them wait until enough buffers came back. Buffers already allocated stay
     * allocated (and reused) until the pool is closed.
     */
    public synchronized void resize(int newCapacity) {
        if (newCapacity < 1) {
            throw new IllegalArgumentException("a buffer pool needs at least one buffer: " + newCapacity);
        }
        int change = newCapacity - capacity;
        capacity = newCapacity;
        if (change > 0) {
            available.release(change);
        } else if (change < 0) {
            available.reduce(-change);
        }
    }

    /** Takes a request and its buffer, waiting while all are in use. */
    public FuseRequest acquire() throws InterruptedException {
        available.acquire();
        synchronized (this) {
            if (freeCount > 0) {
                FuseRequest request = free[--freeCount];
                free[freeCount] = null;
                return request;
            }
            if (++allocated > free.length) {
                free = Arrays.copyOf(free, allocated * 2);
            }
            // Untouched pages of a fresh buffer cost no memory until a large request fills them.
            return new FuseRequest(arena.allocate(bufferSize, PAGE));
        }
    }

    /** Gives back a finished request; see the class comment for when that is. */
    public void release(FuseRequest request) {
        synchronized (this) {
            // Never more than were allocated come back, and the stack grew with every allocation.
            free[freeCount++] = request;
        }
        available.release();
        if (closing && inUse() == 0) {
            closeOnce();
        }
    }

    /** Buffers currently handed out. */
    public int inUse() {
        return capacity - available.availablePermits();
    }

    /** Frees the memory now if no buffer is in use, else when the last one comes back. */
    @Override
    public void close() {
        closing = true;
        if (inUse() == 0) {
            closeOnce();
        }
    }

    private void closeOnce() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }
}
