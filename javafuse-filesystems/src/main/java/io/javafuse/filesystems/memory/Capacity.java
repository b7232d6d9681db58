package io.javafuse.filesystems.memory;

import java.util.concurrent.atomic.AtomicLong;

/** The bytes the filesystem may hold, and how many its files' pages take now. */
final class Capacity {
    private final long total;
    private final AtomicLong used = new AtomicLong();

    Capacity(long total) {
        this.total = total;
    }

    long total() {
        return total;
    }

    long used() {
        return used.get();
    }

    /** Takes {@code bytes} if they are all free; false (and nothing taken) otherwise. */
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
}
