package io.javafuse.api;

import java.util.concurrent.CompletionStage;

/**
 * The context of one kernel request: who asked, and whether the caller has given up.
 *
 * <p>A handler answers by returning; to answer later or from another thread, it returns
 * {@code request.later(stage)} and completes the stage when the answer is known.
 *
 * <p>A request is valid until it is answered (the handler returned, or its stage completed):
 * the engine then reuses the object for a later request, so a filesystem must not keep it. The
 * same holds for the memory segments a handler is given (write data, xattr values, read buffers).
 */
public interface Request {
    /** The kernel's id of this request, unique among requests in flight. */
    long unique();

    /** The operation asked for, such as {@link Operation#LOOKUP}. */
    Operation operation();

    int uid();

    int gid();

    int pid();

    /**
     * Whether the caller interrupted this request (a signal reached the process waiting on it).
     * A handler that sees it should stop and throw {@code new FuseException(Errno.EINTR)}.
     */
    boolean isInterrupted();

    /**
     * Answers this request later: the handler returns what this method returns, and the reply is
     * sent when {@code stage} completes (its exception mapped by {@link Errno#of}).
     * Methods that return a primitive ({@code read}, {@code write}, {@code lseek} ...) call it
     * and return any value, which is ignored: {@code request.later(stage); return 0;}.
     */
    <T> T later(CompletionStage<? extends T> stage);

    /**
     * Registers the open descriptor {@code fd} with the kernel as a backing file (the
     * FUSE_DEV_IOC_BACKING_OPEN ioctl) and returns its id, for {@link Open#withPassthrough}. The
     * kernel takes its own reference: {@code fd} may be closed afterwards. The id stays valid until
     * {@link #closeBacking}; an open file already using it keeps its backing file after that.
     * It only uses the file's path and this process's credentials: each open file through it is
     * reopened with that open's own flags.
     *
     * @throws FuseException EPERM when the mount did not negotiate passthrough
     *                       ({@link ConnectionInfo#passthrough()}) or this process lacks
     *                       CAP_SYS_ADMIN; EOPNOTSUPP when the file has no read/write (a
     *                       directory) or this request did not come from /dev/fuse; ELOOP when
     *                       the file is itself on a stacked filesystem (FUSE, overlayfs)
     */
    default int openBacking(int fd) throws java.io.IOException {
        throw new FuseException(Errno.EOPNOTSUPP, "this request cannot register backing files");
    }

    /** Drops the id {@link #openBacking} returned (FUSE_DEV_IOC_BACKING_CLOSE). */
    default void closeBacking(int backingId) throws java.io.IOException {
        throw new FuseException(Errno.EOPNOTSUPP, "this request cannot register backing files");
    }
}
