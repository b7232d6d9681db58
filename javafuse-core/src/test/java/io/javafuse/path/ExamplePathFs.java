package io.javafuse.path;

import io.javafuse.api.Attr;
import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FuseException;
import io.javafuse.api.Open;
import io.javafuse.api.Request;
import io.javafuse.api.StatFs;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small path filesystem for the tests: one map from absolute path to inode, guarded by one lock,
 * the way a port of a simple jnr-fuse filesystem looks. Hard links are two paths to one inode;
 * open files are kept by handle, so a file stays readable after its last name is gone.
 */
final class ExamplePathFs implements PathFileSystem {
    static final class Inode {
        final long ino;
        int mode;
        int nlink = 1;
        int uid;
        int gid;
        int rdev;
        byte[] data = new byte[0];
        String target;
        Instant atime;
        Instant mtime;
        Instant ctime;
        final Map<String, byte[]> xattrs = new LinkedHashMap<>();

        Inode(long ino, int mode, int uid, int gid) {
            this.ino = ino;
            this.mode = mode;
            this.uid = uid;
            this.gid = gid;
            Instant now = Instant.now();
            atime = mtime = ctime = now;
        }

        boolean isDirectory() {
            return FileMode.isDirectory(mode);
        }

        Attr attr() {
            long size = target != null ? target.length() : data.length;
            return new Attr(ino, mode, nlink, uid, gid, rdev, size, (size + 511) / 512, 0, atime, mtime, ctime);
        }
    }

    private final NavigableMap<String, Inode> paths = new TreeMap<>();
    private final Map<Long, Inode> handles = new HashMap<>();
    private final boolean pagedListings;
    private long nextIno = 2;
    private long nextHandle = 1;
    /** How many calls came with a null path (a file without a name any more). */
    final AtomicInteger callsWithoutPath = new AtomicInteger();
    /** How many getattr calls were made. */
    final AtomicInteger getattrCalls = new AtomicInteger();

    /** @param pagedListings list directories a page at a time with offsets, instead of in one call */
    ExamplePathFs(boolean pagedListings) {
        this.pagedListings = pagedListings;
        paths.put("/", new Inode(1, FileMode.S_IFDIR | 0755, 0, 0));
        paths.get("/").nlink = 2;
    }

    ExamplePathFs() {
        this(false);
    }

    synchronized int openHandles() {
        return handles.size();
    }

    synchronized boolean exists(String path) {
        return paths.containsKey(path);
    }

    /** Every path in the filesystem, the root excluded, as find(1) prints them from the mountpoint. */
    synchronized List<String> allPaths() {
        return paths.keySet().stream().filter(p -> !p.equals("/")).map(p -> "." + p).sorted().toList();
    }

    // ---- helpers

    private Inode inode(String path, long fh) throws FuseException {
        if (path == null) {
            Inode open = handles.get(fh);
            if (open == null) {
                throw new FuseException(Errno.EBADF);
            }
            return open;
        }
        Inode inode = paths.get(path);
        if (inode == null) {
            throw new FuseException(Errno.ENOENT);
        }
        return inode;
    }

    private Inode byHandleOrPath(String path, long fh) throws FuseException {
        if (path == null) {
            callsWithoutPath.incrementAndGet();
        }
        Inode open = fh != NO_HANDLE ? handles.get(fh) : null;
        return open != null ? open : inode(path, fh);
    }

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash == 0 ? "/" : path.substring(0, slash);
    }

    private Inode newName(String path) throws FuseException {
        Inode parent = paths.get(parentOf(path));
        if (parent == null) {
            throw new FuseException(Errno.ENOENT);
        }
        if (!parent.isDirectory()) {
            throw new FuseException(Errno.ENOTDIR);
        }
        if (paths.containsKey(path)) {
            throw new FuseException(Errno.EEXIST);
        }
        return parent;
    }

    private Inode add(Request request, String path, int mode) throws FuseException {
        Inode parent = newName(path);
        Inode inode = new Inode(nextIno++, mode, request.uid(), request.gid());
        paths.put(path, inode);
        parent.mtime = parent.ctime = Instant.now();
        return inode;
    }

    /** Everything strictly below {@code directory}. */
    private NavigableMap<String, Inode> below(String directory) {
        String prefix = directory.equals("/") ? "/" : directory + "/";
        // Every path that starts with "dir/" sorts between "dir/" and "dir0" ('0' follows '/').
        return paths.subMap(prefix, false, prefix.substring(0, prefix.length() - 1) + "0", false);
    }

    private List<Map.Entry<String, Inode>> children(String directory) {
        List<Map.Entry<String, Inode>> children = new ArrayList<>();
        int depth = directory.equals("/") ? 0 : directory.length();
        for (Map.Entry<String, Inode> entry : below(directory).entrySet()) {
            if (entry.getKey().indexOf('/', depth + 1) < 0) {
                children.add(Map.entry(entry.getKey().substring(depth + 1), entry.getValue()));
            }
        }
        return children;
    }

    // ---- attributes

    @Override
    public synchronized Attr getattr(Request request, String path, long fh) throws FuseException {
        getattrCalls.incrementAndGet();
        return byHandleOrPath(path, fh).attr();
    }

    @Override
    public synchronized void chmod(Request request, String path, int mode, long fh) throws FuseException {
        Inode inode = byHandleOrPath(path, fh);
        inode.mode = FileMode.type(inode.mode) | (mode & 07777);
        inode.ctime = Instant.now();
    }

    @Override
    public synchronized void chown(Request request, String path, int uid, int gid, long fh) throws FuseException {
        Inode inode = byHandleOrPath(path, fh);
        if (uid != -1) {
            inode.uid = uid;
        }
        if (gid != -1) {
            inode.gid = gid;
        }
        inode.ctime = Instant.now();
    }

    @Override
    public synchronized void truncate(Request request, String path, long size, long fh) throws FuseException {
        Inode inode = byHandleOrPath(path, fh);
        if (inode.isDirectory()) {
            throw new FuseException(Errno.EISDIR);
        }
        inode.data = Arrays.copyOf(inode.data, Math.toIntExact(size));
        inode.mtime = inode.ctime = Instant.now();
    }

    @Override
    public synchronized void utimens(Request request, String path, Instant atime, Instant mtime, long fh)
            throws FuseException {
        Inode inode = byHandleOrPath(path, fh);
        if (atime != null) {
            inode.atime = atime;
        }
        if (mtime != null) {
            inode.mtime = mtime;
        }
        inode.ctime = Instant.now();
    }

    @Override
    public synchronized String readlink(Request request, String path) throws FuseException {
        Inode inode = inode(path, NO_HANDLE);
        if (inode.target == null) {
            throw new FuseException(Errno.EINVAL);
        }
        return inode.target;
    }

    // ---- names

    @Override
    public synchronized void mknod(Request request, String path, int mode, int rdev) throws FuseException {
        int type = FileMode.type(mode) == 0 ? FileMode.S_IFREG : FileMode.type(mode);
        add(request, path, type | (mode & 07777)).rdev = rdev;
    }

    @Override
    public synchronized void mkdir(Request request, String path, int mode) throws FuseException {
        Inode dir = add(request, path, FileMode.S_IFDIR | (mode & 07777));
        dir.nlink = 2;
        paths.get(parentOf(path)).nlink++;
    }

    @Override
    public synchronized void symlink(Request request, String target, String linkPath) throws FuseException {
        add(request, linkPath, FileMode.S_IFLNK | 0777).target = target;
    }

    @Override
    public synchronized void link(Request request, String from, String to) throws FuseException {
        Inode inode = inode(from, NO_HANDLE);
        if (inode.isDirectory()) {
            throw new FuseException(Errno.EPERM);
        }
        newName(to);
        paths.put(to, inode);
        inode.nlink++;
        inode.ctime = Instant.now();
    }

    @Override
    public synchronized void unlink(Request request, String path) throws FuseException {
        Inode inode = inode(path, NO_HANDLE);
        if (inode.isDirectory()) {
            throw new FuseException(Errno.EISDIR);
        }
        paths.remove(path);
        inode.nlink--;
        inode.ctime = Instant.now();
    }

    @Override
    public synchronized void rmdir(Request request, String path) throws FuseException {
        Inode inode = inode(path, NO_HANDLE);
        if (!inode.isDirectory()) {
            throw new FuseException(Errno.ENOTDIR);
        }
        if (path.equals("/")) {
            throw new FuseException(Errno.EBUSY);
        }
        if (!below(path).isEmpty()) {
            throw new FuseException(Errno.ENOTEMPTY);
        }
        paths.remove(path);
        inode.nlink = 0;
        paths.get(parentOf(path)).nlink--;
    }

    @Override
    public synchronized void rename(Request request, String from, String to, int flags) throws FuseException {
        if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0 || flags == (RENAME_NOREPLACE | RENAME_EXCHANGE)) {
            throw new FuseException(Errno.EINVAL);
        }
        Inode source = inode(from, NO_HANDLE);
        Inode toParent = paths.get(parentOf(to));
        if (toParent == null) {
            throw new FuseException(Errno.ENOENT);
        }
        if (to.startsWith(from + "/") || from.startsWith(to + "/") && flags == RENAME_EXCHANGE) {
            throw new FuseException(Errno.EINVAL);
        }
        Inode target = paths.get(to);
        if (flags == RENAME_NOREPLACE && target != null) {
            throw new FuseException(Errno.EEXIST);
        }
        if (flags == RENAME_EXCHANGE) {
            if (target == null) {
                throw new FuseException(Errno.ENOENT);
            }
            Map<String, Inode> sourceTree = new HashMap<>(below(from));
            Map<String, Inode> targetTree = new HashMap<>(below(to));
            sourceTree.keySet().forEach(paths::remove);
            targetTree.keySet().forEach(paths::remove);
            paths.put(from, target);
            paths.put(to, source);
            sourceTree.forEach((path, inode) -> paths.put(to + path.substring(from.length()), inode));
            targetTree.forEach((path, inode) -> paths.put(from + path.substring(to.length()), inode));
            return;
        }
        if (target != null) {
            if (source == target) {
                return; // two names of one file: rename(2) does nothing
            }
            if (source.isDirectory() && !target.isDirectory()) {
                throw new FuseException(Errno.ENOTDIR);
            }
            if (!source.isDirectory() && target.isDirectory()) {
                throw new FuseException(Errno.EISDIR);
            }
            if (target.isDirectory() && !below(to).isEmpty()) {
                throw new FuseException(Errno.ENOTEMPTY);
            }
            if (from.startsWith(to + "/")) {
                throw new FuseException(Errno.ENOTEMPTY);
            }
            target.nlink = target.isDirectory() ? 0 : target.nlink - 1;
            if (target.isDirectory()) {
                toParent.nlink--;
            }
        }
        Map<String, Inode> tree = new HashMap<>(below(from));
        tree.keySet().forEach(paths::remove);
        paths.remove(from);
        paths.put(to, source);
        tree.forEach((path, inode) -> paths.put(to + path.substring(from.length()), inode));
        if (source.isDirectory()) {
            paths.get(parentOf(from)).nlink--;
            toParent.nlink++;
        }
        source.ctime = Instant.now();
    }

    // ---- files

    @Override
    public synchronized Open open(Request request, String path, int flags) throws FuseException {
        Inode inode = inode(path, NO_HANDLE);
        long fh = nextHandle++;
        handles.put(fh, inode);
        return Open.handle(fh);
    }

    @Override
    public synchronized Open create(Request request, String path, int mode, int flags) throws FuseException {
        Inode inode = add(request, path, FileMode.S_IFREG | (mode & 07777));
        long fh = nextHandle++;
        handles.put(fh, inode);
        return Open.handle(fh);
    }

    @Override
    public synchronized int read(Request request, String path, MemorySegment destination, long offset, long fh)
            throws FuseException {
        Inode inode = byHandleOrPath(path, fh);
        int n = (int) Math.max(0, Math.min(destination.byteSize(), inode.data.length - offset));
        MemorySegment.copy(inode.data, (int) offset, destination, ValueLayout.JAVA_BYTE, 0, n);
        inode.atime = Instant.now();
        return n;
    }

    @Override
    public synchronized int write(Request request, String path, MemorySegment data, long offset, long fh)
            throws FuseException {
        Inode inode = byHandleOrPath(path, fh);
        int n = (int) data.byteSize();
        long end = offset + n;
        if (end > inode.data.length) {
            inode.data = Arrays.copyOf(inode.data, Math.toIntExact(end));
        }
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, 0, inode.data, (int) offset, n);
        inode.mtime = inode.ctime = Instant.now();
        return n;
    }

    @Override
    public void flush(Request request, String path, long lockOwner, long fh) {}

    @Override
    public void fsync(Request request, String path, boolean dataOnly, long fh) {}

    @Override
    public synchronized void release(Request request, String path, int flags, long fh) {
        handles.remove(fh);
    }

    // ---- directories

    @Override
    public synchronized void readdir(Request request, String path, PathDirectoryFiller filler, long offset, long fh)
            throws FuseException {
        Inode dir = inode(path, NO_HANDLE);
        if (!dir.isDirectory()) {
            throw new FuseException(Errno.ENOTDIR);
        }
        List<Map.Entry<String, Inode>> entries = new ArrayList<>();
        entries.add(Map.entry(".", dir));
        entries.add(Map.entry("..", paths.get(parentOf(path))));
        entries.addAll(children(path));
        if (!pagedListings) {
            for (Map.Entry<String, Inode> entry : entries) {
                filler.add(entry.getKey(), entry.getValue().attr(), 0);
            }
            return;
        }
        for (int i = (int) offset; i < entries.size(); i++) {
            Map.Entry<String, Inode> entry = entries.get(i);
            // Names only, as many simple ports list them; the kernel looks each one up.
            if (!filler.add(entry.getKey(), null, i + 1)) {
                return;
            }
        }
    }

    // ---- the filesystem

    @Override
    public synchronized StatFs statfs(Request request, String path) {
        return new StatFs(1 << 20, 1 << 19, 1 << 19, 1 << 20, (1 << 20) - paths.size(), 4096, 255, 4096);
    }

    @Override
    public synchronized void setxattr(Request request, String path, String name, MemorySegment value, int flags)
            throws FuseException {
        Inode inode = inode(path, NO_HANDLE);
        boolean exists = inode.xattrs.containsKey(name);
        if (flags == 1 && exists) {
            throw new FuseException(Errno.EEXIST);
        }
        if (flags == 2 && !exists) {
            throw new FuseException(Errno.ENODATA);
        }
        inode.xattrs.put(name, value.toArray(ValueLayout.JAVA_BYTE));
    }

    @Override
    public synchronized byte[] getxattr(Request request, String path, String name) throws FuseException {
        byte[] value = inode(path, NO_HANDLE).xattrs.get(name);
        if (value == null) {
            throw new FuseException(Errno.ENODATA);
        }
        return value;
    }

    @Override
    public synchronized List<String> listxattr(Request request, String path) throws FuseException {
        return List.copyOf(inode(path, NO_HANDLE).xattrs.keySet());
    }

    @Override
    public synchronized void removexattr(Request request, String path, String name) throws FuseException {
        if (inode(path, NO_HANDLE).xattrs.remove(name) == null) {
            throw new FuseException(Errno.ENODATA);
        }
    }
}
