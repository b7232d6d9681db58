package io.javafuse.filesystems.passthrough;

import io.javafuse.api.Attr;
import io.javafuse.api.ConnectionInfo;
import io.javafuse.api.Created;
import io.javafuse.api.DirectoryFiller;
import io.javafuse.api.DirectoryPlusFiller;
import io.javafuse.api.Entry;
import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.api.Lock;
import io.javafuse.api.Names;
import io.javafuse.api.Open;
import io.javafuse.api.Operation;
import io.javafuse.api.ReadSource;
import io.javafuse.api.Request;
import io.javafuse.api.SetAttr;
import io.javafuse.api.StatFs;
import io.javafuse.api.Statx;
import io.javafuse.filesystems.passthrough.DirectoryHandle.Taken;
import io.javafuse.sys.FileSyscalls;
import io.javafuse.sys.FileSyscalls.RecordLock;
import io.javafuse.sys.FileSyscalls.Stat;
import io.javafuse.sys.FileSyscalls.StatVfs;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static io.javafuse.sys.FileSyscalls.AT_EMPTY_PATH;
import static io.javafuse.sys.FileSyscalls.AT_FDCWD;
import static io.javafuse.sys.FileSyscalls.AT_SYMLINK_FOLLOW;
import static io.javafuse.sys.FileSyscalls.AT_SYMLINK_NOFOLLOW;
import static io.javafuse.sys.FileSyscalls.O_CLOEXEC;
import static io.javafuse.sys.FileSyscalls.O_CREAT;
import static io.javafuse.sys.FileSyscalls.O_DIRECT;
import static io.javafuse.sys.FileSyscalls.O_DIRECTORY;
import static io.javafuse.sys.FileSyscalls.O_EXCL;
import static io.javafuse.sys.FileSyscalls.O_NOCTTY;
import static io.javafuse.sys.FileSyscalls.O_NOFOLLOW;
import static io.javafuse.sys.FileSyscalls.O_PATH;
import static io.javafuse.sys.FileSyscalls.O_RDONLY;
import static io.javafuse.sys.FileSyscalls.O_TMPFILE;
import static io.javafuse.sys.FileSyscalls.procPath;

/**
 * Mirrors a source directory, in the manner of libfuse's passthrough_hp: every node the kernel
 * knows is an {@code O_PATH} descriptor in an {@link InodeTable} keyed by (st_dev, st_ino), and
 * every operation is an {@code *at()} call relative to such a descriptor (or, for the calls that
 * take no descriptor, on its {@code /proc/self/fd} path). So a file renamed or moved in the
 * source by someone else stays the same node, no path is ever longer than one name, and no name
 * the kernel sends can lead out of the source: names never contain '/', and ".." is answered
 * from the table (at the root, with the root itself) instead of being looked up.
 *
 * <p>Data moves with pread/pwrite between the open descriptor and the request's own buffers, with
 * no copy in between. fsync, fallocate, SEEK_DATA/SEEK_HOLE, copy_file_range, statfs, extended
 * attributes, flock and POSIX locks are those of the source.
 *
 * <p>With kernel passthrough negotiated ({@link io.javafuse.api.MountOptions#withKernelPassthrough}),
 * each open file's descriptor is handed to the kernel as its backing file, one per inode (see
 * {@link BackingFiles}): the kernel then reads, writes and mmaps the source itself, and only the
 * other operations come here. Without CAP_SYS_ADMIN the files are served here as usual.
 *
 * <p>Ownership: nodes created through the mount (files, directories, symbolic links, device
 * nodes, FIFOs, sockets) belong to the caller, with set-group-id directories honoured, because
 * the creating call runs with the caller's fsuid and fsgid (see {@link Creator}). Hard links and
 * renames create no node and run as this process. Served by root for many users, the mount must
 * use {@code default_permissions} (and {@code allow_other}): the kernel then checks every access
 * against the modes, owners and groups mirrored here; this filesystem itself checks none.
 *
 * <p>Limits: filesystems mounted inside the source are not mirrored (their mount points answer
 * EOPNOTSUPP), as in passthrough_hp: the mount has one device number for all it shows. O_DIRECT
 * is not passed on (the request
 * buffers are not aligned for it). Each node the kernel holds keeps one descriptor open, so the
 * process's descriptor limit bounds how many nodes the kernel can cache.
 */
public final class PassthroughFileSystem implements FileSystem {
    /**
     * Each of these is one or two system calls on the source. Left out: what waits for others
     * (SETLKW), for the disk (FSYNC, FSYNCDIR, SYNCFS), or in proportion to a length the caller
     * picks (FALLOCATE, COPY_FILE_RANGE).
     */
    private static final Set<Operation> QUICK = Collections.unmodifiableSet(EnumSet.of(Operation.LOOKUP,
            Operation.FORGET, Operation.BATCH_FORGET, Operation.GETATTR, Operation.STATX, Operation.SETATTR,
            Operation.READLINK, Operation.SYMLINK, Operation.MKNOD, Operation.MKDIR, Operation.UNLINK, Operation.RMDIR,
            Operation.RENAME, Operation.RENAME2, Operation.LINK, Operation.OPEN, Operation.CREATE, Operation.TMPFILE,
            Operation.READ, Operation.WRITE, Operation.FLUSH, Operation.RELEASE, Operation.LSEEK, Operation.OPENDIR,
            Operation.READDIR, Operation.READDIRPLUS, Operation.RELEASEDIR, Operation.STATFS, Operation.SETXATTR,
            Operation.GETXATTR, Operation.LISTXATTR, Operation.REMOVEXATTR, Operation.GETLK, Operation.SETLK,
            Operation.ACCESS));

    private static final int RENAME_FLAGS = RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT;
    /** Flags that were the kernel's business at open time, or that a reopened descriptor must not carry. */
    private static final int OPEN_FLAGS_DROPPED = O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW | O_DIRECT;
    private static final int S_IXGRP = 0010;
    private static final int LOCK_NB = FileSyscalls.LOCK_NB;
    private static final long LOCK_POLL_MIN_MILLIS = 1;
    private static final long LOCK_POLL_MAX_MILLIS = 50;
    /** copy_file_range answers fit in 32 bits; ask for at most this much at once (page aligned). */
    private static final long COPY_MAX = Integer.MAX_VALUE & ~4095L;
    private static final Instant NO_TIME = Instant.EPOCH;
    /** FUSE_WRITE_KILL_SUIDGID: with handle_killpriv, this write must drop the set-id bits. */
    private static final int WRITE_KILL_SUIDGID = 1 << 2;
    /** FUSE_WRITEBACK_CACHE in the INIT flags. */
    private static final long WRITEBACK_CACHE = 1L << 16;

    private final Path source;
    private final InodeTable inodes;
    private final Creator creator;
    private final RecordLocks recordLocks = new RecordLocks();
    private final ConcurrentHashMap<Long, DirectoryHandle> directories = new ConcurrentHashMap<>();
    private final DirectoryBuffers directoryBuffers = new DirectoryBuffers();
    private final BackingFiles backing = new BackingFiles();
    /** The kernel caches writes: it reads pages through write-only handles and places appends itself. */
    private volatile boolean writebackCache;
    private volatile boolean kernelCache;

    /**
     * Mirrors {@code source}, an existing directory. The directory is held open: renaming it
     * later changes nothing for the mount.
     *
     * @throws FuseException ENOENT or ENOTDIR when {@code source} is not a directory
     */
    public PassthroughFileSystem(Path source) throws IOException {
        this.source = source;
        int fd = FileSyscalls.openat(AT_FDCWD, source.toString(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        Stat stat;
        try {
            stat = FileSyscalls.statx(fd, "", AT_EMPTY_PATH);
        } catch (FuseException e) {
            FileSyscalls.closeQuietly(fd);
            throw e;
        }
        inodes = new InodeTable(fd, stat);
        creator = new Creator(Math.max(2, Runtime.getRuntime().availableProcessors()));
    }

    /**
     * Lets the kernel keep what it cached of a file's data and a directory's listing from one
     * open to the next ({@code FOPEN_KEEP_CACHE}, {@code FOPEN_CACHE_DIR}), as passthrough_hp
     * does unless its timeout is 0: a file read again, or a directory listed again, is served by
     * the kernel without a request. The price: a change made to the source behind the mount is
     * not seen while the kernel keeps its copy (changes made through the mount are). Off by
     * default, which is close-to-open consistency: every open starts from the source. Set before
     * mounting. Kernel passthrough files have no cache of their own, so it changes nothing there.
     */
    public PassthroughFileSystem keepKernelCache(boolean keep) {
        kernelCache = keep;
        return this;
    }

    /** The directory this filesystem mirrors, as it was named when mounted. */
    public Path source() {
        return source;
    }

    /** How many source inodes the kernel holds (the root included): one O_PATH descriptor each. */
    public int inodeCount() {
        return inodes.size();
    }

    /** Whether created nodes belong to their callers (this process runs as root) or to this process's user. */
    public boolean createsAsCaller() {
        return creator.switchesUsers();
    }

    @Override
    public void init(ConnectionInfo connection) {
        writebackCache = connection.has(WRITEBACK_CACHE);
        backing.negotiated(connection.passthrough());
    }

    /**
     * Whether open files are handed to the kernel (FUSE passthrough): the mount asked for it
     * ({@link io.javafuse.api.MountOptions#withKernelPassthrough}), the kernel agreed, and no
     * registration was refused for lack of privilege.
     */
    public boolean kernelPassthrough() {
        return backing.enabled();
    }

    /** Why {@link #kernelPassthrough()} is off, or null while it is on. */
    public String kernelPassthroughOffReason() {
        return backing.disabledBecause();
    }

    /** Inodes whose open files the kernel serves from a backing file right now. */
    public int kernelPassthroughInodes() {
        return backing.registered();
    }

    @Override
    public Set<Operation> inlineOperations() {
        return QUICK;
    }

    /**
     * The flags to open the source with. With the writeback cache, the kernel fills partly
     * written pages by reading through any handle, and sends appends at the end as it knows it:
     * so a write-only open is made read-write, and O_APPEND (which would move every write to the
     * source's end, pages written back included) is left to the kernel.
     */
    private int sourceFlags(int flags) {
        int adjusted = flags & ~OPEN_FLAGS_DROPPED;
        if (writebackCache) {
            if ((adjusted & FileSyscalls.O_ACCMODE) == FileSyscalls.O_WRONLY) {
                adjusted = (adjusted & ~FileSyscalls.O_ACCMODE) | FileSyscalls.O_RDWR;
            }
            adjusted &= ~FileSyscalls.O_APPEND;
        }
        return adjusted | O_CLOEXEC;
    }

    @Override
    public void destroy() {
        directories.values().forEach(DirectoryHandle::close);
        directories.clear();
        directoryBuffers.close();
        recordLocks.close();
        for (Inode inode : inodes.clear()) {
            FileSyscalls.closeQuietly(inode.fd);
        }
        creator.close();
    }

    // ---- names

    @Override
    public Entry lookup(Request request, long parent, String name) throws IOException {
        Inode dir = inodes.get(parent);
        if (name.equals(".")) {
            Stat stat = stat(dir);
            return entry(inodes.takeAgain(dir), stat);
        }
        if (name.equals("..") && dir == inodes.root()) {
            // Asked for only by NFS export (the kernel resolves ".." itself); never above the source.
            return entry(dir, stat(dir));
        }
        return lookupChild(dir, name);
    }

    /**
     * Looks {@code name} up in {@code dir} without following a symlink, and counts one lookup of
     * it. A filesystem mounted inside the source is not mirrored (EOPNOTSUPP): its inode numbers
     * would mix with the source's under the mount's one device number, and tools that find hard
     * links by (st_dev, st_ino), such as cp -a, tar and du, would take unrelated files for one.
     */
    private Entry lookupChild(Inode dir, String name) throws FuseException {
        int fd = FileSyscalls.openForLookup(dir.fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        Stat stat;
        try {
            stat = FileSyscalls.statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
            if (stat.dev() != inodes.root().dev) {
                throw new FuseException(Errno.EOPNOTSUPP, name + " is a mount point in the source, which is not mirrored");
            }
        } catch (FuseException e) {
            FileSyscalls.closeQuietly(fd);
            throw e;
        }
        return entry(inodes.take(fd, stat), stat);
    }

    private static Entry entry(Inode inode, Stat stat) {
        return new Entry(inode.nodeId, 0, stat.attr(), null, null);
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        Inode gone = inodes.forget(nodeId, nlookup);
        if (gone != null) {
            recordLocks.releaseAll(nodeId);
            FileSyscalls.closeQuietly(gone.fd);
        }
    }

    @Override
    public Entry mknod(Request request, long parent, String name, int mode, int rdev, int umask) throws IOException {
        Inode dir = inodes.get(parent);
        // The kernel's device number is new_encode_dev(major, minor); mknodat wants glibc's dev_t.
        long device = FileSyscalls.makedev((rdev >>> 8) & 0xfff, (rdev & 0xff) | ((rdev >>> 12) & 0xfff00));
        creator.asCaller(request, () -> {
            FileSyscalls.mknodat(dir.fd, name, mode, device);
            return null;
        });
        return lookupChild(dir, name);
    }

    @Override
    public Entry mkdir(Request request, long parent, String name, int mode, int umask) throws IOException {
        Inode dir = inodes.get(parent);
        creator.asCaller(request, () -> {
            FileSyscalls.mkdirat(dir.fd, name, mode);
            return null;
        });
        return lookupChild(dir, name);
    }

    @Override
    public Entry symlink(Request request, long parent, String name, String target) throws IOException {
        Inode dir = inodes.get(parent);
        creator.asCaller(request, () -> {
            FileSyscalls.symlinkat(target, dir.fd, name);
            return null;
        });
        return lookupChild(dir, name);
    }

    @Override
    public Entry link(Request request, long nodeId, long newParent, String newName) throws IOException {
        Inode inode = inodes.get(nodeId);
        Inode dir = inodes.get(newParent);
        // Through /proc/self/fd, so that it needs no CAP_DAC_READ_SEARCH (as AT_EMPTY_PATH would)
        // and links symbolic links and O_TMPFILE files too.
        FileSyscalls.linkat(AT_FDCWD, procPath(inode.fd), dir.fd, newName, AT_SYMLINK_FOLLOW);
        Stat stat = stat(inode);
        return entry(inodes.takeAgain(inode), stat);
    }

    @Override
    public void unlink(Request request, long parent, String name) throws IOException {
        FileSyscalls.unlinkat(inodes.get(parent).fd, name, 0);
    }

    @Override
    public void rmdir(Request request, long parent, String name) throws IOException {
        FileSyscalls.unlinkat(inodes.get(parent).fd, name, FileSyscalls.AT_REMOVEDIR);
    }

    @Override
    public void rename(Request request, long parent, String name, long newParent, String newName, int flags)
            throws IOException {
        if ((flags & ~RENAME_FLAGS) != 0) {
            throw new FuseException(Errno.EINVAL);
        }
        FileSyscalls.renameat2(inodes.get(parent).fd, name, inodes.get(newParent).fd, newName, flags);
    }

    // ---- attributes

    @Override
    public Attr getattr(Request request, long nodeId, long fh) throws IOException {
        return stat(inodes.get(nodeId)).attr();
    }

    @Override
    public Statx statx(Request request, long nodeId, long fh, int flags, int mask) throws IOException {
        Stat stat = stat(inodes.get(nodeId));
        return new Statx(stat.attr(), stat.btime());
    }

    @Override
    public Attr setattr(Request request, long nodeId, SetAttr changes) throws IOException {
        Inode inode = inodes.get(nodeId);
        String path = procPath(inode.fd);
        if (changes.mode() != null) {
            FileSyscalls.fchmodat(AT_FDCWD, path, changes.mode() & FileMode.PERMISSIONS, 0);
        } else if (changes.killSetIdBits()) {
            killSetIdBits(inode);
        }
        if (changes.uid() != null || changes.gid() != null) {
            FileSyscalls.fchownat(inode.fd, "", changes.uid() != null ? changes.uid() : -1,
                    changes.gid() != null ? changes.gid() : -1, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
        }
        if (changes.size() != null) {
            if (changes.fh() != NO_HANDLE) {
                FileSyscalls.ftruncate(descriptor(changes.fh()), changes.size());
            } else {
                FileSyscalls.truncate(path, changes.size());
            }
        }
        boolean atime = changes.atimeNow() || changes.atime() != null;
        boolean mtime = changes.mtimeNow() || changes.mtime() != null;
        if (atime || mtime) {
            // ctime cannot be set on Linux; the source sets it to now on any change, as a native filesystem does.
            FileSyscalls.utimensat(inode.fd, "",
                    seconds(changes.atime()), nanos(changes.atime(), changes.atimeNow()),
                    seconds(changes.mtime()), nanos(changes.mtime(), changes.mtimeNow()),
                    AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
        }
        return stat(inode).attr();
    }

    /**
     * Drops set-user-id, set-group-id (when group-executable) and file capabilities, as a write or
     * truncate by an unprivileged process does natively: with handle_killpriv the kernel leaves it
     * to the filesystem, and this process, being root, would keep them.
     */
    private static void killSetIdBits(Inode inode) throws FuseException {
        int mode = stat(inode).mode();
        int kept = mode & ~(FileMode.S_ISUID | ((mode & S_IXGRP) != 0 ? FileMode.S_ISGID : 0));
        if (kept != mode) {
            FileSyscalls.fchmodat(AT_FDCWD, procPath(inode.fd), kept & FileMode.PERMISSIONS, 0);
        }
        try {
            FileSyscalls.removexattr(inode.fd, "security.capability");
        } catch (FuseException e) {
            if (e.errno() != Errno.ENODATA && e.errno() != Errno.EOPNOTSUPP) {
                throw e;
            }
        }
    }

    private static long seconds(Instant time) {
        return time != null ? time.getEpochSecond() : 0;
    }

    private static long nanos(Instant time, boolean now) {
        return now ? FileSyscalls.UTIME_NOW : time != null ? time.getNano() : FileSyscalls.UTIME_OMIT;
    }

    @Override
    public String readlink(Request request, long nodeId) throws IOException {
        return Names.decode(FileSyscalls.readlinkat(inodes.get(nodeId).fd, ""));
    }

    private static Stat stat(Inode inode) throws FuseException {
        return FileSyscalls.statx(inode.fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
    }

    // ---- files

    @Override
    public Open open(Request request, long nodeId, int flags) throws IOException {
        Inode inode = inodes.get(nodeId);
        if (FileMode.isSymlink(inode.type)) {
            throw new FuseException(Errno.ELOOP);
        }
        // Reopening the O_PATH descriptor through /proc opens the very inode, wherever it now is.
        int fd = FileSyscalls.reopen(inode.fd, sourceFlags(flags));
        return cached(backing.opened(request, nodeId, fd));
    }

    /** With {@link #keepKernelCache}, a plain open keeps the kernel's pages (passthrough refuses the flag). */
    private Open cached(Open open) {
        return kernelCache && !open.passthrough() ? open.with(Open.KEEP_CACHE) : open;
    }

    @Override
    public Created create(Request request, long parent, String name, int mode, int umask, int flags)
            throws IOException {
        Inode dir = inodes.get(parent);
        // O_NOFOLLOW: the kernel asks to create only names it believes absent; should one have
        // become a symlink meanwhile, fail rather than create wherever it points.
        int openFlags = sourceFlags(flags & ~O_EXCL) | (flags & O_EXCL) | O_CREAT | O_NOFOLLOW;
        int fd;
        try {
            // The kernel checked the right to create a new file here: only a new one may be made that way.
            fd = creator.asCaller(request, () -> FileSyscalls.openat(dir.fd, name, openFlags | O_EXCL, mode));
        } catch (FuseException e) {
            if ((flags & O_EXCL) != 0 || e.errno() != Errno.EEXIST) {
                throw e;
            }
            // Someone made the name since the kernel found it free: open that file, as the
            // caller and with the source checking the caller's right to, as open(2) would.
            fd = creator.asCallerChecked(request, () -> FileSyscalls.openat(dir.fd, name, openFlags & ~O_CREAT, 0));
        }
        return created(request, fd);
    }

    @Override
    public Created tmpfile(Request request, long parent, int mode, int umask, int flags) throws IOException {
        Inode dir = inodes.get(parent);
        int openFlags = sourceFlags(flags & ~O_TMPFILE) | O_TMPFILE;
        int fd = creator.asCaller(request, () -> FileSyscalls.openat(dir.fd, ".", openFlags, mode));
        return created(request, fd);
    }

    /** The entry and handle of a file just created and open on {@code fd}; its inode is the one fd has open. */
    private Created created(Request request, int fd) throws FuseException {
        try {
            int pathFd = FileSyscalls.reopen(fd, O_PATH | O_CLOEXEC);
            Stat stat;
            try {
                stat = FileSyscalls.statx(pathFd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
            } catch (FuseException e) {
                FileSyscalls.closeQuietly(pathFd);
                throw e;
            }
            Entry entry = entry(inodes.take(pathFd, stat), stat);
            return new Created(entry, cached(backing.opened(request, entry.nodeId(), fd)));
        } catch (FuseException | RuntimeException e) {
            FileSyscalls.closeQuietly(fd);
            throw e;
        }
    }

    /** The descriptor behind a file handle: the handle is the descriptor. */
    private static int descriptor(long fh) throws FuseException {
        if (fh < 0 || fh > Integer.MAX_VALUE) {
            throw new FuseException(Errno.EBADF);
        }
        return (int) fh;
    }

    /** The data is the open descriptor's own: the engine moves it, spliced when the mount has {@code splice}. */
    @Override
    public ReadSource readSource(Request request, long nodeId, long fh, long offset, int size) throws IOException {
        return new ReadSource(descriptor(fh), offset, size);
    }

    @Override
    public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination) throws IOException {
        int fd = descriptor(fh);
        long total = 0;
        long wanted = destination.byteSize();
        while (total < wanted) {
            // No slice for the first (usually only) call: it reads into the whole destination.
            long n = FileSyscalls.pread(fd, total == 0 ? destination : destination.asSlice(total), offset + total);
            if (n == 0) {
                break;
            }
            total += n;
        }
        return (int) total;
    }

    @Override
    public int write(Request request, long nodeId, long fh, long offset, MemorySegment data, int writeFlags)
            throws IOException {
        int fd = descriptor(fh);
        if ((writeFlags & WRITE_KILL_SUIDGID) != 0) {
            killSetIdBits(inodes.get(nodeId));
        }
        long total = 0;
        long length = data.byteSize();
        while (total < length) {
            long n;
            try {
                n = FileSyscalls.pwrite(fd, total == 0 ? data : data.asSlice(total), offset + total);
            } catch (FuseException e) {
                if (total > 0) {
                    break; // what was written counts, as for write(2); the error comes with the next write
                }
                throw e;
            }
            if (n == 0) {
                break;
            }
            total += n;
        }
        return (int) total;
    }

    /** Queued contiguous writes (with the mount's write batching): one pwritev for up to IOV_MAX of them. */
    @Override
    public long writeGathered(Request request, long nodeId, long fh, long offset, List<MemorySegment> pieces,
                              int writeFlags) throws IOException {
        int fd = descriptor(fh);
        if ((writeFlags & WRITE_KILL_SUIDGID) != 0) {
            killSetIdBits(inodes.get(nodeId));
        }
        long total = 0;
        for (MemorySegment piece : pieces) {
            total += piece.byteSize();
        }
        long written = 0;
        while (written < total) {
            List<MemorySegment> rest = remaining(pieces, written, FileSyscalls.IOV_MAX);
            long n;
            try {
                n = FileSyscalls.pwritev(fd, rest, offset + written);
            } catch (FuseException e) {
                if (written > 0) {
                    break;
                }
                throw e;
            }
            if (n == 0) {
                break;
            }
            written += n;
        }
        return written;
    }

    /** The pieces after the first {@code skip} bytes, at most {@code max} of them. */
    private static List<MemorySegment> remaining(List<MemorySegment> pieces, long skip, int max) {
        List<MemorySegment> rest = new ArrayList<>();
        for (MemorySegment piece : pieces) {
            if (rest.size() == max) {
                break;
            }
            if (skip >= piece.byteSize()) {
                skip -= piece.byteSize();
                continue;
            }
            rest.add(skip > 0 ? piece.asSlice(skip) : piece);
            skip = 0;
        }
        return rest;
    }

    @Override
    public void flush(Request request, long nodeId, long fh, long lockOwner) throws IOException {
        // Closing a duplicate reports what close(2) would (delayed write errors, e.g. on NFS)
        // without closing the handle, which other descriptors of the caller still share. Out of
        // descriptors (one per cached inode adds up), fdatasync reports those errors instead:
        // the caller's close must not fail for want of a descriptor here.
        try {
            int duplicate;
            try {
                duplicate = FileSyscalls.dup(descriptor(fh));
            } catch (FuseException e) {
                if (e.errno() != Errno.EMFILE && e.errno() != Errno.ENFILE) {
                    throw e;
                }
                FileSyscalls.fsync(descriptor(fh), true);
                return;
            }
            FileSyscalls.close(duplicate);
        } finally {
            recordLocks.release(nodeId, lockOwner);
        }
    }

    @Override
    public void release(Request request, long nodeId, long fh, int flags) throws IOException {
        recordLocks.releaseHandle(fh);
        // Before the descriptor is closed: its number may be reused by the next open at once.
        backing.released(request, fh);
        FileSyscalls.closeQuietly(descriptor(fh));
    }

    @Override
    public void fsync(Request request, long nodeId, long fh, boolean dataOnly) throws IOException {
        FileSyscalls.fsync(descriptor(fh), dataOnly);
    }

    @Override
    public void fallocate(Request request, long nodeId, long fh, long offset, long length, int mode)
            throws IOException {
        FileSyscalls.fallocate(descriptor(fh), mode, offset, length);
    }

    @Override
    public long lseek(Request request, long nodeId, long fh, long offset, int whence) throws IOException {
        return FileSyscalls.lseek(descriptor(fh), offset, whence);
    }

    @Override
    public long copyFileRange(Request request, long nodeIn, long fhIn, long offsetIn, long nodeOut, long fhOut,
                              long offsetOut, long length, int flags) throws IOException {
        return FileSyscalls.copyFileRange(descriptor(fhIn), offsetIn, descriptor(fhOut), offsetOut,
                Math.min(length, COPY_MAX), flags);
    }

    // ---- directories

    @Override
    public Open opendir(Request request, long nodeId, int flags) throws IOException {
        Inode inode = inodes.get(nodeId);
        int fd = FileSyscalls.openat(inode.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        directories.put((long) fd, new DirectoryHandle(inode, fd, directoryBuffers));
        return kernelCache ? Open.handle(fd).with(Open.CACHE_DIR | Open.KEEP_CACHE) : Open.handle(fd);
    }

    private DirectoryHandle directory(long fh) throws FuseException {
        DirectoryHandle handle = directories.get(fh);
        if (handle == null) {
            throw new FuseException(Errno.EBADF);
        }
        return handle;
    }

    @Override
    public void readdir(Request request, long nodeId, long fh, long offset, DirectoryFiller out) throws IOException {
        directory(fh).list(offset, entry -> taken(out.add(entry.name(), entry.ino(), entry.type() << 12,
                entry.nextOffset())));
    }

    @Override
    public void readdirplus(Request request, long nodeId, long fh, long offset, DirectoryPlusFiller out)
            throws IOException {
        DirectoryHandle handle = directory(fh);
        int[] added = {0};
        handle.list(offset, entry -> {
            String name = entry.nameString();
            if (name.equals(".") || name.equals("..")) {
                // The kernel takes no lookup for these: node id 0, only the inode number and type.
                Attr attr = new Attr(entry.ino(), entry.type() << 12, 0, 0, 0, 0, 0, 0, 0, NO_TIME, NO_TIME, NO_TIME);
                boolean fits = out.add(name, new Entry(0, 0, attr, Duration.ZERO, Duration.ZERO), entry.nextOffset());
                added[0] += fits ? 1 : 0;
                return taken(fits);
            }
            if (!out.fits(name)) {
                return Taken.STOP;
            }
            Entry child;
            try {
                child = lookupChild(handle.inode, name);
            } catch (FuseException e) {
                if (e.errno() == Errno.ENOENT || e.errno() == Errno.EOPNOTSUPP) {
                    return Taken.SKIPPED; // removed since getdents read it, or a mount point
                }
                if (added[0] > 0) {
                    return Taken.STOP; // send what there is; the next call starts with this entry
                }
                throw e;
            }
            if (!out.add(name, child, entry.nextOffset())) {
                forget(child.nodeId(), 1);
                return Taken.STOP;
            }
            added[0]++;
            return Taken.YES;
        });
    }

    private static Taken taken(boolean added) {
        return added ? Taken.YES : Taken.STOP;
    }

    @Override
    public void releasedir(Request request, long nodeId, long fh) {
        DirectoryHandle handle = directories.remove(fh);
        if (handle != null) {
            handle.close();
        }
    }

    @Override
    public void fsyncdir(Request request, long nodeId, long fh, boolean dataOnly) throws IOException {
        FileSyscalls.fsync(directory(fh).fd, dataOnly);
    }

    @Override
    public StatFs statfs(Request request, long nodeId) throws IOException {
        StatVfs s = FileSyscalls.fstatvfs(inodes.get(nodeId).fd);
        return new StatFs(s.blocks(), s.blocksFree(), s.blocksAvailable(), s.files(), s.filesFree(),
                (int) s.blockSize(), (int) s.nameMax(), (int) s.fragmentSize());
    }

    // ---- extended attributes: FileSyscalls reaches the inode through its descriptor's
    // /proc/self/fd path, which names the inode itself (a symbolic link's too), since O_PATH
    // descriptors take no f*xattr calls

    @Override
    public void setxattr(Request request, long nodeId, String name, MemorySegment value, int flags)
            throws IOException {
        FileSyscalls.setxattr(inodes.get(nodeId).fd, name, value, flags);
    }

    @Override
    public byte[] getxattr(Request request, long nodeId, String name) throws IOException {
        return FileSyscalls.getxattr(inodes.get(nodeId).fd, name);
    }

    @Override
    public List<String> listxattr(Request request, long nodeId) throws IOException {
        return new ArrayList<>(FileSyscalls.listxattr(inodes.get(nodeId).fd));
    }

    @Override
    public void removexattr(Request request, long nodeId, String name) throws IOException {
        FileSyscalls.removexattr(inodes.get(nodeId).fd, name);
    }

    // ---- locks

    @Override
    public Lock getlk(Request request, long nodeId, long fh, long owner, Lock lock) throws IOException {
        Inode inode = inodes.get(nodeId);
        RecordLock wanted = recordLock(lock);
        // The owner's own locks never conflict; an owner with none asks through the handle, which holds none.
        RecordLock conflict = recordLocks.withDescriptor(inode, owner, fh, false,
                fd -> FileSyscalls.fcntlLock(fd, FileSyscalls.F_OFD_GETLK, wanted));
        if (conflict == null) {
            conflict = FileSyscalls.fcntlLock(descriptor(fh), FileSyscalls.F_OFD_GETLK, wanted);
        }
        if (conflict.type() == FileSyscalls.F_UNLCK) {
            return new Lock(Lock.F_UNLCK, lock.start(), lock.end(), 0);
        }
        long end = conflict.length() == 0 ? Long.MAX_VALUE : conflict.start() + conflict.length() - 1;
        // An OFD lock has no process (-1): the kernel reports 0 for it, as for a lock it cannot place.
        return new Lock(conflict.type(), conflict.start(), end, Math.max(0, conflict.pid()));
    }

    @Override
    public void setlk(Request request, long nodeId, long fh, long owner, Lock lock, boolean wait) throws IOException {
        Inode inode = inodes.get(nodeId);
        RecordLock wanted = recordLock(lock);
        // An unlock needs no descriptor of its own: an owner without one holds nothing here.
        boolean open = lock.type() != Lock.F_UNLCK;
        retryWhileLocked(request, wait, () -> recordLocks.withDescriptor(inode, owner, fh, open,
                fd -> FileSyscalls.fcntlLock(fd, FileSyscalls.F_OFD_SETLK, wanted)));
    }

    private static RecordLock recordLock(Lock lock) throws FuseException {
        if (lock.start() < 0 || lock.end() < lock.start()) {
            throw new FuseException(Errno.EINVAL);
        }
        long length = lock.end() == Long.MAX_VALUE ? 0 : lock.end() - lock.start() + 1;
        return new RecordLock(lock.type(), lock.start(), length, 0);
    }

    @Override
    public void flock(Request request, long nodeId, long fh, long owner, int operation) throws IOException {
        int fd = descriptor(fh);
        retryWhileLocked(request, (operation & LOCK_NB) == 0, () -> {
            FileSyscalls.flock(fd, operation | LOCK_NB);
            return null;
        });
    }

    @FunctionalInterface
    private interface LockAttempt {
        Object attempt() throws FuseException;
    }

    /**
     * Tries without blocking, and while a conflicting lock is held and the caller wants to wait,
     * tries again after a short sleep. A blocking fcntl or flock would hold a carrier thread for
     * as long as the other holder pleases and could not be interrupted; this waits as a virtual
     * thread does, and gives up with EINTR when the caller is interrupted.
     */
    private static void retryWhileLocked(Request request, boolean wait, LockAttempt lock) throws IOException {
        long pause = LOCK_POLL_MIN_MILLIS;
        while (true) {
            try {
                lock.attempt();
                return;
            } catch (FuseException e) {
                if (!wait || (e.errno() != Errno.EAGAIN && e.errno() != Errno.EACCES)) {
                    throw e;
                }
            }
            if (request.isInterrupted()) {
                throw new FuseException(Errno.EINTR);
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                throw new FuseException(Errno.EINTR);
            }
            pause = Math.min(pause * 2, LOCK_POLL_MAX_MILLIS);
        }
    }
}
