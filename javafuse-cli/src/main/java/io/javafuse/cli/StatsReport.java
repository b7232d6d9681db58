package io.javafuse.cli;

import io.javafuse.api.DispatcherStats;
import io.javafuse.api.Mount;

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
    Map<String, Object> json() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("dispatcher", dispatcher(mount.dispatcherStats()));
        return root;
    }

    static Map<String, Object> dispatcher(DispatcherStats s) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("totalDispatched", s.totalDispatched());
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
