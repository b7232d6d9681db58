package io.javafuse.bench;

import io.javafuse.api.DispatcherConfig;
import io.javafuse.api.Operation;
import io.javafuse.dispatch.Dispatcher;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * What the dispatcher costs per request: a round trip from {@code submit} to the worker's
 * {@code completed}, with a handler that does nothing, by 1, 2 and 4 producer threads (as the
 * session's readers are), against calling the same handler directly on the producer's thread.
 * Each producer waits for its request to complete before it submits the next, so the score is
 * requests per second through the queue, the worker hand-off and the wake-up of the producer.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class DispatcherBenchmark {

    /** A request: its id, operation, and the producer waiting for it. */
    static final class Call extends Dispatcher.Dispatchable {
        final long unique;
        final Producer producer;

        Call(long unique, Producer producer) {
            this.unique = unique;
            this.producer = producer;
        }

        @Override
        public long unique() {
            return unique;
        }

        @Override
        public Operation operation() {
            return Operation.GETATTR;
        }

        @Override
        public void interrupt() {
        }
    }

    /** The handler both variants run: it does (almost) nothing. */
    static long handle(Call call) {
        return call.unique * 31;
    }

    @State(Scope.Benchmark)
    public static class Shared {
        /** virtual: virtual threads (the default config); platform: a fixed pool of 4 platform threads. */
        @Param({"virtual", "platform"})
        public String workers;

        Dispatcher<Call> dispatcher;
        final AtomicInteger producers = new AtomicInteger();

        @Setup(Level.Trial)
        public void start() {
            DispatcherConfig config = DispatcherConfig.defaults()
                    .withWorkerThreads(workers.equals("virtual") ? 0 : 4);
            Dispatcher<Call>[] self = new Dispatcher[1];
            dispatcher = new Dispatcher<>(config, 107, new Dispatcher.Worker<>() {
                @Override
                public void run(Call call) {
                    long result = handle(call);
                    self[0].completed(call, 0, 0);
                    call.producer.done(call.unique, result);
                }

                @Override
                public void refuse(Call call, int errno) {
                    self[0].completed(call, errno, 0);
                    call.producer.done(call.unique, -errno);
                }
            });
            self[0] = dispatcher;
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            dispatcher.shutdown(10, TimeUnit.SECONDS);
        }
    }

    /** One producer thread: its own ids (never reused), and the slot its answers land in. */
    @State(Scope.Thread)
    public static class Producer {
        Thread thread;
        long next;
        volatile long completedUnique = -1;
        long result;

        @Setup(Level.Trial)
        public void start(Shared shared) {
            thread = Thread.currentThread();
            next = (long) shared.producers.incrementAndGet() << 40;
        }

        void done(long unique, long value) {
            result = value;
            completedUnique = unique;
            LockSupport.unpark(thread);
        }

        long roundTrip(Dispatcher<Call> dispatcher) throws InterruptedException {
            long unique = (next += 2);
            dispatcher.submit(new Call(unique, this));
            while (completedUnique != unique) {
                LockSupport.park(this);
            }
            return result;
        }
    }

    /** The baseline's caller: no dispatcher, so it does not depend on the workers parameter's state. */
    @State(Scope.Thread)
    public static class DirectCaller {
        long next;
    }

    /** The baseline: the same request object and handler, called on the producer's own thread. */
    @Benchmark
    @Threads(1)
    public void direct(DirectCaller caller, Blackhole bh) {
        long unique = (caller.next += 2);
        bh.consume(handle(new Call(unique, null)));
    }

    @Benchmark
    @Threads(1)
    public long dispatched1(Shared shared, Producer producer) throws InterruptedException {
        return producer.roundTrip(shared.dispatcher);
    }

    @Benchmark
    @Threads(2)
    public long dispatched2(Shared shared, Producer producer) throws InterruptedException {
        return producer.roundTrip(shared.dispatcher);
    }

    @Benchmark
    @Threads(4)
    public long dispatched4(Shared shared, Producer producer) throws InterruptedException {
        return producer.roundTrip(shared.dispatcher);
    }
}
