package io.javafuse.filesystems.memory;

import io.javafuse.api.Attr;
import io.javafuse.api.FileMode;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An inode of the in-memory filesystem: what every file type shares.
 *
 * <p>The mutable fields are guarded by {@link #lock}. {@link #nlink} is changed only while the
 * filesystem's namespace write lock is held as well, because it follows the directory structure.
 */
abstract sealed class Node permits Directory, RegularFile, Symlink, SpecialFile {
    /** relatime: an access is recorded at least this often even when atime is newer than m/ctime. */
    private static final Duration ATIME_REFRESH = Duration.ofDays(1);
    private static final int S_IXGRP = 0010;

    final long id;
    /** The S_IFMT bits; a node never changes its type, so readers need no lock. */
    final int type;
    final Instant birthTime;
    final ReentrantLock lock = new ReentrantLock();

    int permissions;
    int uid;
    int gid;
    int nlink;
    Instant atime;
    Instant mtime;
    Instant ctime;
    /** Lookups the kernel holds (every Entry handed out), given back by forget. */
    long lookups;
    int openHandles;
    final Map<String, byte[]> xattrs = new LinkedHashMap<>();

    Node(long id, int type, int permissions, int uid, int gid, int nlink, Instant now) {
        this.id = id;
        this.type = type;
        this.permissions = permissions & FileMode.PERMISSIONS;
        this.uid = uid;
        this.gid = gid;
        this.nlink = nlink;
        this.birthTime = now;
        this.atime = now;
        this.mtime = now;
        this.ctime = now;
    }

    /** The st_size of this node. */
    abstract long size();

    /** Allocated storage in 512-byte units. */
    long blocks() {
        return 0;
    }

    int rdev() {
        return 0;
    }

    final Attr attr() {
        return new Attr(id, type | permissions, nlink, uid, gid, rdev(), size(), blocks(), 0, atime, mtime, ctime);
    }

    /** Whether nothing refers to this node any more: no name, no kernel reference, no open file. */
    final boolean isUnused() {
        return nlink == 0 && lookups == 0 && openHandles == 0;
    }

    /** Records a read the way relatime does, so that reads rarely write. */
    final void accessed(Instant now) {
        if (!atime.isAfter(mtime) || !atime.isAfter(ctime) || atime.isBefore(now.minus(ATIME_REFRESH))) {
            atime = now;
        }
    }

    final void modified(Instant now) {
        mtime = now;
        ctime = now;
    }

    /** Drops set-user-id, and set-group-id where it means "set group on exec", as a write by others does. */
    final void killSetIdBits() {
        permissions &= ~FileMode.S_ISUID;
        if ((permissions & S_IXGRP) != 0) {
            permissions &= ~FileMode.S_ISGID;
        }
        // File capabilities are privileges too: a write drops them, as the kernel's killpriv does.
        xattrs.remove("security.capability");
    }
}
