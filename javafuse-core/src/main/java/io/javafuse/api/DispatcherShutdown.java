package io.javafuse.api;

import java.util.List;

/**
 * What a dispatcher shutdown achieved: whether everything admitted finished in time, and if not,
 * which requests were still queued or running.
 */
public record DispatcherShutdown(boolean completed, long finishedDuringShutdown, List<Pending> unfinished) {
    /** A request that had not finished, by the kernel's id. */
    public record Pending(long unique, Operation operation, boolean running) {}
}
