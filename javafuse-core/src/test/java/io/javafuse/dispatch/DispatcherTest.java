package io.javafuse.dispatch;

import io.javafuse.api.DispatcherConfig;
import io.javafuse.api.DispatcherShutdown;
import io.javafuse.api.DispatcherStats;
import io.javafuse.api.Errno;
import io.javafuse.api.Operation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The dispatcher without a kernel: requests are plain objects, handlers are lambdas. */
@Timeout(60)
class DispatcherTest {
    static final class Call extends Dispatcher.Dispatchable {
        private final long unique;
        private final Operation operation;
        private final AtomicInteger interrupts = new AtomicInteger();
        private final boolean mayRunInline;

        Call(long unique, Operation operation) {
            this(unique, operation, false);
        }

        private Call(long unique, Operation operation, boolean mayRunInline) {
            this.unique = unique;
            this.operation = operation;
            this.mayRunInline = mayRunInline;
        }

        static Call quick(long unique, Operation operation) {
            return new Call(unique, operation, true);
        }

        @Override
        public long unique() {
            return unique;
        }

        @Override
        public Operation operation() {
            return operation;
        }

        @Override
        public boolean mayRunInline() {
            return mayRunInline;
        }

        AtomicInteger interrupts() {
            return interrupts;
        }

        @Override
        public void interrupt() {
            interrupts.incrementAndGet();
        }
    }

    /** A worker that records the order requests ran in and can hold the first one. */
    final class Recorder implements Dispatcher.Worker<Call> {
        final List<Long> ran = new CopyOnWriteArrayList<>();
        final Map<Long, Thread> threads = new ConcurrentHashMap<>();
        final Map<Long, Integer> refused = new ConcurrentHashMap<>();
        final CountDownLatch blockerStarted = new CountDownLatch(1);
        final CountDownLatch releaseBlocker = new CountDownLatch(1);
        volatile long sleepNanos;
        volatile Operation failing;

        @Override
        public void run(Call call) {
            if (call.unique() == BLOCKER) {
                blockerStarted.countDown();
                awaitQuietly(releaseBlocker);
            } else {
                threads.put(call.unique(), Thread.currentThread());
                ran.add(call.unique());
            }
            if (sleepNanos > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(sleepNanos);
            }
            dispatcher.completed(call, call.operation() == failing ? Errno.EIO : 0, 0);
        }

        @Override
        public void refuse(Call call, int errno) {
            refused.put(call.unique(), errno);
            dispatcher.completed(call, errno, 0);
        }
    }

    static final long BLOCKER = 1_000_000;

    final Recorder recorder = new Recorder();
    Dispatcher<Call> dispatcher;

    static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void start(DispatcherConfig config) {
        dispatcher = new Dispatcher<>(config, Errno.ENOTCONN, recorder);
    }

    /** Occupies the only worker so that everything submitted next waits in the queue. */
    void block() throws InterruptedException {
        dispatcher.submit(new Call(BLOCKER, Operation.GETATTR));
        assertThat(recorder.blockerStarted.await(10, TimeUnit.SECONDS)).isTrue();
    }

    void awaitCompleted(long count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (dispatcher.stats().totalCompleted() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(dispatcher.stats().totalCompleted()).isEqualTo(count);
    }

    @AfterEach
    void stop() throws InterruptedException {
        recorder.releaseBlocker.countDown();
        if (dispatcher != null) {
            dispatcher.shutdown(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void higherPrioritiesRunFirst() throws Exception {
        start(DispatcherConfig.defaults().withWorkerThreads(1));
        block();
        dispatcher.submit(new Call(1, Operation.READ));      // LOW
        dispatcher.submit(new Call(2, Operation.MKDIR));     // NORMAL
        dispatcher.submit(new Call(3, Operation.GETATTR));   // HIGH
        recorder.releaseBlocker.countDown();
        awaitCompleted(4);
        assertThat(recorder.ran).containsExactly(3L, 2L, 1L);
    }

    @Test
    void aQuickRequestRunsOnTheSubmittingThreadOnlyWhileNothingWaits() throws Exception {
        start(DispatcherConfig.defaults().withWorkerThreads(1));
        dispatcher.submit(Call.quick(1, Operation.GETATTR));
        // It ran before submit returned, on this thread: no worker was woken for it.
        assertThat(recorder.threads.get(1L)).isSameAs(Thread.currentThread());

        block();
        dispatcher.submit(new Call(2, Operation.MKDIR));       // waits in the queue
        dispatcher.submit(Call.quick(3, Operation.GETATTR));   // must not overtake it from here
        assertThat(recorder.ran).containsExactly(1L);
        recorder.releaseBlocker.countDown();
        awaitCompleted(4);
        assertThat(recorder.ran).containsExactly(1L, 3L, 2L); // GETATTR is HIGH: the queue's order rules
        assertThat(recorder.threads.get(3L)).isNotSameAs(Thread.currentThread());
        assertThat(dispatcher.stats().totalInline()).isEqualTo(1);
        assertThat(dispatcher.stats().totalDispatched()).isEqualTo(4);
    }

    @Test
    void inlineOffSendsEveryRequestToAWorker() throws Exception {
        start(DispatcherConfig.defaults().withWorkerThreads(1).withInline(false));
        dispatcher.submit(Call.quick(1, Operation.GETATTR));
        awaitCompleted(1);
        assertThat(recorder.threads.get(1L)).isNotSameAs(Thread.currentThread());
        assertThat(dispatcher.stats().totalInline()).isZero();
    }

    @Test
    void anInterruptReachesARequestRunningInline() throws Exception {
        start(DispatcherConfig.defaults().withWorkerThreads(1));
        Call slow = Call.quick(BLOCKER, Operation.GETATTR);
        Thread submitter = Thread.ofPlatform().start(() -> {
            try {
                dispatcher.submit(slow);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(recorder.blockerStarted.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(dispatcher.pending()).isEqualTo(1);
        assertThat(dispatcher.interrupt(BLOCKER)).isTrue();
        assertThat(slow.interrupts().get()).isEqualTo(1);
        recorder.releaseBlocker.countDown();
        submitter.join(10_000);
        assertThat(dispatcher.pending()).isZero();
    }

    @Test
    void aRequestObjectIsTrackedUntilItCompletesAndCanThenBeSubmittedAgain() throws Exception {
        start(DispatcherConfig.defaults().withWorkerThreads(1));
        Call reused = new Call(5, Operation.GETATTR);
        dispatcher.submit(reused);
        awaitCompleted(1);
        assertThat(dispatcher.pending()).isZero();
        assertThat(dispatcher.interrupt(5)).as("answered: nothing to interrupt").isFalse();
        assertThat(reused.interrupts().get()).isZero();

        block();
        dispatcher.submit(reused);
        assertThatThrownBy(() -> dispatcher.submit(reused)).as("still queued")
                .isInstanceOf(IllegalStateException.class);
        assertThat(dispatcher.pending()).isEqualTo(2);
        recorder.releaseBlocker.countDown();
        awaitCompleted(3);
        assertThat(recorder.ran).containsExactly(5L, 5L);
        assertThat(dispatcher.pending()).isZero();
    }

    @Test
    void withoutPriorityOrderingItIsFirstInFirstOut() throws Exception {
        start(DispatcherConfig.defaults().withWorkerThreads(1).withPriorityOrdering(false));
        block();
        dispatcher.submit(new Call(1, Operation.READ));
        dispatcher.submit(new Call(2, Operation.MKDIR));
        dispatcher.submit(new Call(3, Operation.GETATTR));
        recorder.releaseBlocker.countDown();
        awaitCompleted(4);
        assertThat(recorder.ran).containsExactly(1L, 2L, 3L);
    }

    @Test
    void perOperationOverridesChangeThePriority() throws Exception {
        start(DispatcherConfig.defaults().withWorkerThreads(1).withPriority(Operation.READ,
                io.javafuse.api.Priority.HIGH));
        block();
        dispatcher.submit(new Call(1, Operation.MKDIR));
        dispatcher.submit(new Call(2, Operation.READ));
        recorder.releaseBlocker.countDown();
        awaitCompleted(3);
        assertThat(recorder.ran).containsExactly(2L, 1L);
    }

    /** The documented bound: a waiting LOW request is overtaken by at most starvationLimit others. */
    @Test
    void lowPriorityWorkIsNeverStarved() throws Exception {
        int limit = 4;
        start(DispatcherConfig.defaults().withWorkerThreads(1).withStarvationLimit(limit));
        block();
        dispatcher.submit(new Call(1, Operation.READ));
        for (int i = 0; i < 20; i++) {
            dispatcher.submit(new Call(100 + i, Operation.GETATTR));
        }
        recorder.releaseBlocker.countDown();
        awaitCompleted(22);
        assertThat(recorder.ran.indexOf(1L)).isEqualTo(limit);
    }

    @Test
    void aFullQueueBlocksTheProducersAndLosesNothing() throws Exception {
        start(DispatcherConfig.defaults().withMaxQueueSize(16).withWorkerThreads(2));
        recorder.sleepNanos = TimeUnit.MICROSECONDS.toNanos(200);
        int producers = 200;
        int perProducer = 20;
        List<Thread> threads = new ArrayList<>();
        AtomicLong ids = new AtomicLong();
        for (int p = 0; p < producers; p++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < perProducer; i++) {
                    try {
                        dispatcher.submit(new Call(ids.incrementAndGet() * 2, Operation.READ));
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        awaitCompleted(producers * perProducer);
        DispatcherStats stats = dispatcher.stats();
        assertThat(stats.maxQueueSize()).isLessThanOrEqualTo(16);
        assertThat(stats.totalDispatched()).isEqualTo(producers * perProducer);
        assertThat(stats.totalErrors()).isZero();
        assertThat(recorder.ran).hasSize(producers * perProducer).doesNotHaveDuplicates();
        assertThat(recorder.refused).isEmpty();
    }

    @Test
    void anInterruptedQueuedRequestIsAnsweredEintrWithoutRunning() throws Exception {
        start(DispatcherConfig.defaults().withWorkerThreads(1));
        block();
        Call waiting = new Call(2, Operation.READ);
        dispatcher.submit(waiting);
        assertThat(dispatcher.interrupt(2)).isTrue();
        assertThat(recorder.refused).containsEntry(2L, Errno.EINTR);
        assertThat(dispatcher.interrupt(12345)).as("unknown request").isFalse();
        assertThat(dispatcher.interrupt(BLOCKER)).as("running request").isTrue();
        recorder.releaseBlocker.countDown();
        awaitCompleted(2);
        assertThat(recorder.ran).doesNotContain(2L);
        assertThat(dispatcher.stats().totalInterrupted()).isEqualTo(1);
    }

    @Test
    void statisticsCountExactly() throws Exception {
        start(DispatcherConfig.defaults());
        recorder.failing = Operation.UNLINK;
        for (int i = 0; i < 30; i++) {
            dispatcher.submit(new Call(2 * i + 2, i % 3 == 0 ? Operation.UNLINK : Operation.LOOKUP));
        }
        awaitCompleted(30);
        DispatcherStats stats = dispatcher.stats();
        assertThat(stats.totalDispatched()).isEqualTo(30);
        assertThat(stats.totalErrors()).isEqualTo(10);
        assertThat(stats.perOperation().get(Operation.UNLINK).count()).isEqualTo(10);
        assertThat(stats.perOperation().get(Operation.UNLINK).errors()).isEqualTo(10);
        assertThat(stats.perOperation().get(Operation.LOOKUP).count()).isEqualTo(20);
        assertThat(stats.perOperation().get(Operation.LOOKUP).errors()).isZero();
        assertThat(stats.perOperation().get(Operation.LOOKUP).p99Ms())
                .isGreaterThanOrEqualTo(stats.perOperation().get(Operation.LOOKUP).p50Ms());
        assertThat(stats.queueSize()).isZero();
    }

    @Test
    void reconfigurationUnderLoadLosesNothingAndKeepsOrder() throws Exception {
        start(DispatcherConfig.defaults().withPriorityOrdering(false).withWorkerThreads(1));
        recorder.sleepNanos = TimeUnit.MICROSECONDS.toNanos(20);
        int total = 5000;
        Thread producer = Thread.ofPlatform().start(() -> {
            for (int i = 1; i <= total; i++) {
                try {
                    dispatcher.submit(new Call(2L * i, Operation.WRITE));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        });
        DispatcherConfig[] configs = {
                DispatcherConfig.defaults().withPriorityOrdering(false).withWorkerThreads(1).withMaxQueueSize(8),
                DispatcherConfig.defaults().withPriorityOrdering(false).withWorkerThreads(1).withMaxQueueSize(512),
                DispatcherConfig.defaults().withPriorityOrdering(false).withMaxConcurrentHandlers(1),
                DispatcherConfig.defaults().withPriorityOrdering(true).withWorkerThreads(1)};
        for (int round = 0; producer.isAlive(); round++) {
            dispatcher.reconfigure(configs[round % configs.length]);
            Thread.sleep(3);
        }
        producer.join();
        awaitCompleted(total);
        assertThat(recorder.ran).hasSize(total).doesNotHaveDuplicates();
        assertThat(recorder.refused).isEmpty();
    }

    @Test
    void shutdownFinishesAdmittedWorkAndRefusesNewWorkButCleanup() throws Exception {
        start(DispatcherConfig.defaults().withWorkerThreads(1));
        block();
        dispatcher.submit(new Call(2, Operation.WRITE));
        Thread shutdown = Thread.ofPlatform().start(() -> {
            try {
                DispatcherShutdown report = dispatcher.shutdown(10, TimeUnit.SECONDS);
                assertThat(report.completed()).isTrue();
                assertThat(report.unfinished()).isEmpty();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        while (!dispatcher.isShuttingDown()) {
            Thread.sleep(1);
        }
        dispatcher.submit(new Call(4, Operation.WRITE));
        dispatcher.submit(new Call(6, Operation.RELEASE));
        recorder.releaseBlocker.countDown();
        shutdown.join();
        assertThat(recorder.ran).containsExactlyInAnyOrder(2L, 6L);
        assertThat(recorder.refused).containsEntry(4L, Errno.ENOTCONN);
    }

    @Test
    void shutdownReportsWhatDidNotFinish() throws Exception {
        start(DispatcherConfig.defaults().withWorkerThreads(1));
        block();
        dispatcher.submit(new Call(2, Operation.WRITE));
        DispatcherShutdown report = dispatcher.shutdown(100, TimeUnit.MILLISECONDS);
        assertThat(report.completed()).isFalse();
        assertThat(report.unfinished()).extracting(DispatcherShutdown.Pending::unique)
                .containsExactlyInAnyOrder(BLOCKER, 2L);
        assertThat(recorder.refused).as("the queued one is answered, not left waiting").containsEntry(2L, Errno.ENOTCONN);
    }

    @Test
    void histogramPercentilesAreWithinASixteenth() {
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 1; i <= 1000; i++) {
            h.record(i * 1000L);
        }
        assertThat(h.percentile(0.5)).isBetween(500_000L, 500_000L + 500_000L / 16);
        assertThat(h.percentile(0.99)).isBetween(990_000L, 990_000L + 990_000L / 16);
        assertThat(h.count()).isEqualTo(1000);
        for (long v : new long[] {0, 1, 15, 16, 17, 1000, 1L << 40, Long.MAX_VALUE / 2}) {
            assertThat(LatencyHistogram.upperBound(LatencyHistogram.index(v))).isGreaterThanOrEqualTo(v);
        }
    }
}
