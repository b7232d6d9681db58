package io.javafuse.session;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Request buffers, each large enough for the biggest request ({@code max_write} + 4 KiB), page
 * aligned, allocated on first use up to a fixed number and then reused. A reader that finds none
 * free waits: that is backpressure, and it bounds the memory a session can take.
 */
public final class BufferPool implements AutoCloseable {
    private static final long PAGE = 4096;

    private final Arena arena = Arena.ofShared();
    private final ConcurrentLinkedQueue<MemorySegment> free = new ConcurrentLinkedQueue<>();
    private final Semaphore available;
    private final int bufferSize;
    private final int capacity;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean closing;

    public BufferPool(int bufferSize, int capacity) {
        this.bufferSize = bufferSize;
        this.capacity = capacity;
        this.available = new Semaphore(capacity);
    }

    public int bufferSize() {
        return bufferSize;
    }

    public int capacity() {
        return capacity;
    }

    /** Takes a buffer, waiting while all are in use. */
    public MemorySegment acquire() throws InterruptedException {
        available.acquire();
        MemorySegment buffer = free.poll();
        if (buffer == null) {
            // Untouched pages of a fresh buffer cost no memory until a large request fills them.
            buffer = arena.allocate(bufferSize, PAGE);
        }
        return buffer;
    }

    public void release(MemorySegment buffer) {
        free.offer(buffer);
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
