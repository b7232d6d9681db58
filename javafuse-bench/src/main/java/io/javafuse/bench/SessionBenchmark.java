package io.javafuse.bench;

import io.javafuse.api.Attr;
import io.javafuse.api.Entry;
import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.api.MountOptions;
import io.javafuse.api.Request;
import io.javafuse.session.Session;
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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Whole request round trips through the session without a kernel: a reader thread takes the
 * request from an in-memory channel, decodes it, the dispatcher hands it to a worker, the
 * handler answers, and the reply is encoded and written back. LOOKUP (a name in, an entry of
 * attributes out) and READ of 4 KiB (a copy of 4 KiB into the reply) with a trivial filesystem,
 * by 1 caller and by 4 concurrent callers; the score is round trips per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SessionBenchmark {
    static final long FILE = 2;
    static final int CHUNK = 4096;
    static final Instant T = Instant.ofEpochSecond(1_700_000_000);

    /** One file of 1 MiB whose bytes are all the same page. */
    static final class TrivialFs implements FileSystem {
        private final MemorySegment page = Arena.ofAuto().allocate(CHUNK).fill((byte) 'x');
        private final Attr file = new Attr(FILE, FileMode.S_IFREG | 0644, 1, 0, 0, 0, 1 << 20, 2048, 0, T, T, T);

        @Override
        public Entry lookup(Request request, long parent, String name) throws FuseException {
            if (parent != ROOT_ID || !name.equals("file")) {
                throw new FuseException(Errno.ENOENT);
            }
            return Entry.of(file);
        }

        @Override
        public Attr getattr(Request request, long nodeId, long fh) {
            return file;
        }

        @Override
        public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination) {
            int n = (int) Math.min(destination.byteSize(), CHUNK);
            MemorySegment.copy(page, 0, destination, 0, n);
            return n;
        }
    }

    @State(Scope.Benchmark)
    public static class Mounted {
        BenchChannel channel;
        Session session;
        final byte[] lookup = Requests.lookup(FileSystem.ROOT_ID, "file");
        final byte[] read = Requests.read(FILE, 1, 8192, CHUNK);

        @Setup(Level.Trial)
        public void start() throws Exception {
            channel = new BenchChannel();
            channel.send(Requests.init(), 2);
            session = new Session(new TrivialFs(), MountOptions.defaults().withReaders(2), channel, () -> {});
            session.start();
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            channel.close();
            if (!session.awaitTermination(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the session did not end");
            }
        }
    }

    @State(Scope.Thread)
    public static class Caller {
        BenchChannel.Caller caller;

        @Setup(Level.Trial)
        public void register(Mounted mounted) {
            caller = mounted.channel.register();
            // Check once that the answers are what a kernel would accept.
            expect(mounted, mounted.lookup, 16 + 128);
            expect(mounted, mounted.read, 16 + CHUNK);
        }

        private void expect(Mounted mounted, byte[] request, int length) {
            int got = mounted.channel.call(caller, request);
            if (caller.error != 0 || got != length) {
                throw new IllegalStateException("reply of " + got + " bytes, error " + caller.error
                        + "; expected " + length + " bytes");
            }
        }
    }

    @Benchmark
    @Threads(1)
    public int lookup1(Mounted mounted, Caller caller) {
        return mounted.channel.call(caller.caller, mounted.lookup);
    }

    @Benchmark
    @Threads(1)
    public int read4k1(Mounted mounted, Caller caller) {
        return mounted.channel.call(caller.caller, mounted.read);
    }

    @Benchmark
    @Threads(4)
    public int lookup4(Mounted mounted, Caller caller) {
        return mounted.channel.call(caller.caller, mounted.lookup);
    }

    @Benchmark
    @Threads(4)
    public int read4k4(Mounted mounted, Caller caller) {
        return mounted.channel.call(caller.caller, mounted.read);
    }
}
