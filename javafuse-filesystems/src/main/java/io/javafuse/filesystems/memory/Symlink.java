package io.javafuse.filesystems.memory;

import io.javafuse.api.FileMode;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/** A symbolic link; its size is the length of its target in bytes, as on Linux. */
final class Symlink extends Node {
    final String target;
    private final long targetLength;

    Symlink(long id, int uid, int gid, Instant now, String target) {
        super(id, FileMode.S_IFLNK, 0777, uid, gid, 1, now);
        this.target = target;
        this.targetLength = target.getBytes(StandardCharsets.UTF_8).length;
    }

    @Override
    long size() {
        return targetLength;
    }
}
