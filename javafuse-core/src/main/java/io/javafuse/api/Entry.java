package io.javafuse.api;

import java.time.Duration;

/**
 * The answer to a name lookup (and to everything that creates a name): the node, its
 * attributes and how long the kernel may cache both.
 *
 * <p>Every entry returned with a non-zero {@code nodeId} counts as one lookup of that node, which
 * the kernel gives back later through {@link FileSystem#forget}.
 *
 * @param entryTimeout how long the kernel may cache the name; null for the mount's default
 * @param attrTimeout  how long the kernel may cache the attributes; null for the mount's default
 */
public record Entry(long nodeId, long generation, Attr attr, Duration entryTimeout, Duration attrTimeout) {

    /** An entry for a node whose node id is its inode number, cached for the mount's default times. */
    public static Entry of(Attr attr) {
        return new Entry(attr.ino(), 0, attr, null, null);
    }

    /**
     * A negative entry: the name does not exist, and the kernel may remember that for
     * {@code timeout} without asking again.
     */
    public static Entry negative(Duration timeout) {
        return new Entry(0, 0, null, timeout, Duration.ZERO);
    }

    public boolean isNegative() {
        return nodeId == 0;
    }
}
