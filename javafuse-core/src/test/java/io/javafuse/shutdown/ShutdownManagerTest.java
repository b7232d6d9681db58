package io.javafuse.shutdown;

import io.javafuse.api.ShutdownState;
import io.javafuse.api.ShutdownStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The shutdown manager against a mount that is only a few flags: no kernel, no timing luck. */
class ShutdownManagerTest {

    /** A mount whose unmount leaves it busy (a file held open) until the connection is aborted. */
    private static final class BusyMount implements ShutdownManager.Target {
        final AtomicInteger closedPolls = new AtomicInteger();
        volatile boolean closed;
        volatile int aborts;

        @Override public void beginDraining() { }
        @Override public boolean isDrained() { return true; }
        @Override public String pending() { return "nothing"; }
        @Override public void unmount() { }
        @Override public void abort() { aborts++; closed = true; }

        @Override
        public boolean isClosed() {
            closedPolls.incrementAndGet();
            return closed;
        }

        @Override public long requestsCompleted() { return 0; }
        @Override public long requestsRefused() { return 0; }
        @Override public long writesApplied() { return 0; }
        @Override public long writesLost() { return 0; }
    }

    /**
     * A second SIGINT aborts the connection from the signal's thread while the shutdown thread
     * sleeps between two looks at the session. When it looks again the session has ended, as if
     * the unmount had finished by itself; it must still report the shutdown forced (the process
     * exits 1), because callers got ENOTCONN.
     */
    @Test
    @Timeout(30)
    void aForceThatEndsTheSessionBetweenTwoPollsIsReportedForced() throws Exception {
        BusyMount mount = new BusyMount();
        ShutdownManager manager = new ShutdownManager(mount);
        manager.configureTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(20));
        var graceful = manager.initiateGraceful("SIGINT", Duration.ofSeconds(25));

        // Waiting for the busy mount to let go: UNMOUNTING, and polling.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (manager.state() != ShutdownState.UNMOUNTING || mount.closedPolls.get() < 3) {
            assertThat(System.nanoTime()).as("the shutdown reaches UNMOUNTING").isLessThan(deadline);
            Thread.sleep(1);
        }
        ShutdownStats stats = manager.forceImmediate("second SIGINT").get(10, TimeUnit.SECONDS);

        assertThat(graceful.get()).isSameAs(stats);
        assertThat(mount.aborts).isEqualTo(1);
        assertThat(stats.gracefulCompletion()).as("%s", stats).isFalse();
        assertThat(stats.failureReason()).isEqualTo("forced: second SIGINT");
        assertThat(manager.state()).isEqualTo(ShutdownState.CLOSED);
    }

    /** A busy mount that lets go by itself (the file is closed) is a graceful shutdown, and a late force changes nothing. */
    @Test
    @Timeout(30)
    void aBusyMountThatLetsGoIsGracefulAndALateForceChangesNothing() throws Exception {
        BusyMount mount = new BusyMount();
        ShutdownManager manager = new ShutdownManager(mount);
        var graceful = manager.initiateGraceful("SIGTERM", Duration.ofSeconds(25));
        while (mount.closedPolls.get() < 3) {
            Thread.sleep(1);
        }
        mount.closed = true;
        ShutdownStats stats = graceful.get(10, TimeUnit.SECONDS);

        assertThat(stats.gracefulCompletion()).as("%s", stats).isTrue();
        assertThat(manager.forceImmediate("late").get(1, TimeUnit.SECONDS)).isSameAs(stats);
        assertThat(mount.aborts).isZero();
    }
}
