package io.javafuse.api;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;

/**
 * An inode-level filesystem, the shape of the kernel's own protocol: nodes are named by 64-bit
 * ids that the filesystem chooses (the root is {@link #ROOT_ID}), and every operation that hands
 * a node id to the kernel counts one lookup that {@link #forget} gives back.
 *
 * <p>Every method has a default that answers {@link Errno#ENOSYS}, so a filesystem implements
 * only what it supports. Methods answer by returning; an exception becomes an errno through
 * {@link Errno#of} (a {@link FuseException} keeps its errno, anything unexpected is EIO and is
 * logged), and the filesystem keeps serving. Methods are called concurrently from several
 * threads. To answer asynchronously, return {@link Request#later}.
 *
 * <p>Names, symlink targets and xattr names are the kernel's bytes as strings: UTF-8, with any
 * byte that is not valid UTF-8 kept as an escape character, see {@link Names}.
 */
public interface FileSystem {
    long ROOT_ID = 1;

    /** Passed as {@code fh} where the kernel named no open file. */
    long NO_HANDLE = -1;

    int RENAME_NOREPLACE = 1;
    int RENAME_EXCHANGE = 2;
    int RENAME_WHITEOUT = 4;

    private static <T> T notImplemented() throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    /** Called once, after the kernel's INIT and before any other request. */
    default void init(ConnectionInfo connection) throws IOException {}

    /** Called exactly once when the session ends, however it ends. */
    default void destroy() {}

    /**
     * Operations whose handlers here are quick: they return within microseconds and never wait
     * for another request (no lock held from one request to the next, no network, no waiting
     * for a record lock). When no request is waiting in the dispatcher's queue, the reader
     * thread that read such a request runs it itself, as libfuse does, instead of handing it to
     * a worker: that hand-off costs a thread wake-up, tens of microseconds. While the handler
     * runs, its reader reads nothing, so a handler listed here that blocks holds up the mount.
     * None by default; {@link DispatcherConfig#withInline} turns this off for a whole mount.
     */
    default Set<Operation> inlineOperations() {
        return Set.of();
    }

    default Entry lookup(Request request, long parent, String name) throws IOException {
        return notImplemented();
    }

    /** The kernel drops {@code nlookup} lookups of {@code nodeId}; no answer is sent. */
    default void forget(long nodeId, long nlookup) {}

    default Attr getattr(Request request, long nodeId, long fh) throws IOException {
        return notImplemented();
    }

    default Attr setattr(Request request, long nodeId, SetAttr changes) throws IOException {
        return notImplemented();
    }

    default String readlink(Request request, long nodeId) throws IOException {
        return notImplemented();
    }

    default Entry symlink(Request request, long parent, String name, String target) throws IOException {
        return notImplemented();
    }

    default Entry mknod(Request request, long parent, String name, int mode, int rdev, int umask)
            throws IOException {
        return notImplemented();
    }

    default Entry mkdir(Request request, long parent, String name, int mode, int umask) throws IOException {
        return notImplemented();
    }

    default void unlink(Request request, long parent, String name) throws IOException {
        notImplemented();
    }

    default void rmdir(Request request, long parent, String name) throws IOException {
        notImplemented();
    }

    /** @param flags 0, {@link #RENAME_NOREPLACE}, {@link #RENAME_EXCHANGE} or {@link #RENAME_WHITEOUT} */
    default void rename(Request request, long parent, String name, long newParent, String newName, int flags)
            throws IOException {
        notImplemented();
    }

    default Entry link(Request request, long nodeId, long newParent, String newName) throws IOException {
        return notImplemented();
    }

    /** @param flags the open(2) flags ({@code O_RDONLY}, {@code O_TRUNC} ...) */
    default Open open(Request request, long nodeId, int flags) throws IOException {
        return notImplemented();
    }

    /**
     * Reads into {@code destination}, which is as long as the kernel asked for; returns the bytes
     * read (fewer only at end of file). The segment is valid only until the method returns, or
     * until the stage passed to {@link Request#later} completes.
     */
    default int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
            throws IOException {
        return notImplemented();
    }

    /**
     * Instead of {@link #read}: names a range of an open file that holds the data, so that the
     * engine can move it to the kernel without copying it through a buffer (see {@link ReadSource}).
     * Answers synchronously; returns null to have {@link #read} called instead, which is the default.
     */
    default ReadSource readSource(Request request, long nodeId, long fh, long offset, int size) throws IOException {
        return null;
    }

    /**
     * Writes {@code data}, a read-only view of the kernel's request (no copy was made); returns
     * the bytes written. The segment is valid only until the answer is sent.
     */
    default int write(Request request, long nodeId, long fh, long offset, MemorySegment data, int writeFlags)
            throws IOException {
        return notImplemented();
    }

    /**
     * Writes several contiguous pieces at once: with batching on, writes queued one after another
     * on a handle arrive here together, still as views of the kernel's requests. The default
     * writes them one by one; a filesystem with a vectored write (pwritev) can do better.
     * Returns the bytes written; fewer than the total means the rest failed.
     */
    default long writeGathered(Request request, long nodeId, long fh, long offset, List<MemorySegment> pieces,
                               int writeFlags) throws IOException {
        long written = 0;
        for (MemorySegment piece : pieces) {
            int n = write(request, nodeId, fh, offset + written, piece, writeFlags);
            written += n;
            if (n < piece.byteSize()) {
                break;
            }
        }
        return written;
    }

    /** Called on every close(2) of a descriptor for this open file. */
    default void flush(Request request, long nodeId, long fh, long lockOwner) throws IOException {
        notImplemented();
    }

    /** The last descriptor of the open file is gone. */
    default void release(Request request, long nodeId, long fh, int flags) throws IOException {}

    default void fsync(Request request, long nodeId, long fh, boolean dataOnly) throws IOException {
        notImplemented();
    }

    default Open opendir(Request request, long nodeId, int flags) throws IOException {
        return notImplemented();
    }

    /** Lists entries after {@code offset} (0 for the start) into {@code out} until it is full. */
    default void readdir(Request request, long nodeId, long fh, long offset, DirectoryFiller out)
            throws IOException {
        notImplemented();
    }

    /**
     * Like {@link #readdir}, with each entry's lookup answer; the engine offers the kernel
     * READDIRPLUS only when a filesystem overrides this method.
     */
    default void readdirplus(Request request, long nodeId, long fh, long offset, DirectoryPlusFiller out)
            throws IOException {
        notImplemented();
    }

    default void releasedir(Request request, long nodeId, long fh) throws IOException {}

    default void fsyncdir(Request request, long nodeId, long fh, boolean dataOnly) throws IOException {
        notImplemented();
    }

    default StatFs statfs(Request request, long nodeId) throws IOException {
        return notImplemented();
    }

    /** @param flags XATTR_CREATE (1) or XATTR_REPLACE (2) */
    default void setxattr(Request request, long nodeId, String name, MemorySegment value, int flags)
            throws IOException {
        notImplemented();
    }

    /** The value of an extended attribute; {@link Errno#ENODATA} when it has none of that name. */
    default byte[] getxattr(Request request, long nodeId, String name) throws IOException {
        return notImplemented();
    }

    default List<String> listxattr(Request request, long nodeId) throws IOException {
        return notImplemented();
    }

    default void removexattr(Request request, long nodeId, String name) throws IOException {
        notImplemented();
    }

    /** @param mask R_OK (4), W_OK (2), X_OK (1), or F_OK (0) */
    default void access(Request request, long nodeId, int mask) throws IOException {
        notImplemented();
    }

    default Created create(Request request, long parent, String name, int mode, int umask, int flags)
            throws IOException {
        return notImplemented();
    }

    /** The first lock that would conflict with {@code lock}, or a lock of type F_UNLCK if none. */
    default Lock getlk(Request request, long nodeId, long fh, long owner, Lock lock) throws IOException {
        return notImplemented();
    }

    default void setlk(Request request, long nodeId, long fh, long owner, Lock lock, boolean wait)
            throws IOException {
        notImplemented();
    }

    /** @param operation LOCK_SH (1), LOCK_EX (2) or LOCK_UN (8), with LOCK_NB (4) when it must not wait */
    default void flock(Request request, long nodeId, long fh, long owner, int operation) throws IOException {
        notImplemented();
    }

    default void fallocate(Request request, long nodeId, long fh, long offset, long length, int mode)
            throws IOException {
        notImplemented();
    }

    /** @param whence SEEK_DATA (3) or SEEK_HOLE (4); the kernel answers the others itself */
    default long lseek(Request request, long nodeId, long fh, long offset, int whence) throws IOException {
        return notImplemented();
    }

    default long copyFileRange(Request request, long nodeIn, long fhIn, long offsetIn, long nodeOut, long fhOut,
                               long offsetOut, long length, int flags) throws IOException {
        return notImplemented();
    }

    /** A restricted ioctl: {@code in} holds what the caller passed, the answer at most {@code outSize} bytes. */
    default IoctlResult ioctl(Request request, long nodeId, long fh, int command, long argument, int flags,
                              MemorySegment in, int outSize) throws IOException {
        return notImplemented();
    }

    /**
     * The ready events of an open file; {@code waiter} is non-null when the caller will sleep and
     * wants {@link PollHandle#notifyReady()} once something changes.
     */
    default int poll(Request request, long nodeId, long fh, PollHandle waiter, int events) throws IOException {
        return notImplemented();
    }

    default Created tmpfile(Request request, long parent, int mode, int umask, int flags) throws IOException {
        return notImplemented();
    }

    /** Answering ENOSYS (the default) makes the kernel use {@link #getattr} instead, for good. */
    default Statx statx(Request request, long nodeId, long fh, int flags, int mask) throws IOException {
        return notImplemented();
    }
}
