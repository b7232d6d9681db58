package io.javafuse.filesystems.memory;

import io.javafuse.api.Attr;
import io.javafuse.api.Created;
import io.javafuse.api.DirectoryFiller;
import io.javafuse.api.DirectoryPlusFiller;
import io.javafuse.api.Entry;
import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.api.Names;
import io.javafuse.api.Open;
import io.javafuse.api.Operation;
import io.javafuse.api.Request;
import io.javafuse.api.SetAttr;
import io.javafuse.api.StatFs;
import io.javafuse.api.Statx;
import io.javafuse.filesystems.memory.Directory.DirEntry;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A filesystem in memory that behaves like tmpfs: the same errors, link counts, timestamps,
 * ownership rules and sparse files as Linux gives for the same calls.
 *
 * <p>Node ids are inode numbers and are never reused. A node stays in the node table while it has
 * a name, the kernel holds a lookup of it, or a file handle is open on it; so an unlinked file
 * that is still open keeps working until its last release.
 *
 * <p>Locking: one read-write lock guards the namespace (directory entries, parent pointers, link
 * counts): lookups and listings read, everything that adds, removes or moves a name writes. Each
 * node's own lock guards its attributes and contents; it is taken after the namespace lock, and
 * never two at a time except by {@link #copyFileRange}, which takes them in node id order.
 */
public final class MemoryFileSystem implements FileSystem {
    /**
     * Everything here works in memory and waits for nobody but a short lock; left out are the
     * two whose work grows with a length the caller picks (FALLOCATE, COPY_FILE_RANGE).
     */
    private static final Set<Operation> QUICK = Collections.unmodifiableSet(EnumSet.of(Operation.LOOKUP,
            Operation.FORGET, Operation.BATCH_FORGET, Operation.GETATTR, Operation.STATX, Operation.SETATTR,
            Operation.READLINK, Operation.SYMLINK, Operation.MKNOD, Operation.MKDIR, Operation.UNLINK, Operation.RMDIR,
            Operation.RENAME, Operation.RENAME2, Operation.LINK, Operation.OPEN, Operation.CREATE, Operation.TMPFILE,
            Operation.READ, Operation.WRITE, Operation.FLUSH, Operation.RELEASE, Operation.FSYNC, Operation.LSEEK,
            Operation.OPENDIR, Operation.READDIR, Operation.READDIRPLUS, Operation.RELEASEDIR, Operation.FSYNCDIR,
            Operation.STATFS, Operation.SETXATTR, Operation.GETXATTR, Operation.LISTXATTR, Operation.REMOVEXATTR,
            Operation.ACCESS));
    private static final int NAME_MAX = 255;
    /** PATH_MAX less the terminating NUL. */
    private static final int SYMLINK_MAX = 4095;
    private static final int XATTR_NAME_MAX = 255;
    private static final int XATTR_SIZE_MAX = 65536;
    private static final List<String> XATTR_NAMESPACES = List.of("user.", "trusted.", "security.");
    private static final String TRUSTED_PREFIX = "trusted.";
    private static final String USER_PREFIX = "user.";
    private static final long MAX_NODES = 1L << 30;
    private static final int STATFS_BLOCK_SIZE = 4096;
    private static final int COPY_CHUNK = 1 << 20;

    private static final int O_EXCL = 0200;
    private static final int O_TRUNC = 01000;
    private static final int O_APPEND = 02000;
    private static final int R_OK = 4;
    private static final int W_OK = 2;
    private static final int X_OK = 1;
    private static final int XATTR_CREATE = 1;
    private static final int XATTR_REPLACE = 2;
    private static final int FALLOC_FL_KEEP_SIZE = 0x01;
    private static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    private static final int FALLOC_FL_ZERO_RANGE = 0x10;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    /** FUSE_WRITE_KILL_SUIDGID: the kernel leaves dropping the set-id bits on this write to us. */
    private static final int WRITE_KILL_SUIDGID = 1 << 2;

    /** An open file handle: the node it was opened on (named or not) and its open(2) flags. */
    private record OpenFile(Node node, int flags) {}

    /** Who owns a new node, and whether a new directory inherits set-group-id from its parent. */
    private record Owner(int uid, int gid, boolean inheritSetgid) {}

    @FunctionalInterface
    private interface NodeFactory {
        Node create(long id, Directory parent, Owner owner, Instant now);
    }

    private final ReentrantReadWriteLock namespace = new ReentrantReadWriteLock();
    private final ConcurrentHashMap<Long, Node> nodes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, OpenFile> openFiles = new ConcurrentHashMap<>();
    private final AtomicLong nextNodeId = new AtomicLong(ROOT_ID + 1);
    private final AtomicLong nextHandle = new AtomicLong(1);
    private final PageStore store;

    /**
     * A filesystem whose root is owned by root with mode 0755, holding up to half of the
     * machine's memory, as tmpfs does. File contents live outside the Java heap.
     */
    public MemoryFileSystem() {
        this(0, 0, FileMode.S_IFDIR | 0755, halfOfPhysicalMemory());
    }

    private static long halfOfPhysicalMemory() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024 / 2;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            // fall through: no /proc
        }
        return Runtime.getRuntime().maxMemory() / 2;
    }

    /**
     * @param rootMode      the root's permission bits; type bits, if present, must be S_IFDIR
     * @param capacityBytes how many bytes of file contents it may hold; writes beyond fail with ENOSPC
     */
    public MemoryFileSystem(int rootUid, int rootGid, int rootMode, long capacityBytes) {
        if (FileMode.type(rootMode) != 0 && !FileMode.isDirectory(rootMode)) {
            throw new IllegalArgumentException("the root must be a directory: mode " + Integer.toOctalString(rootMode));
        }
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacityBytes);
        }
        store = new PageStore(capacityBytes);
        nodes.put(ROOT_ID, new Directory(ROOT_ID, rootMode, rootUid, rootGid, Instant.now(), null));
    }

    /** How many nodes are alive, the root included. */
    public int nodeCount() {
        return nodes.size();
    }

    @Override
    public Set<Operation> inlineOperations() {
        return QUICK;
    }

    // ---- names ----

    @Override
    public Entry lookup(Request request, long parent, String name) throws FuseException {
        checkNameLength(name);
        namespace.readLock().lock();
        try {
            Directory dir = directory(parent);
            Node child = switch (name) {
                case "." -> dir;
                case ".." -> dir.parent;
                default -> existing(dir, name).node();
            };
            return lookedUp(child);
        } finally {
            namespace.readLock().unlock();
        }
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        Node node = nodes.get(nodeId);
        if (node == null) {
            return;
        }
        node.lock.lock();
        try {
            node.lookups = Math.max(0, node.lookups - nlookup);
            dropIfUnused(node);
        } finally {
            node.lock.unlock();
        }
    }

    @Override
    public Entry mknod(Request request, long parent, String name, int mode, int rdev, int umask)
            throws FuseException {
        int type = FileMode.type(mode);
        return switch (type) {
            case 0, FileMode.S_IFREG -> addNode(request, parent, name,
                    (id, _, owner, now) -> new RegularFile(id, mode, owner.uid(), owner.gid(), 1, now));
            // Like Linux, only device nodes keep the device number.
            case FileMode.S_IFCHR, FileMode.S_IFBLK, FileMode.S_IFIFO, FileMode.S_IFSOCK -> addNode(request, parent,
                    name, (id, _, owner, now) -> new SpecialFile(id, type, mode, owner.uid(), owner.gid(), now,
                            type == FileMode.S_IFCHR || type == FileMode.S_IFBLK ? rdev : 0));
            case FileMode.S_IFDIR -> throw new FuseException(Errno.EPERM);
            default -> throw new FuseException(Errno.EINVAL);
        };
    }

    @Override
    public Entry mkdir(Request request, long parent, String name, int mode, int umask) throws FuseException {
        // mkdir(2) takes no set-id bits from the caller; set-group-id comes from the parent only.
        int permissions = mode & (0777 | FileMode.S_ISVTX);
        return addNode(request, parent, name, (id, dir, owner, now) -> new Directory(id,
                permissions | (owner.inheritSetgid() ? FileMode.S_ISGID : 0), owner.uid(), owner.gid(), now, dir));
    }

    @Override
    public Entry symlink(Request request, long parent, String name, String target) throws FuseException {
        if (Names.byteLength(target) > SYMLINK_MAX) {
            throw new FuseException(Errno.ENAMETOOLONG);
        }
        return addNode(request, parent, name,
                (id, _, owner, now) -> new Symlink(id, owner.uid(), owner.gid(), now, target));
    }

    @Override
    public Entry link(Request request, long nodeId, long newParent, String newName) throws FuseException {
        checkName(newName);
        namespace.writeLock().lock();
        try {
            Directory dir = directoryForNewName(newParent, newName);
            Node node = node(nodeId);
            if (node instanceof Directory) {
                throw new FuseException(Errno.EPERM);
            }
            Instant now = Instant.now();
            node.lock.lock();
            try {
                if (node.nlink == 0) {
                    // Only an O_TMPFILE file may get a name back after losing all of them, and only once.
                    if (!(node instanceof RegularFile file && file.linkable)) {
                        throw new FuseException(Errno.ENOENT);
                    }
                    file.linkable = false;
                }
                node.nlink++;
                node.ctime = now;
            } finally {
                node.lock.unlock();
            }
            dir.put(newName, node);
            parentChanged(dir, 0, now);
            return lookedUp(node);
        } finally {
            namespace.writeLock().unlock();
        }
    }

    @Override
    public void unlink(Request request, long parent, String name) throws FuseException {
        checkName(name);
        namespace.writeLock().lock();
        try {
            Directory dir = directory(parent);
            Node node = existing(dir, name).node();
            if (node instanceof Directory) {
                throw new FuseException(Errno.EISDIR);
            }
            dir.remove(name);
            Instant now = Instant.now();
            parentChanged(dir, 0, now);
            unlinked(node, now);
        } finally {
            namespace.writeLock().unlock();
        }
    }

    @Override
    public void rmdir(Request request, long parent, String name) throws FuseException {
        checkName(name);
        namespace.writeLock().lock();
        try {
            Directory dir = directory(parent);
            if (!(existing(dir, name).node() instanceof Directory child)) {
                throw new FuseException(Errno.ENOTDIR);
            }
            if (!child.isEmpty()) {
                throw new FuseException(Errno.ENOTEMPTY);
            }
            dir.remove(name);
            Instant now = Instant.now();
            parentChanged(dir, -1, now);
            unlinked(child, now);
        } finally {
            namespace.writeLock().unlock();
        }
    }

    @Override
    public void rename(Request request, long parent, String name, long newParent, String newName, int flags)
            throws FuseException {
        // Whiteouts exist for overlayfs; this filesystem has none.
        if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0 || flags == (RENAME_NOREPLACE | RENAME_EXCHANGE)) {
            throw new FuseException(Errno.EINVAL);
        }
        checkName(name);
        checkName(newName);
        boolean exchange = flags == RENAME_EXCHANGE;
        namespace.writeLock().lock();
        try {
            Directory fromDir = directory(parent);
            Directory toDir = directory(newParent);
            Node source = existing(fromDir, name).node();
            DirEntry targetEntry = toDir.get(newName);
            Node target = targetEntry != null ? targetEntry.node() : null;
            if (target != null && flags == RENAME_NOREPLACE) {
                throw new FuseException(Errno.EEXIST);
            }
            if (target == null && (exchange || toDir.nlink == 0)) {
                throw new FuseException(Errno.ENOENT);
            }
            // The checks in the order Linux makes them: a directory never moves into its own subtree.
            if (source instanceof Directory && toDir.isWithin(source)) {
                throw new FuseException(Errno.EINVAL);
            }
            if (target instanceof Directory && fromDir.isWithin(target)) {
                throw new FuseException(exchange ? Errno.EINVAL : Errno.ENOTEMPTY);
            }
            if (source == target) {
                return; // two names of one inode: rename(2) does nothing and succeeds
            }
            Instant now = Instant.now();
            if (exchange) {
                exchange(fromDir, name, source, toDir, newName, target, now);
            } else {
                move(fromDir, name, source, toDir, newName, target, now);
            }
        } finally {
            namespace.writeLock().unlock();
        }
    }

    /** rename(2) without RENAME_EXCHANGE: {@code target}, if any, loses its name to {@code source}. */
    private void move(Directory fromDir, String name, Node source, Directory toDir, String newName, Node target,
                      Instant now) throws FuseException {
        boolean sourceIsDirectory = source instanceof Directory;
        if (target != null) {
            if (sourceIsDirectory && !(target instanceof Directory)) {
                throw new FuseException(Errno.ENOTDIR);
            }
            if (!sourceIsDirectory && target instanceof Directory) {
                throw new FuseException(Errno.EISDIR);
            }
            if (target instanceof Directory directory && !directory.isEmpty()) {
                throw new FuseException(Errno.ENOTEMPTY);
            }
        }
        fromDir.remove(name);
        toDir.put(newName, source);
        if (source instanceof Directory directory) {
            directory.parent = toDir;
        }
        int moved = sourceIsDirectory ? 1 : 0;
        parentChanged(fromDir, -moved, now);
        parentChanged(toDir, moved - (target instanceof Directory ? 1 : 0), now);
        changed(source, now);
        if (target != null) {
            unlinked(target, now);
        }
    }

    /** RENAME_EXCHANGE: the two names swap their nodes; each name keeps its place in listings. */
    private static void exchange(Directory fromDir, String name, Node source, Directory toDir, String newName,
                                 Node target, Instant now) {
        fromDir.put(name, target);
        toDir.put(newName, source);
        if (source instanceof Directory directory) {
            directory.parent = toDir;
        }
        if (target instanceof Directory directory) {
            directory.parent = fromDir;
        }
        // Subdirectories that moved from fromDir to toDir (negative: the other way).
        int moved = fromDir == toDir ? 0 : (source instanceof Directory ? 1 : 0) - (target instanceof Directory ? 1 : 0);
        parentChanged(fromDir, -moved, now);
        parentChanged(toDir, moved, now);
        changed(source, now);
        changed(target, now);
    }

    // ---- attributes ----

    @Override
    public Attr getattr(Request request, long nodeId, long fh) throws FuseException {
        return attrOf(node(nodeId));
    }

    @Override
    public Statx statx(Request request, long nodeId, long fh, int flags, int mask) throws FuseException {
        Node node = node(nodeId);
        node.lock.lock();
        try {
            return new Statx(node.attr(), node.birthTime);
        } finally {
            node.lock.unlock();
        }
    }

    @Override
    public Attr setattr(Request request, long nodeId, SetAttr changes) throws FuseException {
        Node node = node(nodeId);
        node.lock.lock();
        try {
            Instant now = Instant.now();
            if (changes.size() != null) {
                RegularFile file = regularFile(node);
                if (changes.size() < 0) {
                    throw new FuseException(Errno.EINVAL);
                }
                boolean resized = changes.size() != file.size();
                boolean hadPages = file.blocks() > 0;
                file.truncate(changes.size(), store);
                // As on tmpfs: a new size sets m/ctime, and so does a truncation through an open file
                // (ftruncate, O_TRUNC: the kernel passes its handle). truncate(2) to the size the file
                // has sets them only if the file holds pages (tmpfs then cuts what lies past the end,
                // which stamps the file); on a file without pages it changes nothing at all.
                if (resized || changes.fh() != NO_HANDLE || hadPages) {
                    file.modified(now);
                } else if (isSizeOnly(changes)) {
                    return node.attr();
                }
            }
            // chown(2) of anything but a directory drops the set-id bits too; an explicit mode
            // (which the kernel sends when it drops them itself) takes precedence.
            boolean chown = changes.uid() != null || changes.gid() != null;
            if (changes.mode() != null) {
                node.permissions = changes.mode() & FileMode.PERMISSIONS;
            } else if (changes.killSetIdBits() || chown && !(node instanceof Directory)) {
                node.killSetIdBits();
            }
            if (changes.uid() != null) {
                node.uid = changes.uid();
            }
            if (changes.gid() != null) {
                node.gid = changes.gid();
            }
            if (changes.atimeNow()) {
                node.atime = now;
            } else if (changes.atime() != null) {
                node.atime = changes.atime();
            }
            if (changes.mtimeNow()) {
                node.mtime = now;
            } else if (changes.mtime() != null) {
                node.mtime = changes.mtime();
            }
            node.ctime = changes.ctime() != null ? changes.ctime() : now;
            return node.attr();
        } finally {
            node.lock.unlock();
        }
    }

    private static boolean isSizeOnly(SetAttr changes) {
        return changes.mode() == null && changes.uid() == null && changes.gid() == null && !changes.changesTimes()
                && !changes.killSetIdBits();
    }

    @Override
    public String readlink(Request request, long nodeId) throws FuseException {
        if (!(node(nodeId) instanceof Symlink symlink)) {
            throw new FuseException(Errno.EINVAL);
        }
        symlink.lock.lock();
        try {
            symlink.accessed(Instant.now());
            return symlink.target;
        } finally {
            symlink.lock.unlock();
        }
    }

    @Override
    public void access(Request request, long nodeId, int mask) throws FuseException {
        if ((mask & ~(R_OK | W_OK | X_OK)) != 0) {
            throw new FuseException(Errno.EINVAL);
        }
        Node node = node(nodeId);
        int granted;
        node.lock.lock();
        try {
            int mode = node.permissions;
            if (request.uid() == 0) {
                // root reads and writes anything, and executes what anyone may execute.
                boolean executable = node instanceof Directory || (mode & 0111) != 0;
                granted = R_OK | W_OK | (executable ? X_OK : 0);
            } else if (request.uid() == node.uid) {
                granted = mode >> 6 & 7;
            } else if (request.gid() == node.gid) {
                granted = mode >> 3 & 7;
            } else {
                granted = mode & 7;
            }
        } finally {
            node.lock.unlock();
        }
        if ((mask & ~granted) != 0) {
            throw new FuseException(Errno.EACCES);
        }
    }

    // ---- files ----

    @Override
    public Created create(Request request, long parent, String name, int mode, int umask, int flags)
            throws FuseException {
        checkName(name);
        namespace.writeLock().lock();
        try {
            Directory dir = directory(parent);
            DirEntry existing = dir.get(name);
            Instant now = Instant.now();
            if (existing != null) {
                if ((flags & O_EXCL) != 0) {
                    throw new FuseException(Errno.EEXIST);
                }
                if (existing.node() instanceof Directory) {
                    throw new FuseException(Errno.EISDIR);
                }
                Open open = openHandle(existing.node(), flags, now);
                return new Created(lookedUp(existing.node()), open);
            }
            if (dir.nlink == 0) {
                throw new FuseException(Errno.ENOENT);
            }
            Owner owner = ownerFor(request, dir);
            RegularFile file = new RegularFile(newNodeId(), mode, owner.uid(), owner.gid(), 1, now);
            insert(dir, name, file, now);
            Open open = openHandle(file, flags, now);
            return new Created(lookedUp(file), open);
        } finally {
            namespace.writeLock().unlock();
        }
    }

    @Override
    public Created tmpfile(Request request, long parent, int mode, int umask, int flags) throws FuseException {
        namespace.readLock().lock();
        try {
            Directory dir = directory(parent);
            if (dir.nlink == 0) {
                throw new FuseException(Errno.ENOENT);
            }
            Instant now = Instant.now();
            Owner owner = ownerFor(request, dir);
            RegularFile file = new RegularFile(newNodeId(), mode, owner.uid(), owner.gid(), 0, now);
            file.linkable = (flags & O_EXCL) == 0;
            nodes.put(file.id, file);
            Open open = openHandle(file, flags, now);
            return new Created(lookedUp(file), open);
        } finally {
            namespace.readLock().unlock();
        }
    }

    @Override
    public Open open(Request request, long nodeId, int flags) throws FuseException {
        Node node = node(nodeId);
        if (node instanceof Directory) {
            throw new FuseException(Errno.EISDIR);
        }
        return openHandle(node, flags, Instant.now());
    }

    @Override
    public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
            throws FuseException {
        RegularFile file = regularFile(openFile(nodeId, fh).node());
        if (offset < 0) {
            throw new FuseException(Errno.EINVAL);
        }
        file.lock.lock();
        try {
            int read = file.read(offset, destination);
            file.accessed(Instant.now());
            return read;
        } finally {
            file.lock.unlock();
        }
    }

    @Override
    public int write(Request request, long nodeId, long fh, long offset, MemorySegment data, int writeFlags)
            throws FuseException {
        OpenFile open = openFile(nodeId, fh);
        RegularFile file = regularFile(open.node());
        if (offset < 0) {
            throw new FuseException(Errno.EINVAL);
        }
        if (data.byteSize() == 0) {
            return 0;
        }
        file.lock.lock();
        try {
            long position = (open.flags() & O_APPEND) != 0 ? file.size() : offset;
            if (position > Long.MAX_VALUE - data.byteSize()) {
                throw new FuseException(Errno.EFBIG);
            }
            int written = file.write(position, data, store);
            file.modified(Instant.now());
            if ((writeFlags & WRITE_KILL_SUIDGID) != 0) {
                file.killSetIdBits();
            }
            return written;
        } finally {
            file.lock.unlock();
        }
    }

    /** Data lives in memory only; there is nothing to write back. */
    @Override
    public void flush(Request request, long nodeId, long fh, long lockOwner) {}

    @Override
    public void fsync(Request request, long nodeId, long fh, boolean dataOnly) {}

    @Override
    public void release(Request request, long nodeId, long fh, int flags) {
        OpenFile open = openFiles.remove(fh);
        if (open == null) {
            return;
        }
        Node node = open.node();
        node.lock.lock();
        try {
            node.openHandles--;
            dropIfUnused(node);
        } finally {
            node.lock.unlock();
        }
    }

    @Override
    public void fallocate(Request request, long nodeId, long fh, long offset, long length, int mode)
            throws FuseException {
        if (offset < 0 || length <= 0) {
            throw new FuseException(Errno.EINVAL);
        }
        boolean keepSize = (mode & FALLOC_FL_KEEP_SIZE) != 0;
        int operation = mode & ~FALLOC_FL_KEEP_SIZE;
        if (operation == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
            throw new FuseException(Errno.EINVAL);
        }
        boolean supported = operation == 0 || operation == FALLOC_FL_ZERO_RANGE
                || operation == FALLOC_FL_PUNCH_HOLE && keepSize;
        if (!supported) {
            throw new FuseException(Errno.EOPNOTSUPP);
        }
        Node node = node(nodeId);
        if (node.type == FileMode.S_IFIFO) {
            throw new FuseException(Errno.ESPIPE);
        }
        if (node instanceof Directory) {
            throw new FuseException(Errno.EISDIR);
        }
        if (!(node instanceof RegularFile file)) {
            throw new FuseException(Errno.ENODEV);
        }
        if (offset > Long.MAX_VALUE - length) {
            throw new FuseException(Errno.EFBIG);
        }
        long end = offset + length;
        file.lock.lock();
        try {
            switch (operation) {
                case FALLOC_FL_PUNCH_HOLE -> file.zero(offset, end, true, store);
                case FALLOC_FL_ZERO_RANGE -> {
                    file.allocate(offset, end, store);
                    file.zero(offset, end, false, store);
                }
                default -> file.allocate(offset, end, store);
            }
            if (!keepSize && end > file.size()) {
                file.truncate(end, store);
            }
            file.modified(Instant.now());
        } finally {
            file.lock.unlock();
        }
    }

    @Override
    public long lseek(Request request, long nodeId, long fh, long offset, int whence) throws FuseException {
        if (whence != SEEK_DATA && whence != SEEK_HOLE) {
            throw new FuseException(Errno.EINVAL);
        }
        RegularFile file = regularFile(node(nodeId));
        file.lock.lock();
        try {
            if (offset < 0 || offset >= file.size()) {
                throw new FuseException(Errno.ENXIO);
            }
            long found = whence == SEEK_DATA ? file.seekData(offset) : file.seekHole(offset);
            if (found < 0) {
                throw new FuseException(Errno.ENXIO);
            }
            return found;
        } finally {
            file.lock.unlock();
        }
    }

    @Override
    public long copyFileRange(Request request, long nodeIn, long fhIn, long offsetIn, long nodeOut, long fhOut,
                              long offsetOut, long length, int flags) throws FuseException {
        if (flags != 0) {
            throw new FuseException(Errno.EINVAL);
        }
        RegularFile in = regularFile(openFile(nodeIn, fhIn).node());
        OpenFile output = openFile(nodeOut, fhOut);
        RegularFile out = regularFile(output.node());
        if ((output.flags() & O_APPEND) != 0) {
            throw new FuseException(Errno.EBADF);
        }
        if (offsetIn < 0 || offsetOut < 0 || length < 0) {
            throw new FuseException(Errno.EINVAL);
        }
        // Two locks at once: always in node id order, so that two opposite copies cannot deadlock.
        RegularFile first = in.id <= out.id ? in : out;
        RegularFile second = first == in ? out : in;
        first.lock.lock();
        second.lock.lock();
        try {
            long count = Math.max(0, Math.min(length, in.size() - offsetIn));
            if (in == out && offsetOut < offsetIn + count && offsetIn < offsetOut + count) {
                throw new FuseException(Errno.EINVAL);
            }
            if (offsetOut > Long.MAX_VALUE - count) {
                throw new FuseException(Errno.EFBIG);
            }
            long copied = copy(in, offsetIn, out, offsetOut, count);
            Instant now = Instant.now();
            in.accessed(now);
            if (copied > 0) {
                out.modified(now);
            }
            return copied;
        } finally {
            second.lock.unlock();
            first.lock.unlock();
        }
    }

    /** Copies through a bounded buffer; stops short, like write(2), when the filesystem fills up. */
    private long copy(RegularFile in, long offsetIn, RegularFile out, long offsetOut, long count)
            throws FuseException {
        MemorySegment buffer = MemorySegment.ofArray(new byte[(int) Math.min(count, COPY_CHUNK)]);
        long copied = 0;
        while (copied < count) {
            MemorySegment chunk = buffer.asSlice(0, Math.min(buffer.byteSize(), count - copied));
            int read = in.read(offsetIn + copied, chunk);
            int written;
            try {
                written = out.write(offsetOut + copied, chunk.asSlice(0, read), store);
            } catch (FuseException e) {
                if (copied > 0) {
                    break;
                }
                throw e;
            }
            copied += written;
            if (written < read) {
                break;
            }
        }
        return copied;
    }

    // ---- directories ----

    /**
     * Listings need no state per open directory: offsets are the entries' own cookies. The
     * kernel may keep a listing across opens: every change to a directory comes through it, and
     * it drops its copy at each one.
     */
    @Override
    public Open opendir(Request request, long nodeId, int flags) throws FuseException {
        directory(nodeId);
        return Open.handle(0).with(Open.CACHE_DIR | Open.KEEP_CACHE);
    }

    @Override
    public void readdir(Request request, long nodeId, long fh, long offset, DirectoryFiller out)
            throws FuseException {
        namespace.readLock().lock();
        try {
            Directory dir = directory(nodeId);
            accessed(dir);
            if (offset < Directory.DOT_COOKIE && !out.add(".", dir.id, FileMode.S_IFDIR, Directory.DOT_COOKIE)) {
                return;
            }
            if (offset < Directory.DOT_DOT_COOKIE
                    && !out.add("..", dir.parent.id, FileMode.S_IFDIR, Directory.DOT_DOT_COOKIE)) {
                return;
            }
            for (DirEntry entry : dir.entriesAfter(Math.max(offset, Directory.DOT_DOT_COOKIE))) {
                if (!out.add(entry.name(), entry.node().id, entry.node().type, entry.cookie())) {
                    return;
                }
            }
        } finally {
            namespace.readLock().unlock();
        }
    }

    @Override
    public void readdirplus(Request request, long nodeId, long fh, long offset, DirectoryPlusFiller out)
            throws FuseException {
        namespace.readLock().lock();
        try {
            Directory dir = directory(nodeId);
            accessed(dir);
            // The kernel takes no lookup for "." and "..".
            if (offset < Directory.DOT_COOKIE && !out.add(".", Entry.of(attrOf(dir)), Directory.DOT_COOKIE)) {
                return;
            }
            if (offset < Directory.DOT_DOT_COOKIE
                    && !out.add("..", Entry.of(attrOf(dir.parent)), Directory.DOT_DOT_COOKIE)) {
                return;
            }
            for (DirEntry entry : dir.entriesAfter(Math.max(offset, Directory.DOT_DOT_COOKIE))) {
                // Count a lookup only for an entry that is sent: the kernel forgets only what it received.
                if (!out.fits(entry.name())) {
                    return;
                }
                Entry answer = lookedUp(entry.node());
                if (!out.add(entry.name(), answer, entry.cookie())) {
                    forget(entry.node().id, 1);
                    return;
                }
            }
        } finally {
            namespace.readLock().unlock();
        }
    }

    @Override
    public void fsyncdir(Request request, long nodeId, long fh, boolean dataOnly) {}

    @Override
    public StatFs statfs(Request request, long nodeId) {
        long blocks = store.total() / STATFS_BLOCK_SIZE;
        long free = Math.max(0, store.total() - store.used()) / STATFS_BLOCK_SIZE;
        long freeNodes = Math.max(0, MAX_NODES - nodes.size());
        return new StatFs(blocks, free, free, MAX_NODES, freeNodes, STATFS_BLOCK_SIZE, NAME_MAX, STATFS_BLOCK_SIZE);
    }

    // ---- extended attributes ----

    @Override
    public void setxattr(Request request, long nodeId, String name, MemorySegment value, int flags)
            throws FuseException {
        if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0) {
            throw new FuseException(Errno.EINVAL);
        }
        checkXattrName(name);
        if (value.byteSize() > XATTR_SIZE_MAX) {
            throw new FuseException(Errno.E2BIG);
        }
        Node node = node(nodeId);
        checkXattrAccess(request, node, name, true);
        byte[] bytes = value.toArray(ValueLayout.JAVA_BYTE);
        node.lock.lock();
        try {
            boolean present = node.xattrs.containsKey(name);
            if (present && (flags & XATTR_CREATE) != 0) {
                throw new FuseException(Errno.EEXIST);
            }
            if (!present && (flags & XATTR_REPLACE) != 0) {
                throw new FuseException(Errno.ENODATA);
            }
            node.xattrs.put(name, bytes);
            node.ctime = Instant.now();
        } finally {
            node.lock.unlock();
        }
    }

    @Override
    public byte[] getxattr(Request request, long nodeId, String name) throws FuseException {
        checkXattrName(name);
        Node node = node(nodeId);
        checkXattrAccess(request, node, name, false);
        node.lock.lock();
        try {
            byte[] value = node.xattrs.get(name);
            if (value == null) {
                throw new FuseException(Errno.ENODATA);
            }
            return value.clone();
        } finally {
            node.lock.unlock();
        }
    }

    @Override
    public List<String> listxattr(Request request, long nodeId) throws FuseException {
        Node node = node(nodeId);
        node.lock.lock();
        try {
            // Linux lists trusted.* only to privileged callers.
            return node.xattrs.keySet().stream()
                    .filter(name -> request.uid() == 0 || !name.startsWith(TRUSTED_PREFIX))
                    .toList();
        } finally {
            node.lock.unlock();
        }
    }

    @Override
    public void removexattr(Request request, long nodeId, String name) throws FuseException {
        checkXattrName(name);
        Node node = node(nodeId);
        checkXattrAccess(request, node, name, true);
        node.lock.lock();
        try {
            if (node.xattrs.remove(name) == null) {
                throw new FuseException(Errno.ENODATA);
            }
            node.ctime = Instant.now();
        } finally {
            node.lock.unlock();
        }
    }

    private static void checkXattrName(String name) throws FuseException {
        if (name.isEmpty() || Names.byteLength(name) > XATTR_NAME_MAX) {
            throw new FuseException(Errno.ERANGE);
        }
        String namespace = XATTR_NAMESPACES.stream().filter(name::startsWith).findFirst()
                .orElseThrow(() -> new FuseException(Errno.EOPNOTSUPP));
        if (name.length() == namespace.length()) {
            throw new FuseException(Errno.EINVAL);
        }
    }

    /**
     * The namespace rules of Linux: trusted.* is for root only, and user.* exists only on regular
     * files and directories (elsewhere: EPERM to change, ENODATA to read).
     */
    private static void checkXattrAccess(Request request, Node node, String name, boolean write)
            throws FuseException {
        boolean denied = name.startsWith(TRUSTED_PREFIX) && request.uid() != 0
                || name.startsWith(USER_PREFIX) && !(node instanceof RegularFile || node instanceof Directory);
        if (denied) {
            throw new FuseException(write ? Errno.EPERM : Errno.ENODATA);
        }
    }

    // ---- helpers ----

    private Node node(long nodeId) throws FuseException {
        Node node = nodes.get(nodeId);
        if (node == null) {
            throw new FuseException(Errno.ENOENT);
        }
        return node;
    }

    private Directory directory(long nodeId) throws FuseException {
        if (node(nodeId) instanceof Directory directory) {
            return directory;
        }
        throw new FuseException(Errno.ENOTDIR);
    }

    private static RegularFile regularFile(Node node) throws FuseException {
        if (node instanceof RegularFile file) {
            return file;
        }
        throw new FuseException(node instanceof Directory ? Errno.EISDIR : Errno.EINVAL);
    }

    private OpenFile openFile(long nodeId, long fh) throws FuseException {
        OpenFile open = openFiles.get(fh);
        if (open == null || open.node().id != nodeId) {
            throw new FuseException(Errno.EBADF);
        }
        return open;
    }

    private static DirEntry existing(Directory dir, String name) throws FuseException {
        DirEntry entry = dir.get(name);
        if (entry == null) {
            throw new FuseException(Errno.ENOENT);
        }
        return entry;
    }

    /** The directory a new name goes into; the caller holds the namespace write lock. */
    private Directory directoryForNewName(long parentId, String name) throws FuseException {
        Directory dir = directory(parentId);
        if (dir.get(name) != null) {
            throw new FuseException(Errno.EEXIST);
        }
        if (dir.nlink == 0) {
            throw new FuseException(Errno.ENOENT); // the directory was removed
        }
        return dir;
    }

    private long newNodeId() throws FuseException {
        if (nodes.size() >= MAX_NODES) {
            throw new FuseException(Errno.ENOSPC);
        }
        return nextNodeId.getAndIncrement();
    }

    /** Creates a node under a new name and hands the kernel its first lookup. */
    private Entry addNode(Request request, long parentId, String name, NodeFactory factory) throws FuseException {
        checkName(name);
        namespace.writeLock().lock();
        try {
            Directory dir = directoryForNewName(parentId, name);
            Instant now = Instant.now();
            Node node = factory.create(newNodeId(), dir, ownerFor(request, dir), now);
            insert(dir, name, node, now);
            return lookedUp(node);
        } finally {
            namespace.writeLock().unlock();
        }
    }

    /** Who owns what {@code request} creates in {@code dir}: the caller, with the group of a set-group-id directory. */
    private static Owner ownerFor(Request request, Directory dir) {
        dir.lock.lock();
        try {
            boolean setgid = (dir.permissions & FileMode.S_ISGID) != 0;
            return new Owner(request.uid(), setgid ? dir.gid : request.gid(), setgid);
        } finally {
            dir.lock.unlock();
        }
    }

    /** Publishes a new node under its first name; the caller holds the namespace write lock. */
    private void insert(Directory dir, String name, Node node, Instant now) {
        nodes.put(node.id, node);
        dir.put(name, node);
        parentChanged(dir, node instanceof Directory ? 1 : 0, now);
    }

    /** A name in {@code dir} came, went or changed: m/ctime, and nlink for subdirectories gained or lost. */
    private static void parentChanged(Directory dir, int subdirectories, Instant now) {
        dir.lock.lock();
        try {
            dir.nlink += subdirectories;
            dir.modified(now);
        } finally {
            dir.lock.unlock();
        }
    }

    private static void changed(Node node, Instant now) {
        node.lock.lock();
        try {
            node.ctime = now;
        } finally {
            node.lock.unlock();
        }
    }

    /** One name of {@code node} is gone; it stays alive while the kernel or an open file still uses it. */
    private void unlinked(Node node, Instant now) {
        node.lock.lock();
        try {
            // A directory has one name, and its "." link goes with it.
            node.nlink = node instanceof Directory ? 0 : node.nlink - 1;
            node.ctime = now;
            dropIfUnused(node);
        } finally {
            node.lock.unlock();
        }
    }

    /** Removes a node nothing refers to any more and frees its pages; the caller holds its lock. */
    private void dropIfUnused(Node node) {
        if (node.isUnused() && nodes.remove(node.id, node) && node instanceof RegularFile file) {
            file.discard(store);
        }
    }

    /** Registers an open file handle; O_TRUNC empties a regular file, even one opened read-only, as on Linux. */
    private Open openHandle(Node node, int flags, Instant now) {
        node.lock.lock();
        try {
            if ((flags & O_TRUNC) != 0 && node instanceof RegularFile file) {
                file.truncate(0, store);
                file.modified(now);
            }
            node.openHandles++;
        } finally {
            node.lock.unlock();
        }
        long fh = nextHandle.getAndIncrement();
        openFiles.put(fh, new OpenFile(node, flags));
        // Every change to a file comes through the kernel, which keeps its cached pages in step,
        // so they may outlive the open: a file read again is served without a READ.
        return Open.handle(fh).with(Open.KEEP_CACHE);
    }

    /** Counts one lookup for the entry handed to the kernel. */
    private static Entry lookedUp(Node node) {
        node.lock.lock();
        try {
            node.lookups++;
            return Entry.of(node.attr());
        } finally {
            node.lock.unlock();
        }
    }

    private static Attr attrOf(Node node) {
        node.lock.lock();
        try {
            return node.attr();
        } finally {
            node.lock.unlock();
        }
    }

    private static void accessed(Node node) {
        node.lock.lock();
        try {
            node.accessed(Instant.now());
        } finally {
            node.lock.unlock();
        }
    }

    private static void checkNameLength(String name) throws FuseException {
        if (Names.byteLength(name) > NAME_MAX) {
            throw new FuseException(Errno.ENAMETOOLONG);
        }
    }

    /** A name to create, remove or rename: one path component, not "." or "..". */
    private static void checkName(String name) throws FuseException {
        checkNameLength(name);
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\0') >= 0) {
            throw new FuseException(Errno.EINVAL);
        }
    }
}
