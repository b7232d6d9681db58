package io.javafuse.api;

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
}
