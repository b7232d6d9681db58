package io.javafuse.path;

import io.javafuse.api.Attr;
import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The node table of a {@link PathAdapter}: which node id stands for which name in which directory,
 * how many lookups of each node the kernel holds, and which open handles each node has.
 *
 * <p>Each name the kernel has looked up gets its own node (its own node id), also when several
 * names are hard links of one file; a node knows its parent node and its name, so its path is
 * built on demand, and moving a directory moves the paths of everything below it at once. A node
 * that loses its name (unlink, rmdir, a rename over it) is detached: it keeps its id while the
 * kernel still holds lookups of it or it is open, but has no path any more. A node leaves the
 * table when the kernel has forgotten all its lookups, it has no open handle and no named
 * children (children keep their parent, so that their paths can still be built).
 *
 * <p>Locking has two levels. The table itself is guarded by one mutex, held only for the few
 * steps of each change. Around the filesystem's calls, path locks keep paths valid: a call on a
 * path holds a read mark on its node and every ancestor; a call that changes which node a name
 * belongs to (rename, unlink, rmdir) holds a write mark on the nodes that lose or move their
 * names. A caller takes all its marks at once or waits with none (so two callers never wait for
 * each other in a cycle), and a waiting writer holds off new readers of the node it waits for (so
 * a steady stream of readers cannot starve a rename), as libfuse's high-level library does.
 */
final class NodeTable {
    /** The st_ino libfuse shows for entries whose inode number the filesystem did not give. */
    static final long UNKNOWN_INO = 0xffffffffL;
    /** More levels than this is a cycle, which only a filesystem that moved a directory into itself makes. */
    private static final int MAX_DEPTH = 4096;

    static final class Node {
        final long id;
        /** The directory this node is named in; null for the root and for detached nodes. */
        private Node parent;
        private String name;
        private boolean attached;
        private long lookups;
        /** Attached nodes whose parent is this one. */
        private int children;
        /** Open handles: handle to how many opens answered it (a stateless filesystem answers 0 to all). */
        private Map<Long, Integer> handles;
        private int openCount;
        /** The last st_ino and file type the filesystem reported; 0 while unknown. */
        private long ino;
        private int type;
        /** The last attributes the filesystem reported, as the kernel saw them. */
        private Attr attr;
        private int readers;
        private boolean writer;
        private int waitingWriters;

        private Node(long id, Node parent, String name) {
            this.id = id;
            this.parent = parent;
            this.name = name;
            this.attached = true;
        }

        @Override
        public String toString() {
            return "node " + id + " '" + name + "'" + (attached ? "" : " (detached)");
        }
    }

    /** The path marks of one call, taken together; closing gives them back (once). */
    final class Guard implements AutoCloseable {
        private final Set<Node> reads;
        private final Set<Node> writes;
        private final Set<Key> names;
        private boolean closed;

        private Guard(Set<Node> reads, Set<Node> writes, Set<Key> names) {
            this.reads = reads;
            this.writes = writes;
            this.names = names;
        }

        @Override
        public void close() {
            mutex.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                for (Node node : reads) {
                    node.readers--;
                }
                for (Node node : writes) {
                    node.writer = false;
                }
                markedNames.removeAll(names);
                for (Node node : reads) {
                    dropIfUnused(node);
                }
                for (Node node : writes) {
                    dropIfUnused(node);
                }
                released.signalAll();
            } finally {
                mutex.unlock();
            }
        }
    }

    /**
     * What a call needs marked, collected under the table's mutex (again after every wait, since
     * names may have moved meanwhile).
     */
    @FunctionalInterface
    interface Needs {
        /**
         * @param keep   nodes whose paths (their own and their ancestors') must stay as they are
         * @param change nodes whose names the call changes: no one else may use their paths meanwhile
         */
        void collect(List<Node> keep, List<Node> change);
    }

    private record Key(long parent, String name) {}

    private final ReentrantLock mutex = new ReentrantLock();
    private final Condition released = mutex.newCondition();
    private final Map<Long, Node> byId = new HashMap<>();
    private final Map<Key, Node> byName = new HashMap<>();
    /** Names a rename, unlink or rmdir is changing (see {@link #acquire(Needs, Key...)}). */
    private final Set<Key> markedNames = new HashSet<>();
    private final Node root = new Node(FileSystem.ROOT_ID, null, "");
    private long nextId = FileSystem.ROOT_ID + 1;

    NodeTable() {
        byId.put(root.id, root);
    }

    Node root() {
        return root;
    }

    /** How many nodes the table holds, the root included. */
    int size() {
        mutex.lock();
        try {
            return byId.size();
        } finally {
            mutex.unlock();
        }
    }

    /** The node the kernel names by {@code id}; ESTALE when the table has none (the kernel forgot it). */
    Node get(long id) throws FuseException {
        mutex.lock();
        try {
            Node node = byId.get(id);
            if (node == null) {
                throw new FuseException(Errno.ESTALE, "no node " + id);
            }
            return node;
        } finally {
            mutex.unlock();
        }
    }

    /** The node's absolute path, or null when it (or a directory above it) has lost its name. */
    String path(Node node) {
        mutex.lock();
        try {
            return pathLocked(node);
        } finally {
            mutex.unlock();
        }
    }

    /** The path of {@code name} in the directory {@code parent}, or null when the directory has no path. */
    String path(Node parent, String name) {
        String directory = path(parent);
        return directory == null ? null : child(directory, name);
    }

    static String child(String directory, String name) {
        return directory.equals("/") ? "/" + name : directory + "/" + name;
    }

    private String pathLocked(Node node) {
        if (node == root) {
            return "/";
        }
        List<String> names = new ArrayList<>();
        for (Node n = node; n != root; n = n.parent) {
            if (!n.attached || names.size() > MAX_DEPTH) {
                return null;
            }
            names.add(n.name);
        }
        StringBuilder path = new StringBuilder();
        for (String name : names.reversed()) {
            path.append('/').append(name);
        }
        return path.toString();
    }

    /** The node named {@code name} in {@code parent}, or null. */
    Node child(Node parent, String name) {
        mutex.lock();
        try {
            return byName.get(new Key(parent.id, name));
        } finally {
            mutex.unlock();
        }
    }

    /**
     * Counts one lookup of the node named {@code name} in {@code parent}, adding it if the table has
     * none (or has one of another file type: the filesystem changed behind the kernel's back, and
     * the kernel would refuse an inode that changes its type).
     */
    Node lookedUp(Node parent, String name, Attr attr) {
        mutex.lock();
        try {
            Key key = new Key(parent.id, name);
            Node node = byName.get(key);
            int type = FileMode.type(attr.mode());
            if (node != null && node.type != 0 && type != 0 && node.type != type) {
                detach(node);
                node = null;
            }
            if (node == null) {
                node = new Node(nextId++, parent, name);
                byId.put(node.id, node);
                byName.put(key, node);
                parent.children++;
            }
            node.lookups++;
            seen(node, attr);
            return node;
        } finally {
            mutex.unlock();
        }
    }

    /** Counts one lookup of a node the kernel already knows ("." and ".." by NFS export). */
    void lookedUp(Node node, Attr attr) {
        mutex.lock();
        try {
            node.lookups++;
            seen(node, attr);
        } finally {
            mutex.unlock();
        }
    }

    /** Remembers the inode number and type the filesystem reported for {@code node}. */
    void seen(Node node, Attr attr) {
        mutex.lock();
        try {
            node.ino = attr.ino() != 0 ? attr.ino() : node.id;
            node.type = FileMode.type(attr.mode());
            node.attr = attr.ino() != 0 ? attr : new Attr(node.id, attr.mode(), attr.nlink(), attr.uid(), attr.gid(),
                    attr.rdev(), attr.size(), attr.blocks(), attr.blksize(), attr.atime(), attr.mtime(), attr.ctime());
        } finally {
            mutex.unlock();
        }
    }

    /** The last attributes the filesystem reported for {@code node}, or null. */
    Attr lastAttr(Node node) {
        mutex.lock();
        try {
            return node.attr;
        } finally {
            mutex.unlock();
        }
    }

    /** The parent of {@code node}, for a lookup of ".."; the root is its own parent. */
    Node parentOf(Node node) throws FuseException {
        mutex.lock();
        try {
            if (node == root) {
                return root;
            }
            if (!node.attached) {
                throw new FuseException(Errno.ENOENT);
            }
            return node.parent;
        } finally {
            mutex.unlock();
        }
    }

    /** The kernel gives back {@code count} lookups of node {@code id}. */
    void forget(long id, long count) {
        mutex.lock();
        try {
            Node node = byId.get(id);
            if (node == null || node == root) {
                return;
            }
            node.lookups = Math.max(0, node.lookups - count);
            dropIfUnused(node);
        } finally {
            mutex.unlock();
        }
    }

    void opened(Node node, long fh) {
        mutex.lock();
        try {
            if (node.handles == null) {
                node.handles = new HashMap<>();
            }
            node.handles.merge(fh, 1, Integer::sum);
            node.openCount++;
        } finally {
            mutex.unlock();
        }
    }

    void released(Node node, long fh) {
        mutex.lock();
        try {
            Integer count = node.handles != null ? node.handles.get(fh) : null;
            if (count == null) {
                return;
            }
            if (count > 1) {
                node.handles.put(fh, count - 1);
            } else {
                node.handles.remove(fh);
            }
            node.openCount--;
            if (node.handles.isEmpty()) {
                node.handles = null;
            }
            dropIfUnused(node);
        } finally {
            mutex.unlock();
        }
    }

    /** A handle of some open file of {@code node}, or {@link FileSystem#NO_HANDLE} if it has none. */
    long anyHandle(Node node) {
        mutex.lock();
        try {
            return node.handles == null || node.handles.isEmpty()
                    ? FileSystem.NO_HANDLE : node.handles.keySet().iterator().next();
        } finally {
            mutex.unlock();
        }
    }

    /** The last inode number seen for the node named {@code name} in {@code parent}, or 0. */
    long inoOf(Node parent, String name) {
        mutex.lock();
        try {
            Node node = byName.get(new Key(parent.id, name));
            return node != null ? node.ino : 0;
        } finally {
            mutex.unlock();
        }
    }

    /** {@code name} in {@code parent} is gone (unlink, rmdir): its node, if any, loses its name. */
    void removed(Node parent, String name) {
        mutex.lock();
        try {
            Node node = byName.get(new Key(parent.id, name));
            if (node != null) {
                detach(node);
            }
        } finally {
            mutex.unlock();
        }
    }

    /**
     * {@code name} in {@code parent} was renamed to {@code newName} in {@code newParent}: its node
     * moves there, and with it the paths of everything below it. Without {@code exchange}, a node
     * that had the new name loses it; with it, the two nodes swap names.
     */
    void renamed(Node parent, String name, Node newParent, String newName, boolean exchange) {
        mutex.lock();
        try {
            if (parent == newParent && name.equals(newName)) {
                return;
            }
            Node source = byName.get(new Key(parent.id, name));
            Node target = byName.get(new Key(newParent.id, newName));
            List<Node> unused = new ArrayList<>();
            if (source != null) {
                unused.add(unhook(source));
            }
            if (target != null) {
                unused.add(unhook(target));
            }
            if (source != null) {
                hook(source, newParent, newName);
            }
            if (target != null) {
                if (exchange) {
                    hook(target, parent, name);
                } else {
                    unused.add(target);
                }
            }
            for (Node node : unused) {
                dropIfUnused(node);
            }
        } finally {
            mutex.unlock();
        }
    }

    /** Takes a node's name away; returns its former parent. */
    private Node unhook(Node node) {
        Node parent = node.parent;
        byName.remove(new Key(parent.id, node.name));
        parent.children--;
        node.parent = null;
        node.attached = false;
        return parent;
    }

    private void hook(Node node, Node parent, String name) {
        node.parent = parent;
        node.name = name;
        node.attached = true;
        byName.put(new Key(parent.id, name), node);
        parent.children++;
    }

    private void detach(Node node) {
        if (!node.attached || node == root) {
            return;
        }
        Node parent = unhook(node);
        dropIfUnused(node);
        dropIfUnused(parent);
    }

    /** Drops {@code node} (and then its parents) from the table once nothing needs it any more. */
    private void dropIfUnused(Node node) {
        Node n = node;
        while (n != null && n != root && n.lookups == 0 && n.openCount == 0 && n.children == 0 && n.readers == 0
                && !n.writer && n.waitingWriters == 0 && byId.get(n.id) == n) {
            byId.remove(n.id);
            n = n.attached ? unhook(n) : null;
        }
    }

    // ---- path locks

    /** Marks {@code node}'s path (the node and its ancestors) for the length of a call. */
    Guard keep(Node node) throws FuseException {
        return acquire((keep, _) -> keep.add(node));
    }

    /** Marks the paths of two nodes (link, copy_file_range). */
    Guard keep(Node first, Node second) throws FuseException {
        return acquire((keep, _) -> {
            keep.add(first);
            keep.add(second);
        });
    }

    /**
     * Marks the path of the directory {@code parent}; with {@code changes}, also takes the write
     * mark of the node named {@code name} in it, if the table has one (unlink, rmdir).
     */
    Guard keepName(Node parent, String name, boolean changes) throws FuseException {
        Key[] names = changes ? new Key[] {new Key(parent.id, name)} : new Key[0];
        return acquire((keep, change) -> {
            keep.add(parent);
            if (changes) {
                Node child = byName.get(new Key(parent.id, name));
                if (child != null) {
                    change.add(child);
                }
            }
        }, names);
    }

    /** Marks for a rename: both directories' paths kept, both names' nodes changed. */
    Guard rename(Node parent, String name, Node newParent, String newName) throws FuseException {
        return acquire((keep, change) -> {
            keep.add(parent);
            keep.add(newParent);
            Node source = byName.get(new Key(parent.id, name));
            Node target = byName.get(new Key(newParent.id, newName));
            if (source != null) {
                change.add(source);
            }
            if (target != null && target != source) {
                change.add(target);
            }
        }, new Key(parent.id, name), new Key(newParent.id, newName));
    }

    /** Takes all the marks {@code needs} collects at once, waiting (holding none) until it can. */
    Guard acquire(Needs needs) throws FuseException {
        return acquire(needs, new Key[0]);
    }

    /**
     * Like {@link #acquire(Needs)}, and also marks the names {@code changes} (rename, unlink, rmdir).
     * A write mark on a node only covers a node that exists when the marks are taken: a name that
     * has no node yet can get one meanwhile (a lookup), and a call can then keep that new node while
     * the rename or unlink, once done, moves or detaches it, changing the path under that call's
     * guard. So the changed names are marked too, and a call that keeps a node named by a marked
     * name waits like one that keeps a node marked for writing.
     */
    private Guard acquire(Needs needs, Key... changes) throws FuseException {
        Set<Key> names = new LinkedHashSet<>(List.of(changes));
        List<Node> keep = new ArrayList<>(4);
        List<Node> change = new ArrayList<>(2);
        Set<Node> waitingOn = new LinkedHashSet<>();
        mutex.lock();
        try {
            while (true) {
                keep.clear();
                change.clear();
                needs.collect(keep, change);
                Set<Node> writes = new LinkedHashSet<>(change);
                Set<Node> reads = new LinkedHashSet<>();
                for (Node node : keep) {
                    int depth = 0;
                    for (Node n = node; n != null && depth <= MAX_DEPTH; n = n.parent, depth++) {
                        if (!writes.contains(n) && !reads.add(n)) {
                            break; // the rest of this chain is in already
                        }
                    }
                }
                unwait(waitingOn);
                if (available(reads, writes) && namesAvailable(reads, names)) {
                    for (Node node : reads) {
                        node.readers++;
                    }
                    for (Node node : writes) {
                        node.writer = true;
                    }
                    markedNames.addAll(names);
                    return new Guard(reads, writes, names);
                }
                for (Node node : writes) {
                    node.waitingWriters++;
                    waitingOn.add(node);
                }
                try {
                    released.await();
                } catch (InterruptedException e) {
                    unwait(waitingOn);
                    released.signalAll();
                    Thread.currentThread().interrupt();
                    throw new FuseException(Errno.EINTR, "interrupted while waiting for a rename");
                }
            }
        } finally {
            mutex.unlock();
        }
    }

    private void unwait(Set<Node> waitingOn) {
        if (waitingOn.isEmpty()) {
            return;
        }
        for (Node node : waitingOn) {
            node.waitingWriters--;
            dropIfUnused(node);
        }
        waitingOn.clear();
    }

    /** Whether no other call is changing {@code names} or the names of the nodes in {@code reads}. */
    private boolean namesAvailable(Set<Node> reads, Set<Key> names) {
        if (markedNames.isEmpty()) {
            return true;
        }
        for (Key name : names) {
            if (markedNames.contains(name)) {
                return false;
            }
        }
        for (Node node : reads) {
            if (node.attached && node.parent != null && markedNames.contains(new Key(node.parent.id, node.name))) {
                return false;
            }
        }
        return true;
    }

    private static boolean available(Set<Node> reads, Set<Node> writes) {
        for (Node node : reads) {
            if (node.writer || node.waitingWriters > 0) {
                return false;
            }
        }
        for (Node node : writes) {
            if (node.writer || node.readers > 0) {
                return false;
            }
        }
        return true;
    }

    // ---- for tests

    /** Checks that names, parents and counts agree; returns what is wrong (empty when all is well). */
    List<String> inconsistencies() {
        mutex.lock();
        try {
            List<String> problems = new ArrayList<>();
            Map<Node, Integer> children = new HashMap<>();
            for (Map.Entry<Key, Node> entry : byName.entrySet()) {
                Node node = entry.getValue();
                if (!node.attached || node.parent == null || node.parent.id != entry.getKey().parent()
                        || !node.name.equals(entry.getKey().name())) {
                    problems.add("name " + entry.getKey() + " leads to " + node);
                }
                if (byId.get(node.id) != node) {
                    problems.add(node + " is named but not in the table");
                }
                if (node.parent != null) {
                    children.merge(node.parent, 1, Integer::sum);
                }
                if (node.parent != null && pathLocked(node) == null) {
                    problems.add(node + " has no path");
                }
            }
            if (!markedNames.isEmpty()) {
                problems.add("names still marked: " + markedNames);
            }
            for (Node node : byId.values()) {
                if (node.children != children.getOrDefault(node, 0)) {
                    problems.add(node + " counts " + node.children + " children, has " + children.getOrDefault(node, 0));
                }
                if (node.readers != 0 || node.writer || node.waitingWriters != 0) {
                    problems.add(node + " is still marked");
                }
                if (node.attached && node != root && byName.get(new Key(node.parent.id, node.name)) != node) {
                    problems.add(node + " is attached but not named");
                }
            }
            return problems;
        } finally {
            mutex.unlock();
        }
    }

    /** The lookups the table counts for the node at {@code path} (0 if it has none); for tests. */
    long lookupsOf(String path) {
        mutex.lock();
        try {
            Node node = root;
            for (String name : path.split("/")) {
                if (name.isEmpty()) {
                    continue;
                }
                node = byName.get(new Key(node.id, name));
                if (node == null) {
                    return 0;
                }
            }
            return node.lookups;
        } finally {
            mutex.unlock();
        }
    }
}
