package io.javafuse.dispatch;

import io.javafuse.api.DispatcherStats;
import io.javafuse.api.Operation;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/** The dispatcher's counters: adders and atomics only, so the hot path never takes a lock. */
final class DispatcherStatistics {
    private static final double NANOS_PER_MS = 1_000_000.0;

    private final long startNanos = System.nanoTime();
    private final LongAdder dispatched = new LongAdder();
    private final LongAdder inline = new LongAdder();
    private final LongAdder completed = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder interrupted = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final AtomicLong queueHighWater = new AtomicLong();
    private final LatencyHistogram all = new LatencyHistogram();
    private final AtomicReferenceArray<PerOperation> perOperation =
            new AtomicReferenceArray<>(Operation.values().length);

    private static final class PerOperation {
        final LatencyHistogram latency = new LatencyHistogram();
        final LongAdder errors = new LongAdder();
    }

    void dispatched(int queueSize) {
        dispatched.increment();
        queueHighWater.accumulateAndGet(queueSize, Math::max);
    }

    /** Dispatched, and run on the thread that submitted it (the queue stays empty). */
    void dispatchedInline() {
        dispatched.increment();
        inline.increment();
    }

    void completed(Operation operation, long latencyNanos, int errno, boolean interruptedCall, long bytes) {
        completed.increment();
        all.record(latencyNanos);
        PerOperation stats = forOperation(operation);
        stats.latency.record(latencyNanos);
        if (errno != 0) {
            errors.increment();
            stats.errors.increment();
        }
        if (interruptedCall) {
            interrupted.increment();
        }
        if (bytes > 0) {
            (operation == Operation.WRITE ? bytesWritten : bytesRead).add(bytes);
        }
    }

    private PerOperation forOperation(Operation operation) {
        int index = operation.ordinal();
        PerOperation stats = perOperation.get(index);
        if (stats == null) {
            perOperation.compareAndSet(index, null, new PerOperation());
            stats = perOperation.get(index);
        }
        return stats;
    }

    DispatcherStats snapshot(int queueSize) {
        long uptimeNanos = System.nanoTime() - startNanos;
        long done = completed.sum();
        Map<Operation, DispatcherStats.OperationStats> operations = new EnumMap<>(Operation.class);
        for (Operation operation : Operation.values()) {
            PerOperation stats = perOperation.get(operation.ordinal());
            if (stats != null) {
                LatencyHistogram h = stats.latency;
                operations.put(operation, new DispatcherStats.OperationStats(h.count(), stats.errors.sum(),
                        h.averageNanos() / NANOS_PER_MS, h.percentile(0.50) / NANOS_PER_MS,
                        h.percentile(0.99) / NANOS_PER_MS, h.percentile(0.999) / NANOS_PER_MS));
            }
        }
        return new DispatcherStats(dispatched.sum(), inline.sum(), done, errors.sum(), interrupted.sum(), queueSize,
                queueHighWater.get(), all.averageNanos() / NANOS_PER_MS, uptimeNanos / 1_000_000,
                uptimeNanos == 0 ? 0 : done / (uptimeNanos / 1e9), bytesRead.sum(), bytesWritten.sum(),
                Map.copyOf(operations));
    }

    /** The 99th percentile over all operations, for the periodic stats line. */
    double p99Ms() {
        return all.percentile(0.99) / NANOS_PER_MS;
    }
}
