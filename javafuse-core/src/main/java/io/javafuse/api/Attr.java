package io.javafuse.api;

import java.time.Instant;

/**
 * The attributes of an inode, as {@code stat(2)} reports them.
 *
 * @param blksize the preferred I/O size; 0 lets the mount's {@code blksize} option decide
 */
public record Attr(long ino, int mode, int nlink, int uid, int gid, int rdev, long size, long blocks,
                   int blksize, Instant atime, Instant mtime, Instant ctime) {
    public Attr {
        if (atime == null || mtime == null || ctime == null) {
            throw new NullPointerException("timestamps must not be null");
        }
    }
}
