package io.javafuse.api;

import java.io.IOException;

/**
 * A failure with a precise errno: the engine answers the kernel with {@link #errno()}, so the
 * program that made the system call sees exactly that error.
 *
 * <p>It carries no stack trace of its own: it is how a handler answers, as common as a return
 * value (every lookup of a name that does not exist throws one), and filling in a stack trace
 * costs microseconds. A cause keeps its stack trace.
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

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }

    /** The positive errno value, for example {@link Errno#ENOENT}. */
    public int errno() {
        return errno;
    }
}
