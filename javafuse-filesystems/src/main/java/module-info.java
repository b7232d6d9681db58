/** Filesystems that ship with javafuse. */
module io.javafuse.filesystems {
    requires transitive io.javafuse;
    exports io.javafuse.filesystems.memory;
    exports io.javafuse.filesystems.passthrough;
}
