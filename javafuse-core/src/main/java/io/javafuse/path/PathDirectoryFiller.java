package io.javafuse.path;

import io.javafuse.api.Attr;

/**
 * Where {@link PathFileSystem#readdir} puts the entries of a directory, like libfuse's
 * {@code fuse_fill_dir_t}.
 *
 * <p>A filesystem uses it in one of two ways, as in libfuse:
 * <ol>
 *   <li>It ignores the offset it is given and passes 0 as every entry's {@code nextOffset}: it
 *       lists the whole directory in one call, the adapter keeps the listing with the open directory
 *       and hands it to the kernel in as many pieces as needed. {@code add} then always returns true.</li>
 *   <li>It passes a positive, unique {@code nextOffset} with every entry (the offset to continue
 *       from after this entry) and starts after the {@code offset} it was given; {@code add} returns
 *       false when the kernel's buffer is full, and the filesystem stops.</li>
 * </ol>
 * One listing must not mix the two.
 */
@FunctionalInterface
public interface PathDirectoryFiller {
    /**
     * Adds one entry.
     *
     * @param name       the entry's name, without any slash ("." and ".." are entries like any other)
     * @param attr       the entry's attributes, or null: with attributes, the kernel can skip the
     *                   lookup of each entry ({@code ls -l}); without, only the name is listed
     *                   (its type and inode number unknown until someone looks it up)
     * @param nextOffset 0 in the first mode, otherwise the positive offset to continue after this entry
     * @return false when the reply is full (only in the second mode)
     */
    boolean add(String name, Attr attr, long nextOffset);

    /** Adds an entry known only by its name: {@code add(name, null, 0)}. */
    default boolean add(String name) {
        return add(name, null, 0);
    }
}
