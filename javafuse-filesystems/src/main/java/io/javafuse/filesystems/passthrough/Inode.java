package io.javafuse.filesystems.passthrough;

/**
 * A node of the source tree the kernel knows: an {@code O_PATH} descriptor that pins the inode
 * (so its number cannot be reused while the kernel holds the node) and names it for every later
 * {@code *at()} call, however the source is renamed meanwhile.
 *
 * <p>{@link #lookups} is guarded by the {@link InodeTable}'s lock.
 */
final class Inode {
    final long nodeId;
    /** The O_PATH descriptor; closed when the last lookup is forgotten. */
    final int fd;
    final long dev;
    final long ino;
    /** The S_IFMT bits; an inode never changes its type. */
    final int type;

    long lookups;

    Inode(long nodeId, int fd, long dev, long ino, int type) {
        this.nodeId = nodeId;
        this.fd = fd;
        this.dev = dev;
        this.ino = ino;
        this.type = type;
    }

    @Override
    public String toString() {
        return "inode " + dev + ":" + ino + " (node " + nodeId + ", fd " + fd + ")";
    }
}
