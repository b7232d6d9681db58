package io.javafuse.filesystems.passthrough;

import io.javafuse.api.Errno;
import io.javafuse.api.FuseException;
import io.javafuse.sys.FileSyscalls;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 *
 * <p>The owners that locked through a handle are remembered with it, and released at its
 * RELEASE too: a FLUSH can be lost (a dying process's FLUSH is interrupted at once, and an
 * interrupted request may be answered without reaching the filesystem), and a RELEASE means
 * every process that shared the handle has closed it, which releases their locks as well.
 */
final class RecordLocks implements AutoCloseable {
    private record Owner(long nodeId, long owner) {}

    /** An owner's open file description; compared by identity, so that a reused number is not mistaken for it. */
    private static final class Description {
        final int fd;

        Description(int fd) {
            this.fd = fd;
        }
    }

    private record Taken(Owner owner, Description description) {}

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Owner, Description> descriptors = new HashMap<>();
    /** Per file handle, the owners that took locks through it, with the description they used. */
    private final Map<Long, Set<Taken>> takenByHandle = new HashMap<>();

    /** Something done with an owner's descriptor while it cannot be closed. */
    @FunctionalInterface
    interface WithDescriptor<T> {
        T apply(int fd) throws FuseException;
    }

    /**
     * Runs {@code action} on the owner's descriptor for this file while no FLUSH can close it,
     * opening the descriptor first if {@code open} and the owner has none; returns null without
     * running it if the owner has none and {@code open} is false. Only non-blocking calls belong
     * here: the lock is shared by all owners.
     */
    <T> T withDescriptor(Inode inode, long owner, long fh, boolean open, WithDescriptor<T> action)
            throws FuseException {
        Owner key = new Owner(inode.nodeId, owner);
        lock.lock();
        try {
            Description description = descriptors.get(key);
            if (description == null) {
                if (!open) {
                    return null;
                }
                description = new Description(reopen(inode));
                descriptors.put(key, description);
            }
            if (open) {
                takenByHandle.computeIfAbsent(fh, _ -> new HashSet<>()).add(new Taken(key, description));
            }
            return action.apply(description.fd);
        } finally {
            lock.unlock();
        }
    }

    private static int reopen(Inode inode) throws FuseException {
        int flags = FileSyscalls.O_CLOEXEC | FileSyscalls.O_NONBLOCK;
        FuseException last = null;
        // A read lock needs a readable descriptor and a write lock a writable one; a file that
        // cannot be opened for writing (read-only source, running program) can still be read-locked.
        for (int access : new int[] {FileSyscalls.O_RDWR, FileSyscalls.O_RDONLY, FileSyscalls.O_WRONLY}) {
            try {
                return FileSyscalls.reopen(inode.fd, flags | access);
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
        Description description;
        lock.lock();
        try {
            if (descriptors.isEmpty()) {
                return; // the usual case, a file never locked: no key to make for every FLUSH
            }
            description = descriptors.remove(new Owner(nodeId, owner));
        } finally {
            lock.unlock();
        }
        if (description != null) {
            FileSyscalls.closeQuietly(description.fd);
        }
    }

    /** The last descriptor of a handle is closed: the owners that locked through it have closed the file. */
    void releaseHandle(long fh) {
        List<Integer> closing;
        lock.lock();
        try {
            // Most handles never locked: nothing to box the handle for, nor to collect.
            Set<Taken> taken = takenByHandle.isEmpty() ? null : takenByHandle.remove(fh);
            if (taken == null) {
                return;
            }
            closing = new ArrayList<>(taken.size());
            for (Taken t : taken) {
                // Only the description used through this handle: one opened after a FLUSH is newer.
                if (descriptors.remove(t.owner(), t.description())) {
                    closing.add(t.description().fd);
                }
            }
        } finally {
            lock.unlock();
        }
        closing.forEach(FileSyscalls::closeQuietly);
    }

    /** The node is forgotten: no owner can hold locks through it any more. */
    void releaseAll(long nodeId) {
        List<Integer> closing = new ArrayList<>();
        lock.lock();
        try {
            for (Iterator<Map.Entry<Owner, Description>> it = descriptors.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Owner, Description> entry = it.next();
                if (entry.getKey().nodeId() == nodeId) {
                    closing.add(entry.getValue().fd);
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
            closing = descriptors.values().stream().map(d -> d.fd).toList();
            descriptors.clear();
            takenByHandle.clear();
        } finally {
            lock.unlock();
        }
        closing.forEach(FileSyscalls::closeQuietly);
    }
}
