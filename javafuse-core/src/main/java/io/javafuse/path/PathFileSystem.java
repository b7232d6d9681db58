package io.javafuse.path;

import io.javafuse.api.Attr;
import io.javafuse.api.ConnectionInfo;
import io.javafuse.api.Errno;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.api.IoctlResult;
import io.javafuse.api.Lock;
import io.javafuse.api.Open;
import io.javafuse.api.PollHandle;
import io.javafuse.api.Request;
import io.javafuse.api.SetAttr;
import io.javafuse.api.StatFs;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Instant;
import java.util.List;

/**
 * A filesystem addressed by paths, in the spirit of libfuse's high-level API
 * ({@code struct fuse_operations}): every call names its file by an absolute path such as
 * {@code "/dir/file"} ({@code "/"} is the root). Mount it through a {@link PathAdapter}, which
 * turns the kernel's node ids into paths and keeps the node table (lookup counts, renames of whole
 * subtrees, hard links, files that are unlinked while open):
 *
 * <pre>{@code
 * Fuse.mount(new PathAdapter(new MyPathFileSystem()), Path.of("/mnt/my"));
 * }</pre>
 *
 * <p>Conventions, the same for every method:
 * <ul>
 *   <li>The {@link Request} comes first: who asks ({@code uid}, {@code gid}, {@code pid}), whether
 *       the caller gave up, and {@link Request#later} to answer asynchronously.</li>
 *   <li>Errors are thrown, never returned: {@code throw new FuseException(Errno.ENOENT)}, or a
 *       {@code java.nio.file} exception such as {@code NoSuchFileException}; see {@link Errno#of}.
 *       Every method has a default that throws {@link Errno#ENOSYS}, except {@link #release} and
 *       {@link #releasedir}, which do nothing. ENOSYS from {@link #open} or {@link #opendir} opens
 *       without a handle ({@code fh} 0), as in libfuse.</li>
 *   <li>Open files and directories are named by a {@code long} handle, the one {@link #open},
 *       {@link #create} or {@link #opendir} returned (through {@link Open#fh()}); it comes last.
 *       Where the kernel named no open file it is {@link #NO_HANDLE}.</li>
 *   <li>Data is passed as {@link MemorySegment}s that view the kernel's request or reply buffer (no
 *       copy); they are valid only until the method returns (or its {@code later} stage completes).</li>
 *   <li>The path is null when the file has no name any more: it was unlinked, or another file was
 *       renamed over it, while it was still open. Only calls that come with a handle are made then
 *       (read, write, getattr, truncate and the other attribute changes, flush, fsync, release,
 *       locks ...), so a filesystem that keeps its open files by handle keeps serving them; this is
 *       libfuse's {@code hard_remove} behaviour. {@link #getattr} and the attribute changes get the
 *       handle of some open file of that node even when the kernel named none (fstat after unlink).
 *       A node without a name and without an open file is not asked about at all.</li>
 *   <li>While a call runs, its path stays valid: a rename, unlink or rmdir through the mount that
 *       would change it waits until the call returns (or its {@code later} stage completes).</li>
 *   <li>Methods are called concurrently from several threads; the filesystem must be thread safe.</li>
 * </ul>
 */
public interface PathFileSystem {
    /** Passed as {@code fh} where the kernel named no open file. */
    long NO_HANDLE = FileSystem.NO_HANDLE;

    int RENAME_NOREPLACE = FileSystem.RENAME_NOREPLACE;
    int RENAME_EXCHANGE = FileSystem.RENAME_EXCHANGE;

    /** {@link #lock}'s commands, as fcntl(2) numbers them. */
    int F_GETLK = 5;
    int F_SETLK = 6;
    int F_SETLKW = 7;

    private static <T> T notImplemented() throws FuseException {
        throw new FuseException(Errno.ENOSYS);
    }

    // ---- lifecycle

    /** Called once, after the kernel's INIT and before any other call. */
    default void init(ConnectionInfo connection) throws IOException {}

    /** Called once when the mount ends, however it ends. */
    default void destroy() {}

    // ---- attributes

    /**
     * The attributes of a file, as {@code stat(2)} reports them.
     *
     * <p>{@link Attr#ino()} is what {@code stat} shows as the inode number: give each file its own
     * (two names of one hard-linked file the same), or 0 to let the adapter show its node id.
     *
     * @param fh the open file the kernel asks through (fstat), or {@link #NO_HANDLE}
     */
    default Attr getattr(Request request, String path, long fh) throws IOException {
        return notImplemented();
    }

    /** Changes the permission bits (and set-id and sticky bits): {@code mode & 07777}. */
    default void chmod(Request request, String path, int mode, long fh) throws IOException {
        notImplemented();
    }

    /** Changes owner and group; -1 leaves one unchanged. */
    default void chown(Request request, String path, int uid, int gid, long fh) throws IOException {
        notImplemented();
    }

    /** Changes the size (truncate and ftruncate; an open with O_TRUNC arrives here too, with its handle). */
    default void truncate(Request request, String path, long size, long fh) throws IOException {
        notImplemented();
    }

    /**
     * Changes access and modification times; a null time stays unchanged ({@code UTIME_OMIT}).
     * {@code UTIME_NOW} arrives as the current time.
     */
    default void utimens(Request request, String path, Instant atime, Instant mtime, long fh) throws IOException {
        notImplemented();
    }

    /**
     * All attribute changes of one {@code SETATTR} at once, answering the attributes afterwards. The
     * default makes it the libfuse way: {@link #chmod}, {@link #chown}, {@link #truncate} and
     * {@link #utimens} for what changes, then {@link #getattr}. Override it to change everything in
     * one step. (Unless it is overridden, the {@link PathAdapter} makes these calls itself, one after
     * the other, so that each of them may answer {@link Request#later}.)
     */
    default Attr setattr(Request request, String path, SetAttr changes) throws IOException {
        long fh = changes.fh();
        if (changes.mode() != null) {
            chmod(request, path, changes.mode() & 07777, fh);
        }
        if (changes.uid() != null || changes.gid() != null) {
            chown(request, path, changes.uid() != null ? changes.uid() : -1,
                    changes.gid() != null ? changes.gid() : -1, fh);
        }
        if (changes.size() != null) {
            truncate(request, path, changes.size(), fh);
        }
        if (changes.atime() != null || changes.atimeNow() || changes.mtime() != null || changes.mtimeNow()) {
            Instant now = Instant.now();
            utimens(request, path, changes.atimeNow() ? now : changes.atime(),
                    changes.mtimeNow() ? now : changes.mtime(), fh);
        }
        return getattr(request, path, fh);
    }

    /** The target of a symbolic link. */
    default String readlink(Request request, String path) throws IOException {
        return notImplemented();
    }

    // ---- names

    /**
     * Creates a file that is not a directory or symlink ({@code mode} has its type: S_IFREG, S_IFIFO,
     * S_IFCHR ...). Regular files come through {@link #create} when that is implemented.
     */
    default void mknod(Request request, String path, int mode, int rdev) throws IOException {
        notImplemented();
    }

    /** Creates a directory; {@code mode} may lack S_IFDIR. */
    default void mkdir(Request request, String path, int mode) throws IOException {
        notImplemented();
    }

    default void unlink(Request request, String path) throws IOException {
        notImplemented();
    }

    default void rmdir(Request request, String path) throws IOException {
        notImplemented();
    }

    /** Creates a symbolic link at {@code linkPath} that points to {@code target}. */
    default void symlink(Request request, String target, String linkPath) throws IOException {
        notImplemented();
    }

    /**
     * Renames {@code from} to {@code to}, replacing {@code to} if it exists; a directory moves with
     * everything in it.
     *
     * @param flags 0, {@link #RENAME_NOREPLACE} (fail with EEXIST if {@code to} exists) or
     *              {@link #RENAME_EXCHANGE} (swap the two, which both exist); EINVAL for flags
     *              the filesystem does not support
     */
    default void rename(Request request, String from, String to, int flags) throws IOException {
        notImplemented();
    }

    /** Creates a hard link: {@code to} becomes another name of the file at {@code from}. */
    default void link(Request request, String from, String to) throws IOException {
        notImplemented();
    }

    // ---- files

    /**
     * Opens a file. {@code flags} are open(2)'s, without O_CREAT, O_EXCL and O_TRUNC (the adapter
     * truncates through {@link #truncate} with the new handle). Not implementing it (ENOSYS) opens
     * without a handle ({@code fh} 0), for filesystems whose reads and writes go by path.
     */
    default Open open(Request request, String path, int flags) throws IOException {
        return notImplemented();
    }

    /**
     * Creates and opens a regular file. Without it (ENOSYS), the kernel makes {@link #mknod} and
     * {@link #open} instead.
     */
    default Open create(Request request, String path, int mode, int flags) throws IOException {
        return notImplemented();
    }

    /**
     * Reads into {@code destination}, which is as long as the kernel asked for; returns the bytes
     * read, fewer only at the end of the file.
     */
    default int read(Request request, String path, MemorySegment destination, long offset, long fh)
            throws IOException {
        return notImplemented();
    }

    /** Writes {@code data} (read-only); returns the bytes written, all of them unless it fails. */
    default int write(Request request, String path, MemorySegment data, long offset, long fh) throws IOException {
        return notImplemented();
    }

    /**
     * Called on every close(2) of a descriptor of this open file (not a sync). ENOSYS (the default)
     * tells the kernel not to call it again.
     */
    default void flush(Request request, String path, long lockOwner, long fh) throws IOException {
        notImplemented();
    }

    /** The last descriptor of the open file is gone; exactly one per successful open or create. */
    default void release(Request request, String path, int flags, long fh) throws IOException {}

    default void fsync(Request request, String path, boolean dataOnly, long fh) throws IOException {
        notImplemented();
    }

    /**
     * POSIX record locks, as libfuse's {@code lock}: for {@link #F_GETLK} the first lock that
     * conflicts with {@code lock} (or one of type F_UNLCK); for {@link #F_SETLK} and
     * {@link #F_SETLKW} (wait) it sets or clears {@code lock} and the answer is ignored. Only called
     * with the {@code posix_locks} mount option; without it the kernel keeps locks itself.
     */
    default Lock lock(Request request, String path, long owner, int command, Lock lock, long fh)
            throws IOException {
        return notImplemented();
    }

    /**
     * BSD locks: LOCK_SH (1), LOCK_EX (2) or LOCK_UN (8), with LOCK_NB (4) when it must not wait.
     * Only called with the {@code flock_locks} mount option.
     */
    default void flock(Request request, String path, long owner, int operation, long fh) throws IOException {
        notImplemented();
    }

    default void fallocate(Request request, String path, int mode, long offset, long length, long fh)
            throws IOException {
        notImplemented();
    }

    /** @param whence SEEK_DATA (3) or SEEK_HOLE (4); the kernel answers the others itself */
    default long lseek(Request request, String path, long offset, int whence, long fh) throws IOException {
        return notImplemented();
    }

    /** Copies within the filesystem; returns the bytes copied. ENOSYS makes the kernel read and write. */
    default long copyFileRange(Request request, String pathIn, long fhIn, long offsetIn, String pathOut,
                               long fhOut, long offsetOut, long length, int flags) throws IOException {
        return notImplemented();
    }

    /** A restricted ioctl: {@code in} holds what the caller passed, the answer at most {@code outSize} bytes. */
    default IoctlResult ioctl(Request request, String path, int command, long argument, int flags,
                              MemorySegment in, int outSize, long fh) throws IOException {
        return notImplemented();
    }

    /** The ready events; {@code waiter} is non-null when the caller will sleep until it is notified. */
    default int poll(Request request, String path, PollHandle waiter, int events, long fh) throws IOException {
        return notImplemented();
    }

    // ---- directories

    /** Opens a directory; not implementing it (ENOSYS) opens without a handle ({@code fh} 0). */
    default Open opendir(Request request, String path, int flags) throws IOException {
        return notImplemented();
    }

    /**
     * Lists a directory; see {@link PathDirectoryFiller} for the two ways to do it. In the simple
     * one, {@code offset} is always 0.
     */
    default void readdir(Request request, String path, PathDirectoryFiller filler, long offset, long fh)
            throws IOException {
        notImplemented();
    }

    default void releasedir(Request request, String path, long fh) throws IOException {}

    default void fsyncdir(Request request, String path, boolean dataOnly, long fh) throws IOException {
        notImplemented();
    }

    // ---- the filesystem

    /** Statistics of the filesystem {@code path} is on. */
    default StatFs statfs(Request request, String path) throws IOException {
        return notImplemented();
    }

    /**
     * Checks access(2) permissions; not called with the {@code default_permissions} mount option.
     *
     * @param mask R_OK (4), W_OK (2), X_OK (1), or F_OK (0)
     */
    default void access(Request request, String path, int mask) throws IOException {
        notImplemented();
    }

    // ---- extended attributes

    /** @param flags 0, XATTR_CREATE (1) or XATTR_REPLACE (2) */
    default void setxattr(Request request, String path, String name, MemorySegment value, int flags)
            throws IOException {
        notImplemented();
    }

    /** The value; {@link Errno#ENODATA} when there is no attribute of that name. */
    default byte[] getxattr(Request request, String path, String name) throws IOException {
        return notImplemented();
    }

    default List<String> listxattr(Request request, String path) throws IOException {
        return notImplemented();
    }

    default void removexattr(Request request, String path, String name) throws IOException {
        notImplemented();
    }
}
