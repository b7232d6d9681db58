package io.javafuse.cli;

import io.javafuse.api.DispatcherStats;
import io.javafuse.api.Mount;
import io.javafuse.api.ShutdownStats;
import io.javafuse.api.WriteQueueStats;

import java.util.LinkedHashMap;
import java.util.Map;

/** The statistics a mount reports: the periodic line on stderr, and the JSON written at exit. */
final class StatsReport {
    private final Mount mount;
    private long lastCompleted;
    private long lastBytes;
    private long lastNanos = System.nanoTime();

    StatsReport(Mount mount) {
        this.mount = mount;
    }

    /** One line: what happened since the previous line. */
    synchronized String line() {
        DispatcherStats s = mount.dispatcherStats();
        long now = System.nanoTime();
        double seconds = Math.max(1e-9, (now - lastNanos) / 1e9);
        long bytes = s.bytesRead() + s.bytesWritten();
        double opsPerSecond = (s.totalCompleted() - lastCompleted) / seconds;
        double mibPerSecond = (bytes - lastBytes) / seconds / (1 << 20);
        lastCompleted = s.totalCompleted();
        lastBytes = bytes;
        lastNanos = now;
        double p99 = s.perOperation().values().stream().mapToDouble(DispatcherStats.OperationStats::p99Ms)
                .max().orElse(0);
        return String.format("javafuse: %.0f ops/s, %.1f MiB/s, queue %d, p99 %.3f ms, errors %d",
                opsPerSecond, mibPerSecond, s.queueSize(), p99, s.totalErrors());
    }

    /** The final statistics, keyed as the API names them. */
    Map<String, Object> json(ShutdownStats shutdown) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("dispatcher", dispatcher(mount.dispatcherStats()));
        root.put("writeQueues", writeQueues(mount.writeQueueStats()));
        if (shutdown != null) {
            root.put("shutdown", shutdown(shutdown));
        }
        return root;
    }

    static Map<String, Object> writeQueues(WriteQueueStats s) {
        Map<String, Object> w = new LinkedHashMap<>();
        Map<String, Object> aggregate = counts(s.aggregate());
        aggregate.put("activeHandles", s.activeHandles());
        aggregate.put("batchedWrites", s.batchedWrites());
        aggregate.put("lostWrites", s.lostWrites());
        w.put("aggregate", aggregate);
        Map<String, Object> handles = new LinkedHashMap<>();
        s.handles().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> handles.put(Long.toString(e.getKey()), counts(e.getValue())));
        w.put("handles", handles);
        return w;
    }

    private static Map<String, Object> counts(WriteQueueStats.Counts c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("totalOperations", c.totalOperations());
        m.put("completedOperations", c.completedOperations());
        m.put("failedOperations", c.failedOperations());
        m.put("bytesWritten", c.bytesWritten());
        m.put("queueSize", c.queueSize());
        m.put("maxQueueSize", c.maxQueueSize());
        m.put("avgLatencyMs", c.avgLatencyMs());
        m.put("throughput", c.throughput());
        return m;
    }

    static Map<String, Object> shutdown(ShutdownStats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("finalState", s.finalState());
        m.put("reason", s.reason());
        m.put("gracefulCompletion", s.gracefulCompletion());
        m.put("failureReason", s.failureReason());
        Map<String, Object> phases = new LinkedHashMap<>();
        s.phaseDurations().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> phases.put(e.getKey().name(), e.getValue()));
        m.put("phaseDurations", phases);
        m.put("totalDurationMs", s.totalDurationMs());
        m.put("requestsDrained", s.requestsDrained());
        m.put("requestsRefused", s.requestsRefused());
        m.put("writesFlushed", s.writesFlushed());
        m.put("writesLost", s.writesLost());
        return m;
    }

    static Map<String, Object> dispatcher(DispatcherStats s) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("totalDispatched", s.totalDispatched());
        d.put("totalInline", s.totalInline());
        d.put("totalCompleted", s.totalCompleted());
        d.put("totalErrors", s.totalErrors());
        d.put("totalInterrupted", s.totalInterrupted());
        d.put("queueSize", s.queueSize());
        d.put("maxQueueSize", s.maxQueueSize());
        d.put("avgLatencyMs", s.avgLatencyMs());
        d.put("uptimeMs", s.uptimeMs());
        d.put("throughput", s.throughput());
        d.put("bytesRead", s.bytesRead());
        d.put("bytesWritten", s.bytesWritten());
        Map<String, Object> perOperation = new LinkedHashMap<>();
        s.perOperation().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            DispatcherStats.OperationStats o = e.getValue();
            Map<String, Object> op = new LinkedHashMap<>();
            op.put("count", o.count());
            op.put("errors", o.errors());
            op.put("avgLatencyMs", o.avgLatencyMs());
            op.put("p50", o.p50Ms());
            op.put("p99", o.p99Ms());
            op.put("p999", o.p999Ms());
            perOperation.put(e.getKey().name(), op);
        });
        d.put("perOperation", perOperation);
        return d;
    }
}
