package io.javafuse.filesystems.passthrough;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * The getdents64 buffers of open directories, reused. A buffer of its own per directory, in a
 * shared arena closed at closedir, cost a quarter of a small directory's listing: closing a
 * shared arena waits for every thread of the JVM to pass a safepoint (an empty directory's
 * open, list and close took 127-142 µs with it, 97-105 µs without). Up to {@link #KEPT}
 * buffers live in one arena for the filesystem's lifetime; directories open beyond that get a
 * buffer of their own, freed with them as before.
 */
final class DirectoryBuffers implements AutoCloseable {
    static final int SIZE = 32 * 1024;
    /** 64 buffers: 2 MiB, for as many directories listed at the same time. */
    static final int KEPT = 64;

    /** A buffer lent to one open directory; {@code own} is its arena if it is not a kept one. */
    record Lease(MemorySegment buffer, Arena own) {
    }

    private final Arena arena = Arena.ofShared();
    private final ArrayBlockingQueue<MemorySegment> free = new ArrayBlockingQueue<>(KEPT);
    private int kept;

    Lease take() {
        MemorySegment buffer = free.poll();
        if (buffer != null) {
            return new Lease(buffer, null);
        }
        synchronized (this) {
            if (kept < KEPT) {
                kept++;
                return new Lease(arena.allocate(SIZE, 8), null);
            }
        }
        Arena own = Arena.ofShared();
        return new Lease(own.allocate(SIZE, 8), own);
    }

    void give(Lease lease) {
        if (lease.own() != null) {
            lease.own().close();
        } else {
            free.offer(lease.buffer());
        }
    }

    /** Frees the kept buffers; only once no directory is open. */
    @Override
    public void close() {
        arena.close();
    }
}
