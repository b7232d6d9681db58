package io.javafuse.filesystems.memory;

import java.time.Instant;

/** A FIFO, socket or device node: only attributes; the kernel serves its I/O itself. */
final class SpecialFile extends Node {
    private final int rdev;

    SpecialFile(long id, int type, int permissions, int uid, int gid, Instant now, int rdev) {
        super(id, type, permissions, uid, gid, 1, now);
        this.rdev = rdev;
    }

    @Override
    long size() {
        return 0;
    }

    @Override
    int rdev() {
        return rdev;
    }
}
