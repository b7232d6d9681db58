package io.javafuse.testing;

import io.javafuse.api.DispatcherStats;
import io.javafuse.api.Mount;
import io.javafuse.api.Operation;

/** How many requests of some kinds a mount has answered, from its dispatcher's statistics. */
public final class RequestCounts {
    private RequestCounts() {
    }

    /**
     * The requests of these kinds answered so far. A request is counted once its answer is out,
     * which is a moment after the system call that sent it returned.
     */
    public static long answered(Mount mount, Operation... operations) {
        var counted = mount.dispatcherStats().perOperation();
        long total = 0;
        for (Operation operation : operations) {
            DispatcherStats.OperationStats one = counted.get(operation);
            total += one == null ? 0 : one.count();
        }
        return total;
    }
}
