package io.javafuse.filesystems.passthrough;

import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.sys.FileSyscalls;
import io.javafuse.sys.FileSyscalls.Stat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The inodes the kernel holds, keyed by node id and by (st_dev, st_ino): one entry per source
 * inode however many names lead to it, so hard links and a file renamed behind our back are the
 * same node. Node ids are never reused.
 *
 * <p>One lock guards the key map and every lookup count; it is held only for map and counter
 * updates, never across a system call other than closing a descriptor found to be a duplicate.
 */
final class InodeTable {
    private record Key(long dev, long ino) {}

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Key, Inode> byKey = new HashMap<>();
    private final ConcurrentHashMap<Long, Inode> byId = new ConcurrentHashMap<>();
    private final Inode root;
    private long nextNodeId = FileSystem.ROOT_ID + 1;

    /** @param rootFd the O_PATH descriptor of the source directory, which the table now owns */
    InodeTable(int rootFd, Stat rootStat) {
        root = new Inode(FileSystem.ROOT_ID, rootFd, rootStat.dev(), rootStat.ino(), FileMode.type(rootStat.mode()));
        root.lookups = 1;
        byKey.put(new Key(root.dev, root.ino), root);
        byId.put(root.nodeId, root);
    }

    Inode root() {
        return root;
    }

    /** The inode of a node id the kernel names; ESTALE if it was forgotten (which the kernel never does). */
    Inode get(long nodeId) throws FuseException {
        Inode inode = byId.get(nodeId);
        if (inode == null) {
            throw new FuseException(Errno.ESTALE, "node " + nodeId + " is not known");
        }
        return inode;
    }

    /**
     * Counts one lookup of the inode {@code fd} refers to and returns it. If the inode is known
     * already, {@code fd} is closed and the known entry (with its own descriptor) is returned;
     * otherwise the new entry keeps {@code fd}. Either way the caller no longer owns {@code fd}.
     */
    Inode take(int fd, Stat stat) {
        Key key = new Key(stat.dev(), stat.ino());
        Inode known;
        lock.lock();
        try {
            known = byKey.get(key);
            if (known == null) {
                Inode inode = new Inode(nextNodeId++, fd, stat.dev(), stat.ino(), FileMode.type(stat.mode()));
                inode.lookups = 1;
                byKey.put(key, inode);
                byId.put(inode.nodeId, inode);
                return inode;
            }
            if (known != root) {
                known.lookups++;
            }
        } finally {
            lock.unlock();
        }
        FileSyscalls.closeQuietly(fd);
        return known;
    }

    /** Counts one more lookup of an inode the kernel holds (a new name for it, as link(2) makes). */
    Inode takeAgain(Inode inode) throws FuseException {
        lock.lock();
        try {
            if (inode == root) {
                return root;
            }
            if (inode.lookups <= 0) {
                throw new FuseException(Errno.ESTALE, inode + " was forgotten");
            }
            inode.lookups++;
            return inode;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The kernel gives back {@code count} lookups; returns the inode if that was its last one
     * (it is out of the table then, and the caller closes its descriptor), otherwise null.
     */
    Inode forget(long nodeId, long count) {
        lock.lock();
        try {
            Inode inode = byId.get(nodeId);
            if (inode == null || inode == root) {
                return null;
            }
            inode.lookups -= Math.min(count, inode.lookups);
            if (inode.lookups > 0) {
                return null;
            }
            byId.remove(nodeId);
            byKey.remove(new Key(inode.dev, inode.ino));
            return inode;
        } finally {
            lock.unlock();
        }
    }

    /** How many inodes are known, the root included. */
    int size() {
        return byId.size();
    }

    /** Empties the table (the root included) and returns what was in it, for closing. */
    List<Inode> clear() {
        lock.lock();
        try {
            List<Inode> all = new ArrayList<>(byId.values());
            byId.clear();
            byKey.clear();
            return all;
        } finally {
            lock.unlock();
        }
    }
}
