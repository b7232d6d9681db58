package io.javafuse.filesystems.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory file contents live in: 4 KiB pages outside the Java heap, carved from 1 MiB slabs
 * and reused once freed, up to a fixed capacity. Off the heap, a gigabyte of file data costs the
 * garbage collector nothing; on it, every collection copied it.
 */
final class PageStore {
    static final int PAGE_SIZE = 4096;
    private static final long SLAB_SIZE = 1 << 20;

    private final long total;
    private final AtomicLong used = new AtomicLong();
    /** Freed by the garbage collector with the filesystem, which may be mounted more than once. */
    private final Arena arena = Arena.ofAuto();
    private final ConcurrentLinkedQueue<MemorySegment> free = new ConcurrentLinkedQueue<>();
    private MemorySegment slab = MemorySegment.NULL;
    private long slabUsed;

    PageStore(long total) {
        this.total = total;
    }

    long total() {
        return total;
    }

    long used() {
        return used.get();
    }

    /** Takes {@code bytes} of capacity if they are all free; false (and nothing taken) otherwise. */
    boolean tryReserve(long bytes) {
        long current;
        do {
            current = used.get();
            if (bytes > total - current) {
                return false;
            }
        } while (!used.compareAndSet(current, current + bytes));
        return true;
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    /** A zeroed page whose capacity the caller has reserved. */
    MemorySegment page() {
        MemorySegment page = free.poll();
        if (page != null) {
            return page.fill((byte) 0);
        }
        synchronized (this) {
            if (slabUsed == slab.byteSize()) {
                slab = arena.allocate(SLAB_SIZE, PAGE_SIZE); // zeroed by the allocator
                slabUsed = 0;
            }
            MemorySegment fresh = slab.asSlice(slabUsed, PAGE_SIZE);
            slabUsed += PAGE_SIZE;
            return fresh;
        }
    }

    /** Takes a page back for reuse; the caller releases its capacity. */
    void recycle(MemorySegment page) {
        free.add(page);
    }
}
