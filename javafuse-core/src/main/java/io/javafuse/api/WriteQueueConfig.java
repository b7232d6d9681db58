package io.javafuse.api;

import java.util.Map;

/**
 * Per-handle write queues: writes on one open file are applied in the order the kernel sent
 * them, and FLUSH, FSYNC and RELEASE wait for every earlier write on that file.
 *
 * @param enabled             false: writes run as soon as a worker takes them (no ordering guarantee)
 * @param defaultMaxQueueSize writes admitted per handle and not yet applied; when full, the readers
 *                            wait (backpressure), nothing is dropped
 * @param handleMaxQueueSize  per-handle overrides of the default, by fh
 * @param writeBehind         acknowledge a write once queued and apply it in the background, for
 *                            every open file; a failure is reported on the next FLUSH or FSYNC of
 *                            that file. A filesystem can also ask for it per open ({@link Open#withWriteBehind()})
 * @param batching            hand contiguous queued writes on one handle to
 *                            {@link FileSystem#writeGathered} as one call
 */
public record WriteQueueConfig(boolean enabled, int defaultMaxQueueSize, Map<Long, Integer> handleMaxQueueSize,
                               boolean writeBehind, boolean batching) {
    public WriteQueueConfig {
        if (defaultMaxQueueSize < 1) {
            throw new IllegalArgumentException("defaultMaxQueueSize must be at least 1: " + defaultMaxQueueSize);
        }
        handleMaxQueueSize = Map.copyOf(handleMaxQueueSize);
    }

    /** Ordering on, 64 writes per handle, no write-behind, no batching. */
    public static WriteQueueConfig defaults() {
        return new WriteQueueConfig(true, 64, Map.of(), false, false);
    }

    public int maxQueueSize(long fh) {
        return handleMaxQueueSize.getOrDefault(fh, defaultMaxQueueSize);
    }

    public WriteQueueConfig withEnabled(boolean value) {
        return new WriteQueueConfig(value, defaultMaxQueueSize, handleMaxQueueSize, writeBehind, batching);
    }

    public WriteQueueConfig withDefaultMaxQueueSize(int value) {
        return new WriteQueueConfig(enabled, value, handleMaxQueueSize, writeBehind, batching);
    }

    public WriteQueueConfig withHandleMaxQueueSize(long fh, int value) {
        Map<Long, Integer> copy = new java.util.HashMap<>(handleMaxQueueSize);
        copy.put(fh, value);
        return new WriteQueueConfig(enabled, defaultMaxQueueSize, copy, writeBehind, batching);
    }

    public WriteQueueConfig withWriteBehind(boolean value) {
        return new WriteQueueConfig(enabled, defaultMaxQueueSize, handleMaxQueueSize, value, batching);
    }

    public WriteQueueConfig withBatching(boolean value) {
        return new WriteQueueConfig(enabled, defaultMaxQueueSize, handleMaxQueueSize, writeBehind, value);
    }
}
