package io.javafuse.filesystems.passthrough;

import io.javafuse.api.Errno;
import io.javafuse.api.FuseException;
import io.javafuse.sys.FileSyscalls;
import io.javafuse.sys.FileSyscalls.DirentReader;

import java.io.IOException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An open directory: a descriptor read with getdents64, and the entries of the last read that
 * the kernel has not taken yet. Offsets are the source filesystem's own {@code d_off} cookies,
 * so a listing continues at the right entry even after names were added or removed, exactly as
 * telldir/seekdir on the source directory would.
 */
final class DirectoryHandle implements AutoCloseable {
    /** What a consumer did with an entry. */
    enum Taken {
        /** Handed to the kernel. */
        YES,
        /** Passed over (it vanished since getdents read it); the kernel never saw it. */
        SKIPPED,
        /** Not taken and listing stops: the next listing starts with this entry. */
        STOP
    }

    @FunctionalInterface
    interface EntryConsumer {
        /** {@code entry} is valid during the call only. */
        Taken accept(DirentReader entry) throws IOException;
    }

    final Inode inode;
    final int fd;
    private final DirectoryBuffers buffers;
    private final DirectoryBuffers.Lease lease;
    private final DirentReader entries;
    private final ReentrantLock lock = new ReentrantLock();
    /**
     * The cookie of the last entry the kernel got: the offset its next request carries when it
     * simply goes on. Entries skipped after it do not move it, because seeking the source to a
     * skipped entry's cookie is not safe: tmpfs restarts the listing when the entry a cookie
     * points at has been removed.
     */
    private long position;
    private long filled;
    private long next;
    /** Once closed, the descriptor number and the buffer may belong to another directory. */
    private boolean closed;

    DirectoryHandle(Inode inode, int fd, DirectoryBuffers buffers) {
        this.inode = inode;
        this.fd = fd;
        this.buffers = buffers;
        this.lease = buffers.take();
        this.entries = new DirentReader(lease.buffer());
    }

    /** Hands entries after {@code offset} to {@code consumer} until it stops or the directory ends. */
    void list(long offset, EntryConsumer consumer) throws IOException {
        lock.lock();
        try {
            if (closed) {
                throw new FuseException(Errno.EBADF, "directory handle already released");
            }
            if (offset != position) {
                FileSyscalls.lseek(fd, offset, FileSyscalls.SEEK_SET);
                position = offset;
                filled = 0;
                next = 0;
            }
            while (true) {
                if (next >= filled) {
                    filled = FileSyscalls.getdents64(fd, lease.buffer());
                    next = 0;
                    if (filled == 0) {
                        return;
                    }
                }
                entries.moveTo(next);
                Taken taken = consumer.accept(entries);
                if (taken == Taken.STOP) {
                    return;
                }
                next += entries.recordLength();
                if (taken == Taken.YES) {
                    position = entries.nextOffset();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            FileSyscalls.closeQuietly(fd);
            buffers.give(lease);
        } finally {
            lock.unlock();
        }
    }
}
