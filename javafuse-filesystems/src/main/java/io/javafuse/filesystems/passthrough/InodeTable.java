package io.javafuse.filesystems.passthrough;

import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.sys.FileSyscalls;
import io.javafuse.sys.FileSyscalls.Stat;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The inodes the kernel holds, keyed by node id and by (st_dev, st_ino): one entry per source
 * inode however many names lead to it, so hard links and a file renamed behind our back are the
 * same node. Node ids are never reused.
 *
 * <p>A node id names a slot of an array and the slot's generation: {@code generation << 32 |
 * slot}. Finding the inode of a node id, which nearly every request does, is one array read
 * with no lock, no hashing and no boxed key. A slot freed by FORGET is used again with its
 * generation one higher, so an old node id never finds the new inode; a slot whose generation
 * would overflow is never used again. Ids start at 2^32, far from the root's 1.
 *
 * <p>One lock guards the key map, the slots' bookkeeping and every lookup count; it is held only
 * for map and counter updates, never across a system call other than closing a descriptor found
 * to be a duplicate. Slots are written under the lock with release semantics and read without
 * it; a read that finds nothing (which the kernel never causes) looks again under the lock, so
 * that an inode just added is found however the reader learned its id.
 */
final class InodeTable {
    private record Key(long dev, long ino) {}

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Inode[].class);
    private static final long SLOT_MASK = 0xffff_ffffL;
    private static final int FIRST_CAPACITY = 1024;

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Key, Inode> byKey = new HashMap<>();
    /** The inodes by slot; replaced by a larger copy when full (under the lock). */
    private volatile Inode[] slots = new Inode[FIRST_CAPACITY];
    /** Per slot, the generation its next inode gets. */
    private int[] generations = new int[FIRST_CAPACITY];
    /** Freed slots, used again last-freed first. */
    private int[] freeSlots = new int[FIRST_CAPACITY];
    private int freeCount;
    /** Slots below this have been used; the ones above never. */
    private int slotsUsed;
    private final Inode root;

    /** @param rootFd the O_PATH descriptor of the source directory, which the table now owns */
    InodeTable(int rootFd, Stat rootStat) {
        root = new Inode(FileSystem.ROOT_ID, rootFd, rootStat.dev(), rootStat.ino(), FileMode.type(rootStat.mode()));
        root.lookups = 1;
        byKey.put(new Key(root.dev, root.ino), root);
    }

    Inode root() {
        return root;
    }

    /** The inode of a node id the kernel names; ESTALE if it was forgotten (which the kernel never does). */
    Inode get(long nodeId) throws FuseException {
        if (nodeId == FileSystem.ROOT_ID) {
            return root;
        }
        Inode inode = inSlot(slots, nodeId);
        if (inode == null) {
            lock.lock();
            try {
                inode = inSlot(slots, nodeId);
            } finally {
                lock.unlock();
            }
            if (inode == null) {
                throw new FuseException(Errno.ESTALE, "node " + nodeId + " is not known");
            }
        }
        return inode;
    }

    private static Inode inSlot(Inode[] table, long nodeId) {
        long slot = nodeId & SLOT_MASK;
        if (slot >= table.length) {
            return null;
        }
        Inode inode = (Inode) SLOT.getAcquire(table, (int) slot);
        return inode != null && inode.nodeId == nodeId ? inode : null;
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
                int slot = freeSlot();
                long nodeId = (long) generations[slot] << 32 | slot;
                Inode inode = new Inode(nodeId, fd, stat.dev(), stat.ino(), FileMode.type(stat.mode()));
                inode.lookups = 1;
                byKey.put(key, inode);
                SLOT.setRelease(slots, slot, inode);
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

    /** A slot for a new inode, the table grown if none is free; called under the lock. */
    private int freeSlot() {
        if (freeCount > 0) {
            return freeSlots[--freeCount];
        }
        if (slotsUsed == slots.length) {
            int capacity = slots.length * 2;
            slots = Arrays.copyOf(slots, capacity);
            generations = Arrays.copyOf(generations, capacity);
        }
        int slot = slotsUsed++;
        generations[slot] = 1;
        return slot;
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
        if (nodeId == FileSystem.ROOT_ID) {
            return null;
        }
        lock.lock();
        try {
            Inode inode = inSlot(slots, nodeId);
            if (inode == null) {
                return null;
            }
            inode.lookups -= Math.min(count, inode.lookups);
            if (inode.lookups > 0) {
                return null;
            }
            int slot = (int) (nodeId & SLOT_MASK);
            SLOT.setRelease(slots, slot, (Inode) null);
            if (generations[slot] < Integer.MAX_VALUE) {
                generations[slot]++;
                if (freeCount == freeSlots.length) {
                    freeSlots = Arrays.copyOf(freeSlots, freeSlots.length * 2);
                }
                freeSlots[freeCount++] = slot;
            }
            byKey.remove(new Key(inode.dev, inode.ino));
            return inode;
        } finally {
            lock.unlock();
        }
    }

    /** How many inodes are known, the root included (each is in the key map). */
    int size() {
        lock.lock();
        try {
            return byKey.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Empties the table (the root included) and returns what was in it, for closing. The slots
     * in use stay out of the free list, so that no node id is ever handed out twice.
     */
    List<Inode> clear() {
        lock.lock();
        try {
            List<Inode> all = new ArrayList<>(byKey.values());
            byKey.clear();
            slots = new Inode[slots.length];
            return all;
        } finally {
            lock.unlock();
        }
    }
}
