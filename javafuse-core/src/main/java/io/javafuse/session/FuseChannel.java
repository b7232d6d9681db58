package io.javafuse.session;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Where requests come from and replies go: /dev/fuse in production ({@link DevFuseChannel}), an
 * in-memory double in tests. Reads and writes may happen from several threads at once.
 */
public interface FuseChannel extends AutoCloseable {
    /** Returned by {@link #read} once the filesystem is unmounted or the connection aborted. */
    int CLOSED = -1;

    /**
     * Reads exactly one request into {@code buffer}; returns its length, or {@link #CLOSED}.
     * Transient errors (EINTR, EAGAIN, ENOENT) are retried here.
     */
    int read(MemorySegment buffer) throws IOException;

    /**
     * Sends one reply or notification, made of {@code header} followed by {@code payload} (which
     * may be empty), in a single write as the protocol requires. Returns false if the kernel no
     * longer waits for it (the request was interrupted or the connection is gone).
     */
    boolean write(MemorySegment header, MemorySegment payload) throws IOException;

    /** Sends the first {@code length} bytes of {@code buffer} as one reply; see {@link #write(MemorySegment, MemorySegment)}. */
    default boolean writePrefix(MemorySegment buffer, long length) throws IOException {
        return write(buffer.asSlice(0, length), MemorySegment.NULL);
    }

    /** A second channel on the same connection with its own processing queue, for another reader thread. */
    FuseChannel cloneChannel() throws IOException;

    /** Registers {@code fd} as a backing file for passthrough; see {@link io.javafuse.api.Request#openBacking}. */
    default int openBacking(int fd) throws IOException {
        throw new io.javafuse.api.FuseException(io.javafuse.api.Errno.EOPNOTSUPP,
                "this channel cannot register backing files");
    }

    default void closeBacking(int backingId) throws IOException {
        throw new io.javafuse.api.FuseException(io.javafuse.api.Errno.EOPNOTSUPP,
                "this channel cannot register backing files");
    }

    @Override
    void close();
}
