package io.javafuse.api;

/** The order in which queued requests reach their handlers when handlers are busy. */
public enum Priority {
    /** Cleanup, control, and the metadata reads an interactive shell waits on. */
    HIGH,
    /** Namespace changes, opens, directory listings. */
    NORMAL,
    /** Bulk data: reads, writes, fallocate, copy_file_range. */
    LOW;

    /** The documented default for each operation; {@link DispatcherConfig#priorities()} overrides it. */
    public static Priority defaultFor(Operation operation) {
        return switch (operation) {
            case FORGET, BATCH_FORGET, INTERRUPT, RELEASE, RELEASEDIR, FLUSH, DESTROY, LOOKUP, GETATTR, ACCESS,
                 STATFS, READLINK, STATX, GETXATTR, LISTXATTR, POLL -> HIGH;
            case READ, WRITE, FALLOCATE, COPY_FILE_RANGE, COPY_FILE_RANGE_64 -> LOW;
            default -> NORMAL;
        };
    }
}
