package io.javafuse.api;

import java.time.Instant;

/**
 * The changes a {@code SETATTR} asks for; a null component is left unchanged.
 *
 * @param atimeNow           set atime to the current time ({@code utimensat(..., UTIME_NOW)})
 * @param mtimeNow           set mtime to the current time
 * @param killSetIdBits      clear set-user-id and set-group-id, as a write by an unprivileged caller does
 * @param fh                 the open file the change comes through (ftruncate, fchmod), or {@link FileSystem#NO_HANDLE}
 */
public record SetAttr(Integer mode, Integer uid, Integer gid, Long size, Instant atime, boolean atimeNow,
                      Instant mtime, boolean mtimeNow, Instant ctime, boolean killSetIdBits, long fh) {

    public boolean changesTimes() {
        return atime != null || atimeNow || mtime != null || mtimeNow || ctime != null;
    }
}
