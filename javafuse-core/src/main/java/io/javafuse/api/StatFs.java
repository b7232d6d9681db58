package io.javafuse.api;

/** Filesystem statistics, as {@code statfs(2)} reports them; counts are in units of {@code frsize}. */
public record StatFs(long blocks, long blocksFree, long blocksAvailable, long files, long filesFree,
                     int blockSize, int nameMax, int fragmentSize) {}
