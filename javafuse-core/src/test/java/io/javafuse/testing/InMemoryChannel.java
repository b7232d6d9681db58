package io.javafuse.testing;

import io.javafuse.session.FuseChannel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A FUSE channel without a kernel: tests put requests in as bytes and take the replies out, so
 * the session, the decoding and the encoding can be checked byte by byte.
 */
public final class InMemoryChannel implements FuseChannel {
    private static final byte[] CLOSE = new byte[0];

    private final BlockingQueue<byte[]> requests = new LinkedBlockingQueue<>();
    private final BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    public void send(byte[] request) {
        requests.add(request);
    }

    /** The next reply, or null if none comes within the timeout. */
    public byte[] reply(long timeout, TimeUnit unit) throws InterruptedException {
        return replies.poll(timeout, unit);
    }

    @Override
    public int read(MemorySegment buffer) throws java.io.IOException {
        try {
            byte[] request = requests.take();
            if (request == CLOSE || closed) {
                requests.add(CLOSE); // wake the other readers too
                return CLOSED;
            }
            if (request.length > buffer.byteSize()) {
                throw new java.io.IOException("request of " + request.length + " bytes exceeds the buffer");
            }
            MemorySegment.copy(request, 0, buffer, ValueLayout.JAVA_BYTE, 0, request.length);
            return request.length;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CLOSED;
        }
    }

    @Override
    public boolean write(MemorySegment header, MemorySegment payload) {
        byte[] message = new byte[(int) (header.byteSize() + payload.byteSize())];
        MemorySegment.copy(header, ValueLayout.JAVA_BYTE, 0, message, 0, (int) header.byteSize());
        MemorySegment.copy(payload, ValueLayout.JAVA_BYTE, 0, message, (int) header.byteSize(), (int) payload.byteSize());
        replies.add(message);
        return true;
    }

    @Override
    public FuseChannel cloneChannel() {
        return this;
    }

    /** Ends the session as an unmount would: readers see the channel close. */
    @Override
    public void close() {
        closed = true;
        requests.add(CLOSE);
    }
}
