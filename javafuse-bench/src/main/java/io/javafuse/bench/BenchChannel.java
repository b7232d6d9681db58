package io.javafuse.bench;

import io.javafuse.session.FuseChannel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * A FUSE channel without a kernel, lean enough to measure the session rather than itself:
 * callers hand in a request template with their own unique, the session's readers copy it into
 * their buffer (as read(2) on /dev/fuse copies), and the reply is copied into the caller's
 * buffer (as write(2) copies) and wakes the caller, found from the unique's low bits.
 */
final class BenchChannel implements FuseChannel {
    static final int MAX_CALLERS = 256;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;

    private record Pending(byte[] request, long unique) {}

    private static final Pending CLOSE = new Pending(new byte[0], 0);

    /** One caller thread; at most one request in flight. */
    static final class Caller {
        final int index;
        final Thread thread = Thread.currentThread();
        final byte[] reply = new byte[64 * 1024];
        long sequence;
        volatile long answered = -1;
        int replyLength;
        int error;

        Caller(int index) {
            this.index = index;
        }

        /** A fresh unique (never reused) whose low bits name this caller; even, as the kernel's are. */
        long nextUnique() {
            return ((++sequence * MAX_CALLERS) + index) << 1;
        }
    }

    private final LinkedBlockingQueue<Pending> requests = new LinkedBlockingQueue<>();
    private final Caller[] callers = new Caller[MAX_CALLERS];
    private int registered;
    private volatile boolean closed;

    synchronized Caller register() {
        Caller caller = new Caller(registered);
        callers[registered++] = caller;
        return caller;
    }

    void send(byte[] request, long unique) {
        requests.add(new Pending(request, unique));
    }

    /** Sends a request and waits for its reply; returns the reply's length (its error is in {@code caller.error}). */
    int call(Caller caller, byte[] request) {
        long unique = caller.nextUnique();
        requests.add(new Pending(request, unique));
        while (caller.answered != unique) {
            LockSupport.park(this);
        }
        return caller.replyLength;
    }

    @Override
    public int read(MemorySegment buffer) {
        try {
            Pending p = requests.take();
            if (p == CLOSE || closed) {
                requests.add(CLOSE);
                return CLOSED;
            }
            MemorySegment.copy(p.request, 0, buffer, ValueLayout.JAVA_BYTE, 0, p.request.length);
            buffer.set(U64, 8, p.unique);
            return p.request.length;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CLOSED;
        }
    }

    @Override
    public boolean write(MemorySegment header, MemorySegment payload) {
        long unique = header.get(U64, 8);
        Caller caller = callers[(int) ((unique >>> 1) % MAX_CALLERS)];
        if (caller == null) {
            return true; // the INIT reply, before any caller registered
        }
        int length = (int) (header.byteSize() + payload.byteSize());
        MemorySegment.copy(header, ValueLayout.JAVA_BYTE, 0, caller.reply, 0, (int) header.byteSize());
        MemorySegment.copy(payload, ValueLayout.JAVA_BYTE, 0, caller.reply, (int) header.byteSize(),
                (int) payload.byteSize());
        caller.replyLength = length;
        caller.error = header.get(U32, 4);
        caller.answered = unique;
        LockSupport.unpark(caller.thread);
        return true;
    }

    @Override
    public FuseChannel cloneChannel() {
        return this;
    }

    @Override
    public void close() {
        closed = true;
        requests.add(CLOSE);
    }
}
