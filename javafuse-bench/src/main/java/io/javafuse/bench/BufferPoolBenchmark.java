package io.javafuse.bench;

import io.javafuse.session.BufferPool;
import io.javafuse.session.FuseRequest;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

import java.util.concurrent.TimeUnit;

/**
 * One acquire and one release of a pooled request with its buffer (1 MiB + 4 KiB, as for the default
 * max_write), by 1 and by 4 threads sharing a pool sized as a default mount's.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class BufferPoolBenchmark {
    BufferPool pool;

    @Setup(Level.Trial)
    public void start() {
        // readers (2) + queue (256) + handlers (64), as MountOptions.defaults() on 2 cores
        pool = new BufferPool((1 << 20) + 4096, 2 + 256 + 64);
    }

    @TearDown(Level.Trial)
    public void stop() {
        pool.close();
    }

    @Benchmark
    @Threads(1)
    public FuseRequest acquireRelease1() throws InterruptedException {
        return cycle();
    }

    @Benchmark
    @Threads(4)
    public FuseRequest acquireRelease4() throws InterruptedException {
        return cycle();
    }

    private FuseRequest cycle() throws InterruptedException {
        FuseRequest request = pool.acquire();
        pool.release(request);
        return request;
    }
}
