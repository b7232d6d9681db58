package io.javafuse.api;

import java.io.IOException;

/**
 * A failure with a precise errno: the engine answers the kernel with {@link #errno()}, so the
 * program that made the system call sees exactly that error.
 */
public class FuseException extends IOException {
    private final int errno;

    public FuseException(int errno) {
        this(errno, Errno.name(errno));
    }

    public FuseException(int errno, String message) {
        super(message);
        if (errno <= 0) {
            throw new IllegalArgumentException("errno must be positive: " + errno);
        }
        this.errno = errno;
    }

    public FuseException(int errno, String message, Throwable cause) {
        this(errno, message);
        initCause(cause);
    }

    /** The positive errno value, for example {@link Errno#ENOENT}. */
    public int errno() {
        return errno;
    }
}
