package io.javafuse.testing;

import io.javafuse.api.DispatcherStats;
import io.javafuse.api.Mount;
import io.javafuse.api.Operation;

/** How many requests of some kinds a mount has answered, from its dispatcher's statistics. */
public final class RequestCounts {
    private static final long SETTLE_MILLIS = 200;

    private RequestCounts() {
    }

    /** Something done through a mount. */
    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    /**
     * The requests of these kinds answered while {@code action} ran: counted after a pause before
     * and after it, so that requests still being counted are not taken for its own.
     */
    public static long answeredDuring(Mount mount, Action action, Operation... operations) throws Exception {
        Thread.sleep(SETTLE_MILLIS);
        long before = answered(mount, operations);
        action.run();
        Thread.sleep(SETTLE_MILLIS);
        return answered(mount, operations) - before;
    }

    /**
     * The requests of these kinds answered so far. A request is counted once its answer is out,
     * which is a moment after the system call that sent it returned.
     */
    private static long answered(Mount mount, Operation... operations) {
        var counted = mount.dispatcherStats().perOperation();
        long total = 0;
        for (Operation operation : operations) {
            DispatcherStats.OperationStats one = counted.get(operation);
            total += one == null ? 0 : one.count();
        }
        return total;
    }
}
