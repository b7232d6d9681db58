package io.javafuse.api;

/** Where {@link FileSystem#readdirplus} puts entries together with their attributes. */
public interface DirectoryPlusFiller {
    /**
     * Adds one entry with its lookup answer.
     *
     * @return false when the reply is full; the entry was not added. When it returns true, the
     *     kernel holds one lookup on {@code entry.nodeId()} (unless the name is "." or ".."),
     *     which it gives back through {@link FileSystem#forget}.
     */
    boolean add(String name, Entry entry, long nextOffset);

    /** Whether an entry with this name would fit; lets a filesystem take a lookup reference only for what is sent. */
    boolean fits(String name);
}
