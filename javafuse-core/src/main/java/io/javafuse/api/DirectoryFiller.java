package io.javafuse.api;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Where {@link FileSystem#readdir} puts directory entries; it stops accepting when the reply is full. */
@FunctionalInterface
public interface DirectoryFiller {
    /**
     * Adds one entry.
     *
     * @param mode       the entry's file type bits ({@code S_IFDIR}, ...); permission bits are ignored
     * @param nextOffset the offset the kernel passes back to continue after this entry; must be positive and unique
     * @return false when the reply is full; the entry was not added, and the kernel will ask again from its offset
     */
    boolean add(String name, long ino, int mode, long nextOffset);

    /**
     * Adds one entry whose name is raw bytes, as {@code getdents64} gives them, without making a
     * {@code String} of it: the engine copies them straight into the reply. Same contract as
     * {@link #add(String, long, int, long)}; {@code name} is read during the call only.
     */
    default boolean add(MemorySegment name, long ino, int mode, long nextOffset) {
        return add(Names.decode(name.toArray(ValueLayout.JAVA_BYTE)), ino, mode, nextOffset);
    }
}
