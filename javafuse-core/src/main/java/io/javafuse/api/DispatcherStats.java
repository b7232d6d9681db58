package io.javafuse.api;

import java.util.Map;

/**
 * A snapshot of the dispatcher's statistics. Latencies run from the moment a request was read to
 * the moment its reply was sent.
 *
 * @param totalInline  of those dispatched, the requests a reader thread ran itself because the
 *                     queue was empty (see {@link DispatcherConfig#inline})
 * @param maxQueueSize the high-water mark of {@code queueSize}
 * @param throughput   completed requests per second since the mount
 * @param bytesRead    data bytes answered to READ
 * @param bytesWritten data bytes accepted by WRITE
 */
public record DispatcherStats(long totalDispatched, long totalInline, long totalCompleted, long totalErrors, long totalInterrupted,
                              long queueSize, long maxQueueSize, double avgLatencyMs, long uptimeMs,
                              double throughput, long bytesRead, long bytesWritten,
                              Map<Operation, OperationStats> perOperation) {

    /** One operation's counts and latency percentiles (from a histogram, within 1/16 of the true value). */
    public record OperationStats(long count, long errors, double avgLatencyMs, double p50Ms, double p99Ms,
                                 double p999Ms) {}
}
