package io.javafuse.api;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A live mount. Closing it unmounts the filesystem and waits for the session to end; an
 * unmount from outside ({@code umount}, {@code fusermount3 -u}) ends the session too.
 */
public interface Mount extends AutoCloseable {
    Path mountpoint();

    /** What the kernel and the engine agreed at INIT. */
    ConnectionInfo connection();

    /** Whether the session is still serving requests. */
    boolean isAlive();

    /** Waits until the mount is CLOSED, for example after an unmount from outside or a signal. */
    boolean awaitTermination(Duration timeout) throws InterruptedException;

    /**
     * Routes one operation to {@code handler} on the live mount, instead of the mounted
     * filesystem: for fault injection, instrumentation, or a hot fix. Only {@code handler}'s
     * method for that operation is called; it may delegate to the original filesystem.
     */
    void setOperationHandler(Operation operation, FileSystem handler);

    /**
     * Answers one operation with ENOSYS from now on. After one ENOSYS, current kernels stop
     * sending OPEN, OPENDIR, FLUSH, FSYNC, FSYNCDIR, the xattr calls, ACCESS, CREATE (then
     * MKNOD + OPEN), INTERRUPT, BMAP, POLL, FALLOCATE, RENAME2 (flags then fail with EINVAL),
     * LSEEK, COPY_FILE_RANGE, TMPFILE, STATX (then GETATTR) and SYNCFS for the rest of the
     * mount, so setting a handler back later does not bring those back.
     */
    void removeOperationHandler(Operation operation);

    /** Routes an operation back to the mounted filesystem. */
    void restoreOperationHandler(Operation operation);

    /** Changes queue size, workers and ordering without losing or reordering admitted requests. */
    void setDispatcherConfig(DispatcherConfig config);

    DispatcherConfig dispatcherConfig();

    DispatcherStats dispatcherStats();

    /** Changes write queue limits, write-behind and batching; the limits apply from the next write on. */
    void configureWriteQueues(WriteQueueConfig config);

    WriteQueueConfig writeQueueConfig();

    WriteQueueStats writeQueueStats();

    /**
     * Waits until every write admitted so far on handle {@code fh} is applied.
     *
     * @throws java.util.concurrent.TimeoutException naming the handle and how many writes are left
     */
    void flushWriteQueue(long fh, Duration timeout) throws InterruptedException, java.util.concurrent.TimeoutException;

    /** Waits until every write admitted so far, on every handle, is applied. */
    void flushAllWriteQueues(Duration timeout) throws InterruptedException, java.util.concurrent.TimeoutException;

    ShutdownState shutdownState();

    /**
     * Starts a graceful shutdown (DRAINING, UNMOUNTING, CLOSED) within {@code timeout}, unless one
     * is under way already (then the first reason wins and the same future is returned). Past a
     * phase's timeout the shutdown goes on forced, and its statistics say so.
     */
    java.util.concurrent.CompletableFuture<ShutdownStats> initiateGracefulShutdown(String reason, Duration timeout);

    /**
     * Aborts the connection now (callers get ENOTCONN at once), then detaches the mount. Queued
     * write-behind writes are counted lost in the statistics.
     */
    java.util.concurrent.CompletableFuture<ShutdownStats> forceImmediateShutdown(String reason);

    /** Phase timeouts; defaults 5 s for DRAINING and 8 s for UNMOUNTING. */
    void configureShutdownTimeouts(Duration draining, Duration unmounting);

    void registerShutdownCallback(ShutdownCallback callback);

    /** The shutdown's statistics once CLOSED, else null. */
    ShutdownStats shutdownStats();

    /**
     * A graceful shutdown, waited for: admitted requests and queued writes finish, the mount is
     * removed, the readers stop and the filesystem's destroy runs once.
     */
    @Override
    void close() throws IOException;
}
