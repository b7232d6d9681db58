package io.javafuse.api;

import java.util.Map;

/**
 * Write queue statistics, for all handles together and per open handle.
 *
 * @param batchedWrites writes that reached the filesystem as part of a larger gathered write
 * @param lostWrites    write-behind writes that could not be applied (failed, or never ran)
 */
public record WriteQueueStats(Counts aggregate, long activeHandles, long batchedWrites, long lostWrites,
                              Map<Long, Counts> handles) {

    /**
     * @param queueSize    writes admitted and not yet applied
     * @param maxQueueSize the high-water mark of {@code queueSize}
     * @param throughput   bytes written per second since the handle opened (or the mount, in aggregate)
     */
    public record Counts(long totalOperations, long completedOperations, long failedOperations, long bytesWritten,
                         long queueSize, long maxQueueSize, double avgLatencyMs, double throughput) {}
}
