/**
 * javafuse: the Linux FUSE protocol spoken on /dev/fuse in pure Java, with java.lang.foreign for
 * the few system calls it needs. No runtime dependencies.
 */
module io.javafuse {
    exports io.javafuse;
    exports io.javafuse.api;
    exports io.javafuse.path;
    // The system calls, for the bundled filesystems that mirror real files (passthrough).
    exports io.javafuse.sys to io.javafuse.filesystems;

    // sun.misc.Signal: SIGINT and SIGTERM start a graceful shutdown.
    requires jdk.unsupported;
}
