package io.javafuse.filesystems.passthrough;

import io.javafuse.api.Errno;
import io.javafuse.api.FuseException;
import io.javafuse.sys.FileSyscalls;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * POSIX record locks passed through to the source as open file description (OFD) locks, one
 * open file description per lock owner and file.
 *
 * <p>POSIX locks belong to a process (the kernel's lock owner), not to a descriptor: the locks
 * of one owner merge and split with each other and never conflict among themselves, and closing
 * any descriptor of the file drops all of them. OFD locks have exactly those rules per open file
 * description, so each (node, owner) gets a description of its own, opened on the first lock
 * and closed on the owner's next FLUSH (the kernel sends one on every close(2)), which releases
 * its locks as close(2) does natively. Processes working on the source directly see these locks
 * and conflict with them.
 */
final class RecordLocks implements AutoCloseable {
    private record Owner(long nodeId, long owner) {}

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Owner, Integer> descriptors = new HashMap<>();

    /** The owner's descriptor for this file, or -1 if the owner has taken no lock on it. */
    int existing(Inode inode, long owner) {
        lock.lock();
        try {
            Integer fd = descriptors.get(new Owner(inode.nodeId, owner));
            return fd != null ? fd : -1;
        } finally {
            lock.unlock();
        }
    }

    /** The owner's descriptor for this file, opened on first use (for reading and writing when it can be). */
    int descriptor(Inode inode, long owner) throws FuseException {
        Owner key = new Owner(inode.nodeId, owner);
        lock.lock();
        try {
            Integer fd = descriptors.get(key);
            if (fd == null) {
                fd = reopen(inode);
                descriptors.put(key, fd);
            }
            return fd;
        } finally {
            lock.unlock();
        }
    }

    private static int reopen(Inode inode) throws FuseException {
        String path = FileSyscalls.procPath(inode.fd);
        int flags = FileSyscalls.O_CLOEXEC | FileSyscalls.O_NONBLOCK;
        FuseException last = null;
        // A read lock needs a readable descriptor and a write lock a writable one; a file that
        // cannot be opened for writing (read-only source, running program) can still be read-locked.
        for (int access : new int[] {FileSyscalls.O_RDWR, FileSyscalls.O_RDONLY, FileSyscalls.O_WRONLY}) {
            try {
                return FileSyscalls.openat(FileSyscalls.AT_FDCWD, path, flags | access, 0);
            } catch (FuseException e) {
                if (e.errno() != Errno.EROFS && e.errno() != Errno.ETXTBSY && e.errno() != Errno.EACCES
                        && e.errno() != Errno.EPERM) {
                    throw e;
                }
                last = e;
            }
        }
        throw last;
    }

    /** The owner closed a descriptor of the file: all its locks on it go, as with close(2). */
    void release(long nodeId, long owner) {
        Integer fd;
        lock.lock();
        try {
            fd = descriptors.remove(new Owner(nodeId, owner));
        } finally {
            lock.unlock();
        }
        if (fd != null) {
            FileSyscalls.closeQuietly(fd);
        }
    }

    /** The node is forgotten: no owner can hold locks through it any more. */
    void releaseAll(long nodeId) {
        List<Integer> closing = new ArrayList<>();
        lock.lock();
        try {
            for (Iterator<Map.Entry<Owner, Integer>> it = descriptors.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Owner, Integer> entry = it.next();
                if (entry.getKey().nodeId() == nodeId) {
                    closing.add(entry.getValue());
                    it.remove();
                }
            }
        } finally {
            lock.unlock();
        }
        closing.forEach(FileSyscalls::closeQuietly);
    }

    @Override
    public void close() {
        List<Integer> closing;
        lock.lock();
        try {
            closing = new ArrayList<>(descriptors.values());
            descriptors.clear();
        } finally {
            lock.unlock();
        }
        closing.forEach(FileSyscalls::closeQuietly);
    }
}
