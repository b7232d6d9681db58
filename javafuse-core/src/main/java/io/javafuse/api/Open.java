package io.javafuse.api;

/**
 * The answer to an open: the handle the kernel passes back on every later call for this open
 * file, and the {@code FOPEN_*} flags that tell the kernel how to cache it.
 *
 * @param writeBehind acknowledge writes on this handle once queued, apply them in order in the
 *                    background, and report a failure on the next FLUSH or FSYNC
 */
public record Open(long fh, int openFlags, boolean writeBehind) {
    public static final int DIRECT_IO = 1;
    public static final int KEEP_CACHE = 1 << 1;
    public static final int NONSEEKABLE = 1 << 2;
    public static final int CACHE_DIR = 1 << 3;
    public static final int STREAM = 1 << 4;
    public static final int NOFLUSH = 1 << 5;
    public static final int PARALLEL_DIRECT_WRITES = 1 << 6;

    public Open(long fh, int openFlags) {
        this(fh, openFlags, false);
    }

    public static Open handle(long fh) {
        return new Open(fh, 0);
    }

    public Open with(int flag) {
        return new Open(fh, openFlags | flag, writeBehind);
    }

    public Open withWriteBehind() {
        return new Open(fh, openFlags, true);
    }
}
