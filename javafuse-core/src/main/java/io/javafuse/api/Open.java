package io.javafuse.api;

/**
 * The answer to an open: the handle the kernel passes back on every later call for this open
 * file, and the {@code FOPEN_*} flags that tell the kernel how to cache it.
 *
 * @param writeBehind acknowledge writes on this handle once queued, apply them in order in the
 *                    background, and report a failure on the next FLUSH or FSYNC
 * @param backingId   with {@link #PASSTHROUGH}: the id {@link Request#openBacking} returned for the
 *                    descriptor the kernel is to read and write this file through; 0 otherwise
 */
public record Open(long fh, int openFlags, boolean writeBehind, int backingId) {
    public static final int DIRECT_IO = 1;
    public static final int KEEP_CACHE = 1 << 1;
    public static final int NONSEEKABLE = 1 << 2;
    public static final int CACHE_DIR = 1 << 3;
    public static final int STREAM = 1 << 4;
    public static final int NOFLUSH = 1 << 5;
    public static final int PARALLEL_DIRECT_WRITES = 1 << 6;
    /** Reads, writes and mmap of this open file go to the backing file named by {@link #backingId()}. */
    public static final int PASSTHROUGH = 1 << 7;
    /** The only flags the kernel accepts together with {@link #PASSTHROUGH}; any other fails the open(2) with EIO. */
    public static final int PASSTHROUGH_COMPATIBLE = PASSTHROUGH | DIRECT_IO | PARALLEL_DIRECT_WRITES | NOFLUSH;

    public Open {
        if (((openFlags & PASSTHROUGH) != 0) != (backingId > 0)) {
            throw new IllegalArgumentException("PASSTHROUGH goes with a backing id > 0, and only with it: flags 0x"
                    + Integer.toHexString(openFlags) + ", backing id " + backingId);
        }
    }

    public Open(long fh, int openFlags, boolean writeBehind) {
        this(fh, openFlags, writeBehind, 0);
    }

    public Open(long fh, int openFlags) {
        this(fh, openFlags, false, 0);
    }

    public static Open handle(long fh) {
        return new Open(fh, 0);
    }

    public Open with(int flag) {
        return new Open(fh, openFlags | flag, writeBehind, backingId);
    }

    public Open withWriteBehind() {
        return new Open(fh, openFlags, true, backingId);
    }

    /**
     * This open file served by the kernel from the backing file {@code backingId} (from
     * {@link Request#openBacking}): READ and WRITE no longer reach the filesystem (FLUSH, FSYNC,
     * RELEASE, SETATTR and the rest still do). Flags the kernel refuses with passthrough
     * ({@link #KEEP_CACHE}, {@link #NONSEEKABLE}, {@link #STREAM} ...) are dropped, and so is
     * write-behind, which has no writes left to queue. All passthrough opens of one inode must
     * name the same backing id, and the kernel fails (EIO) a passthrough open of an inode that is
     * open without passthrough, and the other way round.
     */
    public Open withPassthrough(int backingId) {
        if (backingId <= 0) {
            throw new IllegalArgumentException("backing ids are positive: " + backingId);
        }
        return new Open(fh, (openFlags & PASSTHROUGH_COMPATIBLE) | PASSTHROUGH, false, backingId);
    }

    /** Whether the kernel serves this open file's data from a backing file. */
    public boolean passthrough() {
        return (openFlags & PASSTHROUGH) != 0;
    }
}
