package io.javafuse.path;

import io.javafuse.api.Attr;
import io.javafuse.api.ConnectionInfo;
import io.javafuse.api.Created;
import io.javafuse.api.DirectoryFiller;
import io.javafuse.api.DirectoryPlusFiller;
import io.javafuse.api.Entry;
import io.javafuse.api.Errno;
import io.javafuse.api.FileSystem;
import io.javafuse.api.ForwardingRequest;
import io.javafuse.api.FuseException;
import io.javafuse.api.IoctlResult;
import io.javafuse.api.Lock;
import io.javafuse.api.Open;
import io.javafuse.api.PollHandle;
import io.javafuse.api.Request;
import io.javafuse.api.SetAttr;
import io.javafuse.api.StatFs;
import io.javafuse.path.NodeTable.Guard;
import io.javafuse.path.NodeTable.Node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Mounts a {@link PathFileSystem}: an inode-level {@link FileSystem} that keeps the node table
 * and calls the path filesystem with paths.
 *
 * <pre>{@code
 * try (Mount mount = Fuse.mount(new PathAdapter(new MyPathFileSystem()), Path.of("/mnt/my"))) {
 *     mount.awaitTermination(Duration.ofDays(365));
 * }
 * }</pre>
 *
 * <p>What it does for the filesystem:
 * <ul>
 *   <li><b>Node ids and lookups.</b> Every name the kernel looks up (or that mknod, mkdir, symlink,
 *       link or create makes) gets a node id; each answer counts one lookup, and the node leaves
 *       the table when the kernel has forgotten them all ({@link #nodeCount()} shows how many are
 *       kept). Node ids are never reused. (An answer the kernel no longer takes, because its caller
 *       was interrupted meanwhile, leaves a lookup the kernel never gives back: that node stays
 *       until the unmount.)</li>
 *   <li><b>Renames.</b> A node knows its parent and its name, not its path, so a rename moves a
 *       directory with everything below it in one step: the next call on any node inside it gets
 *       the new path.</li>
 *   <li><b>Hard links.</b> Each name gets its own node id, also when several names are links of one
 *       file (as in libfuse); {@code stat} shows {@link Attr#ino()} as the filesystem reports it,
 *       so the names of one file show one inode number, as long as the filesystem gives each file
 *       its own ino (with ino 0 the adapter shows the node id instead, as libfuse does without
 *       {@code use_ino}). The kernel caches the names' data and attributes separately: it drops the
 *       data cache on every open and notices changes by size and mtime, but a link count seen
 *       through one name may lag behind a link or unlink through another for the attribute
 *       timeout, as with libfuse.</li>
 *   <li><b>Unlinked but open.</b> A node whose name goes away (unlink, rmdir, a rename over it)
 *       while the kernel still holds it stays in the table without a path. Calls on it that come
 *       with a handle (read, write, flush, fsync, release, locks ...) reach the filesystem with a
 *       null path and that handle, like libfuse's {@code hard_remove}; getattr and the attribute
 *       changes get a handle of some file still open on that node when the kernel named none
 *       (fstat after unlink). With no handle at all (a directory removed while it is someone's
 *       working directory), getattr answers the last attributes seen with no links, opendir opens
 *       an empty listing, and everything else is ENOENT, without asking the filesystem. Nothing
 *       is renamed to {@code .fuse_hidden} files.</li>
 *   <li><b>Consistent paths under concurrency.</b> The table's mutex is held only for short table
 *       changes; around each filesystem call the adapter holds path locks (see {@link NodeTable}):
 *       a call reads-locks its node and the directories above it, rename, unlink and rmdir
 *       write-lock the nodes whose names they change. So a path handed to the filesystem stays
 *       the path of that node until the call returns (or its {@link Request#later} stage
 *       completes), calls in unrelated places run in parallel, and a rename waits only for calls
 *       below the names it moves.</li>
 *   <li><b>Directory listings.</b> A listing made in one call (all offsets 0) is kept with the open
 *       directory and handed out in as many replies as it takes. Entries listed with attributes
 *       answer READDIRPLUS too (each counting a lookup), so that {@code ls -l} needs no lookup
 *       per entry; but only while the listing is fresh: later replies from a kept listing send
 *       names only, because a name may have been renamed or removed since it was listed.</li>
 *   <li><b>O_TRUNC.</b> An open with O_TRUNC becomes {@code truncate(path, 0)} and then an open
 *       without it, as libfuse 2 did, so ports need not handle O_TRUNC in open.</li>
 * </ul>
 */
public final class PathAdapter implements FileSystem {
    private static final int O_TRUNC = 01000;
    /** FUSE_IOCTL_DIR: the ioctl is on an open directory, so {@code fh} is a directory handle. */
    private static final int IOCTL_DIR = 1 << 4;

    private final PathFileSystem fs;
    private final NodeTable table = new NodeTable();
    private final ConcurrentHashMap<Long, DirectoryHandle> directories = new ConcurrentHashMap<>();
    private final AtomicLong nextDirectoryHandle = new AtomicLong(1);

    /** Whether the filesystem makes SETATTR in one call, or the adapter splits it into chmod, chown ... */
    private final boolean ownSetattr;

    public PathAdapter(PathFileSystem fs) {
        this.fs = Objects.requireNonNull(fs, "fs");
        this.ownSetattr = overrides(fs, "setattr", Request.class, String.class, SetAttr.class);
    }

    private static boolean overrides(Object fs, String method, Class<?>... parameters) {
        try {
            return fs.getClass().getMethod(method, parameters).getDeclaringClass() != PathFileSystem.class;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    /** The path filesystem this adapter serves. */
    public PathFileSystem fileSystem() {
        return fs;
    }

    /**
     * How many nodes the table keeps, the root included: the names the kernel still holds, and the
     * nodes still open or needed as the parent of such.
     */
    public int nodeCount() {
        return table.size();
    }

    /** The node table, for tests in this package. */
    NodeTable table() {
        return table;
    }

    // ---- lifecycle

    @Override
    public void init(ConnectionInfo connection) throws IOException {
        fs.init(connection);
    }

    @Override
    public void destroy() {
        fs.destroy();
    }

    // ---- names

    @Override
    public Entry lookup(Request request, long parent, String name) throws IOException {
        Node dir = table.get(parent);
        if (name.equals(".") || name.equals("..")) {
            // Only NFS export asks for these.
            Node node = name.equals(".") ? dir : table.parentOf(dir);
            Guard guard = table.keep(node);
            String path = required(guard, table.path(node));
            return run(request, guard, r -> fs.getattr(r, path, NO_HANDLE), attr -> {
                table.lookedUp(node, attr);
                return entry(node, attr);
            });
        }
        Guard guard = table.keepName(dir, name, false);
        String path = required(guard, table.path(dir, name));
        return run(request, guard, r -> fs.getattr(r, path, NO_HANDLE), attr -> named(dir, name, attr));
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        table.forget(nodeId, nlookup);
    }

    @Override
    public Entry mknod(Request request, long parent, String name, int mode, int rdev, int umask) throws IOException {
        return made(request, parent, name, (r, path) -> fs.mknod(r, path, mode, rdev));
    }

    @Override
    public Entry mkdir(Request request, long parent, String name, int mode, int umask) throws IOException {
        return made(request, parent, name, (r, path) -> fs.mkdir(r, path, mode));
    }

    @Override
    public Entry symlink(Request request, long parent, String name, String target) throws IOException {
        return made(request, parent, name, (r, path) -> fs.symlink(r, target, path));
    }

    @Override
    public Entry link(Request request, long nodeId, long newParent, String newName) throws IOException {
        Node node = table.get(nodeId);
        Node dir = table.get(newParent);
        Guard guard = table.keep(node, dir);
        String from = required(guard, table.path(node));
        String to = required(guard, table.path(dir, newName));
        CompletableFuture<Entry> result = step(request, r -> {
            fs.link(r, from, to);
            return null;
        }).thenCompose(_ -> step(request, r -> fs.getattr(r, to, NO_HANDLE)))
                .thenApply(unchecked(attr -> named(dir, newName, attr)));
        return finish(request, guard, result);
    }

    @Override
    public void unlink(Request request, long parent, String name) throws IOException {
        removeName(request, parent, name, (r, path) -> fs.unlink(r, path));
    }

    @Override
    public void rmdir(Request request, long parent, String name) throws IOException {
        removeName(request, parent, name, (r, path) -> fs.rmdir(r, path));
    }

    @Override
    public void rename(Request request, long parent, String name, long newParent, String newName, int flags)
            throws IOException {
        Node from = table.get(parent);
        Node to = table.get(newParent);
        Guard guard = table.rename(from, name, to, newName);
        String fromPath = required(guard, table.path(from, name));
        String toPath = required(guard, table.path(to, newName));
        run(request, guard, r -> {
            fs.rename(r, fromPath, toPath, flags);
            return null;
        }, _ -> {
            table.renamed(from, name, to, newName, (flags & RENAME_EXCHANGE) != 0);
            return null;
        });
    }

    // ---- attributes

    @Override
    public Attr getattr(Request request, long nodeId, long fh) throws IOException {
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = table.path(node);
        if (path == null && fh == NO_HANDLE && table.anyHandle(node) == NO_HANDLE && table.lastAttr(node) != null) {
            // No name and nothing open (fstat of a directory removed while open): what was last
            // seen, without links, as Linux shows a removed directory.
            guard.close();
            Attr last = table.lastAttr(node);
            return new Attr(last.ino(), last.mode(), 0, last.uid(), last.gid(), last.rdev(), last.size(),
                    last.blocks(), last.blksize(), last.atime(), last.mtime(), last.ctime());
        }
        long handle = path != null ? fh : handleFor(guard, node, fh);
        return run(request, guard, r -> fs.getattr(r, path, handle), attr -> {
            table.seen(node, attr);
            return shown(node, attr);
        });
    }

    @Override
    public Attr setattr(Request request, long nodeId, SetAttr changes) throws IOException {
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = table.path(node);
        long handle = path != null ? changes.fh() : handleFor(guard, node, changes.fh());
        SetAttr asked = handle == changes.fh() ? changes : new SetAttr(changes.mode(), changes.uid(),
                changes.gid(), changes.size(), changes.atime(), changes.atimeNow(), changes.mtime(),
                changes.mtimeNow(), changes.ctime(), changes.killSetIdBits(), handle);
        if (ownSetattr) {
            return run(request, guard, r -> fs.setattr(r, path, asked), attr -> {
                table.seen(node, attr);
                return shown(node, attr);
            });
        }
        // PathFileSystem.setattr's default, step by step, so that each call may answer later.
        long fh = asked.fh();
        CompletableFuture<Object> changed = CompletableFuture.completedFuture(null);
        if (asked.mode() != null) {
            changed = changed.thenCompose(_ -> step(request, r -> {
                fs.chmod(r, path, asked.mode() & 07777, fh);
                return null;
            }));
        }
        if (asked.uid() != null || asked.gid() != null) {
            int uid = asked.uid() != null ? asked.uid() : -1;
            int gid = asked.gid() != null ? asked.gid() : -1;
            changed = changed.thenCompose(_ -> step(request, r -> {
                fs.chown(r, path, uid, gid, fh);
                return null;
            }));
        }
        if (asked.size() != null) {
            changed = changed.thenCompose(_ -> step(request, r -> {
                fs.truncate(r, path, asked.size(), fh);
                return null;
            }));
        }
        if (asked.atime() != null || asked.atimeNow() || asked.mtime() != null || asked.mtimeNow()) {
            Instant now = Instant.now();
            Instant atime = asked.atimeNow() ? now : asked.atime();
            Instant mtime = asked.mtimeNow() ? now : asked.mtime();
            changed = changed.thenCompose(_ -> step(request, r -> {
                fs.utimens(r, path, atime, mtime, fh);
                return null;
            }));
        }
        CompletableFuture<Attr> result = changed.thenCompose(_ -> step(request, r -> fs.getattr(r, path, fh)))
                .thenApply(attr -> {
                    table.seen(node, attr);
                    return shown(node, attr);
                });
        return finish(request, guard, result);
    }

    @Override
    public String readlink(Request request, long nodeId) throws IOException {
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = required(guard, table.path(node));
        return run(request, guard, r -> fs.readlink(r, path), target -> target);
    }

    // ---- files

    @Override
    public Open open(Request request, long nodeId, int flags) throws IOException {
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = required(guard, table.path(node));
        CompletableFuture<Object> truncated = (flags & O_TRUNC) == 0 ? CompletableFuture.completedFuture(null)
                // ENOSYS would make the kernel stop sending OPEN for good.
                : notSticky(Errno.EOPNOTSUPP, step(request, r -> {
                    fs.truncate(r, path, 0, NO_HANDLE);
                    return null;
                }));
        CompletableFuture<Open> result = truncated
                .thenCompose(_ -> orNoHandle(step(request, r -> fs.open(r, path, flags & ~O_TRUNC))))
                .thenApply(open -> {
                    table.opened(node, open.fh());
                    return open;
                });
        return finish(request, guard, result);
    }

    @Override
    public Created create(Request request, long parent, String name, int mode, int umask, int flags)
            throws IOException {
        Node dir = table.get(parent);
        Guard guard = table.keepName(dir, name, false);
        String path = required(guard, table.path(dir, name));
        CompletableFuture<Created> result = step(request, r -> fs.create(r, path, mode, flags))
                // ENOSYS would make the kernel stop sending CREATE for good, for a file that exists.
                .thenCompose(open -> notSticky(Errno.EIO, step(request, r -> fs.getattr(r, path, open.fh())))
                        .handle((attr, failure) -> {
                            if (failure != null) {
                                // The kernel never learns of this open, so it never releases it.
                                try {
                                    fs.release(new Caught(request), path, flags, open.fh());
                                } catch (IOException | RuntimeException e) {
                                    failure.addSuppressed(e);
                                }
                                throw failure instanceof CompletionException c ? c : new CompletionException(failure);
                            }
                            Node node = table.lookedUp(dir, name, attr);
                            table.opened(node, open.fh());
                            return new Created(entry(node, attr), open);
                        }));
        return finish(request, guard, result);
    }

    @Override
    public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
            throws IOException {
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = table.path(node);
        Integer n = run(request, guard, r -> fs.read(r, path, destination, offset, fh), read -> read);
        return n != null ? n : 0;
    }

    @Override
    public int write(Request request, long nodeId, long fh, long offset, MemorySegment data, int writeFlags)
            throws IOException {
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = table.path(node);
        Integer n = run(request, guard, r -> fs.write(r, path, data, offset, fh), written -> written);
        return n != null ? n : 0;
    }

    @Override
    public void flush(Request request, long nodeId, long fh, long lockOwner) throws IOException {
        withHandle(request, nodeId, (r, path) -> fs.flush(r, path, lockOwner, fh));
    }

    @Override
    public void release(Request request, long nodeId, long fh, int flags) throws IOException {
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = table.path(node);
        // The node stays in the table while the guard holds it, however the release ends.
        table.released(node, fh);
        run(request, guard, r -> {
            fs.release(r, path, flags, fh);
            return null;
        }, _ -> null);
    }

    @Override
    public void fsync(Request request, long nodeId, long fh, boolean dataOnly) throws IOException {
        withHandle(request, nodeId, (r, path) -> fs.fsync(r, path, dataOnly, fh));
    }

    @Override
    public Lock getlk(Request request, long nodeId, long fh, long owner, Lock lock) throws IOException {
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = table.path(node);
        return run(request, guard, r -> fs.lock(r, path, owner, PathFileSystem.F_GETLK, lock, fh), answer -> answer);
    }

    @Override
    public void setlk(Request request, long nodeId, long fh, long owner, Lock lock, boolean wait)
            throws IOException {
        int command = wait ? PathFileSystem.F_SETLKW : PathFileSystem.F_SETLK;
        withHandle(request, nodeId, (r, path) -> fs.lock(r, path, owner, command, lock, fh));
    }

    @Override
    public void flock(Request request, long nodeId, long fh, long owner, int operation) throws IOException {
        withHandle(request, nodeId, (r, path) -> fs.flock(r, path, owner, operation, fh));
    }

    @Override
    public void fallocate(Request request, long nodeId, long fh, long offset, long length, int mode)
            throws IOException {
        withHandle(request, nodeId, (r, path) -> fs.fallocate(r, path, mode, offset, length, fh));
    }

    @Override
    public long lseek(Request request, long nodeId, long fh, long offset, int whence) throws IOException {
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = table.path(node);
        Long at = run(request, guard, r -> fs.lseek(r, path, offset, whence, fh), position -> position);
        return at != null ? at : 0;
    }

    @Override
    public long copyFileRange(Request request, long nodeIn, long fhIn, long offsetIn, long nodeOut, long fhOut,
                              long offsetOut, long length, int flags) throws IOException {
        Node in = table.get(nodeIn);
        Node out = table.get(nodeOut);
        Guard guard = table.keep(in, out);
        String pathIn = table.path(in);
        String pathOut = table.path(out);
        Long copied = run(request, guard, r -> fs.copyFileRange(r, pathIn, fhIn, offsetIn, pathOut, fhOut,
                offsetOut, length, flags), n -> n);
        return copied != null ? copied : 0;
    }

    @Override
    public IoctlResult ioctl(Request request, long nodeId, long fh, int command, long argument, int flags,
                             MemorySegment in, int outSize) throws IOException {
        long handle = fh;
        if ((flags & IOCTL_DIR) != 0) {
            handle = directory(fh).fh;
        }
        long fsHandle = handle;
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = table.path(node);
        return run(request, guard, r -> fs.ioctl(r, path, command, argument, flags, in, outSize, fsHandle),
                answer -> answer);
    }

    @Override
    public int poll(Request request, long nodeId, long fh, PollHandle waiter, int events) throws IOException {
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = table.path(node);
        Integer revents = run(request, guard, r -> fs.poll(r, path, waiter, events, fh), ready -> ready);
        return revents != null ? revents : 0;
    }

    // ---- directories

    @Override
    public Open opendir(Request request, long nodeId, int flags) throws IOException {
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = table.path(node);
        if (path == null) {
            // A directory removed while someone is in it opens, and lists nothing, as on any
            // Linux filesystem; the path filesystem is not asked.
            guard.close();
            long handle = nextDirectoryHandle.getAndIncrement();
            directories.put(handle, new DirectoryHandle(NO_HANDLE, false));
            return Open.handle(handle);
        }
        CompletableFuture<Open> result = orNoHandle(step(request, r -> fs.opendir(r, path, flags))).thenApply(open -> {
            long handle = nextDirectoryHandle.getAndIncrement();
            directories.put(handle, new DirectoryHandle(open.fh(), true));
            return new Open(handle, open.openFlags());
        });
        return finish(request, guard, result);
    }

    @Override
    public void readdir(Request request, long nodeId, long fh, long offset, DirectoryFiller out) throws IOException {
        list(request, nodeId, fh, offset, (dir, name, attr, nextOffset, _) ->
                out.add(name, inoOf(dir, name, attr), attr != null ? attr.mode() : 0, nextOffset));
    }

    @Override
    public void readdirplus(Request request, long nodeId, long fh, long offset, DirectoryPlusFiller out)
            throws IOException {
        list(request, nodeId, fh, offset, (dir, name, attr, nextOffset, fresh) -> {
            // Only entries the filesystem listed within this very request come with a lookup:
            // a kept listing may be older than a rename in this directory.
            if (attr == null || !fresh || name.equals(".") || name.equals("..")) {
                Attr shown = attr != null && attr.ino() != 0 ? attr : unknown(inoOf(dir, name, attr), attr);
                return out.add(name, new Entry(0, 0, shown, null, null), nextOffset);
            }
            if (!out.fits(name)) {
                return false;
            }
            Node node = table.lookedUp(dir, name, attr);
            if (!out.add(name, entry(node, attr), nextOffset)) {
                table.forget(node.id, 1);
                return false;
            }
            return true;
        });
    }

    @Override
    public void releasedir(Request request, long nodeId, long fh) throws IOException {
        DirectoryHandle handle = directories.remove(fh);
        if (handle == null || !handle.opened) {
            return;
        }
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = table.path(node);
        run(request, guard, r -> {
            fs.releasedir(r, path, handle.fh);
            return null;
        }, _ -> null);
    }

    @Override
    public void fsyncdir(Request request, long nodeId, long fh, boolean dataOnly) throws IOException {
        DirectoryHandle handle = directory(fh);
        if (!handle.opened) {
            return;
        }
        withHandle(request, nodeId, (r, path) -> fs.fsyncdir(r, path, dataOnly, handle.fh));
    }

    // ---- the filesystem

    @Override
    public StatFs statfs(Request request, long nodeId) throws IOException {
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String known = table.path(node);
        String path = known != null ? known : "/";
        return run(request, guard, r -> fs.statfs(r, path), stats -> stats);
    }

    @Override
    public void access(Request request, long nodeId, int mask) throws IOException {
        onPath(request, nodeId, (r, path) -> fs.access(r, path, mask));
    }

    @Override
    public void setxattr(Request request, long nodeId, String name, MemorySegment value, int flags)
            throws IOException {
        onPath(request, nodeId, (r, path) -> fs.setxattr(r, path, name, value, flags));
    }

    @Override
    public byte[] getxattr(Request request, long nodeId, String name) throws IOException {
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = required(guard, table.path(node));
        return run(request, guard, r -> fs.getxattr(r, path, name), value -> value);
    }

    @Override
    public List<String> listxattr(Request request, long nodeId) throws IOException {
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = required(guard, table.path(node));
        return run(request, guard, r -> fs.listxattr(r, path), names -> names);
    }

    @Override
    public void removexattr(Request request, long nodeId, String name) throws IOException {
        onPath(request, nodeId, (r, path) -> fs.removexattr(r, path, name));
    }

    // ---- the steps shared by several operations

    /** A call of the path filesystem that answers nothing. */
    @FunctionalInterface
    private interface PathCall {
        void call(Request request, String path) throws IOException;
    }

    /** mknod, mkdir, symlink: make the name, then look it up for the kernel's entry. */
    private Entry made(Request request, long parent, String name, PathCall make) throws IOException {
        Node dir = table.get(parent);
        Guard guard = table.keepName(dir, name, false);
        String path = required(guard, table.path(dir, name));
        CompletableFuture<Entry> result = step(request, r -> {
            make.call(r, path);
            return null;
        }).thenCompose(_ -> step(request, r -> fs.getattr(r, path, NO_HANDLE)))
                .thenApply(unchecked(attr -> named(dir, name, attr)));
        return finish(request, guard, result);
    }

    /** unlink, rmdir: the name's node, if the kernel knows it, loses its name once the filesystem agrees. */
    private void removeName(Request request, long parent, String name, PathCall remove) throws IOException {
        Node dir = table.get(parent);
        Guard guard = table.keepName(dir, name, true);
        String path = required(guard, table.path(dir, name));
        run(request, guard, r -> {
            remove.call(r, path);
            return null;
        }, _ -> {
            table.removed(dir, name);
            return null;
        });
    }

    /** An operation that needs the node's path (ENOENT once it has none). */
    private void onPath(Request request, long nodeId, PathCall call) throws IOException {
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = required(guard, table.path(node));
        run(request, guard, r -> {
            call.call(r, path);
            return null;
        }, _ -> null);
    }

    /** An operation on an open file or directory: its path, or null once it has none. */
    private void withHandle(Request request, long nodeId, PathCall call) throws IOException {
        Node node = table.get(nodeId);
        Guard guard = table.keep(node);
        String path = table.path(node);
        run(request, guard, r -> {
            call.call(r, path);
            return null;
        }, _ -> null);
    }

    /** The handle for a call on a node without a path: the kernel's, or one of the node's open files. */
    private long handleFor(Guard guard, Node node, long fh) throws FuseException {
        long handle = fh != NO_HANDLE ? fh : table.anyHandle(node);
        if (handle == NO_HANDLE) {
            guard.close();
            throw new FuseException(Errno.ENOENT);
        }
        return handle;
    }

    private static String required(Guard guard, String path) throws FuseException {
        if (path == null) {
            guard.close();
            throw new FuseException(Errno.ENOENT);
        }
        return path;
    }

    /** Counts a lookup of {@code name} in {@code dir} and answers its entry. */
    private Entry named(Node dir, String name, Attr attr) {
        Node node = table.lookedUp(dir, name, attr);
        return entry(node, attr);
    }

    private static Entry entry(Node node, Attr attr) {
        return new Entry(node.id, 0, shown(node, attr), null, null);
    }

    /** The attributes as stat shows them: the filesystem's ino, or the node id where it gave none. */
    private static Attr shown(Node node, Attr attr) {
        return attr.ino() != 0 ? attr : withIno(attr, node.id);
    }

    private static Attr withIno(Attr a, long ino) {
        return new Attr(ino, a.mode(), a.nlink(), a.uid(), a.gid(), a.rdev(), a.size(), a.blocks(), a.blksize(),
                a.atime(), a.mtime(), a.ctime());
    }

    /** Attributes for an entry sent without a lookup: only its inode number and type count. */
    private static Attr unknown(long ino, Attr attr) {
        if (attr != null) {
            return withIno(attr, ino);
        }
        return new Attr(ino, 0, 0, 0, 0, 0, 0, 0, 0, Instant.EPOCH, Instant.EPOCH, Instant.EPOCH);
    }

    /** The inode number a listing shows: the filesystem's, else the last one seen for that name. */
    private long inoOf(Node dir, String name, Attr attr) {
        if (attr != null && attr.ino() != 0) {
            return attr.ino();
        }
        long known = name.equals(".") || name.equals("..") ? 0 : table.inoOf(dir, name);
        return known != 0 ? known : NodeTable.UNKNOWN_INO;
    }

    /** Whether a failure is the filesystem's ENOSYS. */
    private static boolean isEnosys(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t instanceof FuseException e && e.errno() == Errno.ENOSYS;
    }

    /** {@code errno} instead of an ENOSYS that the kernel would take as "never call this again". */
    private static <T> CompletableFuture<T> notSticky(int errno, CompletableFuture<T> step) {
        return step.exceptionallyCompose(failure -> CompletableFuture.failedFuture(isEnosys(failure)
                ? new FuseException(errno, "a step of this operation is not implemented", failure) : failure));
    }

    /** An open or opendir the filesystem does not implement opens without a handle, as in libfuse. */
    private static CompletableFuture<Open> orNoHandle(CompletableFuture<Open> step) {
        return step.exceptionallyCompose(failure -> isEnosys(failure)
                ? CompletableFuture.completedFuture(Open.handle(0)) : CompletableFuture.failedFuture(failure));
    }

    // ---- listings

    private static final class DirectoryHandle {
        /** The filesystem's handle of this open directory. */
        final long fh;
        /** Whether the filesystem opened it (and so releases it). */
        final boolean opened;
        /** The whole listing, when the filesystem lists in one call; null until then, or when it pages. */
        List<Listed> listing;

        DirectoryHandle(long fh, boolean opened) {
            this.fh = fh;
            this.opened = opened;
        }
    }

    private record Listed(String name, Attr attr) {}

    /** Where the entries of a listing go: readdir's or readdirplus's reply. */
    @FunctionalInterface
    private interface Sink {
        /** @param fresh whether the filesystem listed this entry within this request */
        boolean add(Node dir, String name, Attr attr, long nextOffset, boolean fresh);
    }

    private DirectoryHandle directory(long fh) throws FuseException {
        DirectoryHandle handle = directories.get(fh);
        if (handle == null) {
            throw new FuseException(Errno.EBADF, "no open directory " + fh);
        }
        return handle;
    }

    private void list(Request request, long nodeId, long fh, long offset, Sink sink) throws IOException {
        DirectoryHandle handle = directory(fh);
        Node dir = table.get(nodeId);
        synchronized (handle) {
            if (offset > 0 && handle.listing != null) {
                serve(dir, handle.listing, offset, sink, false);
                return;
            }
            Guard guard = table.keep(dir);
            String path = table.path(dir);
            if (path == null) {
                guard.close(); // removed while open: nothing is left in it
                return;
            }
            Collector collector = new Collector(dir, sink);
            run(request, guard, r -> {
                fs.readdir(r, path, collector, offset, handle.fh);
                return null;
            }, _ -> {
                if (collector.mixed) {
                    throw new FuseException(Errno.EIO, "readdir of " + path + " mixed offsets 0 and non-zero");
                }
                synchronized (handle) {
                    handle.listing = collector.listing;
                }
                if (collector.listing != null) {
                    serve(dir, collector.listing, offset, sink, true);
                }
                return null;
            });
        }
    }

    /** Hands out a kept listing from {@code offset} (entry i continues at offset i + 1). */
    private static void serve(Node dir, List<Listed> listing, long offset, Sink sink, boolean fresh) {
        for (int i = (int) Math.min(offset, listing.size()); i < listing.size(); i++) {
            Listed entry = listing.get(i);
            if (!sink.add(dir, entry.name(), entry.attr(), i + 1, fresh)) {
                return;
            }
        }
    }

    /** The filler the filesystem sees: keeps a whole listing, or passes pages straight to the reply. */
    private static final class Collector implements PathDirectoryFiller {
        private final Node dir;
        private final Sink sink;
        List<Listed> listing;
        boolean paging;
        boolean mixed;

        Collector(Node dir, Sink sink) {
            this.dir = dir;
            this.sink = sink;
        }

        @Override
        public boolean add(String name, Attr attr, long nextOffset) {
            Objects.requireNonNull(name, "name");
            if (nextOffset == 0) {
                if (paging) {
                    mixed = true;
                    return false;
                }
                if (listing == null) {
                    listing = new ArrayList<>();
                }
                listing.add(new Listed(name, attr));
                return true;
            }
            if (listing != null) {
                mixed = true;
                return false;
            }
            paging = true;
            return sink.add(dir, name, attr, nextOffset, true);
        }
    }

    // ---- calling the filesystem, now or later

    /** One call of the filesystem, with the request it sees (whose {@code later} the adapter catches). */
    @FunctionalInterface
    private interface Call<T> {
        T call(Request request) throws IOException;
    }

    /** What the adapter does with the filesystem's answer before the kernel gets it. */
    @FunctionalInterface
    private interface Then<T, R> {
        R apply(T value) throws IOException;
    }

    /**
     * Calls the filesystem under {@code guard} and answers {@code then} of its answer; when the
     * filesystem answers later, so does this, and the guard is held until then.
     */
    private static <T, R> R run(Request request, Guard guard, Call<T> call, Then<? super T, ? extends R> then)
            throws IOException {
        Caught caught = new Caught(request);
        boolean handedOver = false;
        try {
            T value = call.call(caught);
            if (caught.stage == null) {
                return then.apply(value);
            }
            CompletableFuture<R> answer = new CompletableFuture<>();
            @SuppressWarnings("unchecked")
            CompletionStage<T> stage = (CompletionStage<T>) caught.stage;
            stage.whenComplete((result, failure) -> {
                try {
                    if (failure != null) {
                        answer.completeExceptionally(failure);
                    } else {
                        answer.complete(then.apply(result));
                    }
                } catch (Throwable t) {
                    answer.completeExceptionally(t);
                } finally {
                    guard.close();
                }
            });
            handedOver = true;
            return request.later(answer);
        } finally {
            if (!handedOver) {
                guard.close();
            }
        }
    }

    /** One call of the filesystem as a future: completed at once unless the filesystem answers later. */
    private static <T> CompletableFuture<T> step(Request request, Call<T> call) {
        Caught caught = new Caught(request);
        try {
            T value = call.call(caught);
            if (caught.stage == null) {
                return CompletableFuture.completedFuture(value);
            }
            CompletableFuture<T> later = new CompletableFuture<>();
            @SuppressWarnings("unchecked")
            CompletionStage<T> stage = (CompletionStage<T>) caught.stage;
            stage.whenComplete((result, failure) -> {
                if (failure != null) {
                    later.completeExceptionally(failure);
                } else {
                    later.complete(result);
                }
            });
            return later;
        } catch (Throwable t) {
            return CompletableFuture.failedFuture(t);
        }
    }

    /** Answers a chain of steps: now if it is done, else later; the guard is held until then. */
    private static <R> R finish(Request request, Guard guard, CompletableFuture<R> result) throws IOException {
        if (result.isDone()) {
            try {
                return result.get();
            } catch (ExecutionException | CancellationException e) {
                throw rethrow(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FuseException(Errno.EINTR);
            } finally {
                guard.close();
            }
        }
        result.whenComplete((_, _) -> guard.close());
        return request.later(result);
    }

    private static IOException rethrow(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof UncheckedIOException u) {
            t = u.getCause();
        }
        return switch (t) {
            case IOException e -> e;
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> new IOException(t);
        };
    }

    private static <T, R> java.util.function.Function<T, R> unchecked(Then<T, R> then) {
        return value -> {
            try {
                return then.apply(value);
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        };
    }

    /**
     * The request the filesystem sees: everything from the kernel's, except that {@code later} is
     * caught.
     */
    private static final class Caught extends ForwardingRequest {
        private CompletionStage<?> stage;

        Caught(Request request) {
            super(request);
        }

        @Override
        public <T> T later(CompletionStage<? extends T> stage) {
            if (this.stage != null) {
                throw new IllegalStateException("request " + unique() + " is already answered later");
            }
            this.stage = Objects.requireNonNull(stage, "stage");
            return null;
        }
    }
}
