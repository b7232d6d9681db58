package io.javafuse.session;

import io.javafuse.abi.Opcode;
import io.javafuse.abi.Structs;
import io.javafuse.abi.Structs.InHeader;
import io.javafuse.abi.Structs.OutHeader;
import io.javafuse.api.Operation;
import io.javafuse.api.Priority;
import io.javafuse.api.Request;
import io.javafuse.dispatch.Dispatcher;
import io.javafuse.writes.WriteQueues;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletionStage;

import static io.javafuse.abi.Structs.u16;
import static io.javafuse.abi.Structs.u32;
import static io.javafuse.abi.Structs.u64;

/**
 * One request read from the kernel: its header, decoded once, and the buffer that holds its
 * arguments and later its reply. Both are pooled ({@link BufferPool}): the object owns its buffer
 * for good and is filled anew by {@link #received} for each request read into it.
 */
public final class FuseRequest extends Dispatcher.Dispatchable implements Request {
    private final MemorySegment buffer;
    /** The buffer as handlers may see it: WRITE data and xattr values are slices of this one. */
    private final MemorySegment readOnlyBuffer;
    /*
     * The last views handed out, kept for the next request of the same shape (a stream of 4 KiB
     * READs or WRITEs asks for the same ones). A view is immutable and shows only this object's
     * own buffer, so reusing it for a later request is no different from slicing anew.
     */
    private MemorySegment replyBodyView;
    private MemorySegment argumentView;
    private long argumentViewOffset;
    private FuseChannel channel;
    private int length;
    private Opcode opcode;
    private int rawOpcode;
    private long unique;
    private long nodeId;
    private int uid;
    private int gid;
    private int pid;
    private long argumentsEnd;
    private long startNanos;

    private Priority priority;
    private boolean mayRunInline;
    /** The write queue this WRITE has a place reserved in, or null when it bypasses the queues. */
    private WriteQueues.Key writeQueue;
    private volatile boolean interrupted;
    private Thread handlerThread;
    private CompletionStage<?> deferred;

    FuseRequest(MemorySegment buffer) {
        this.buffer = buffer;
        this.readOnlyBuffer = buffer.asReadOnly();
    }

    /**
     * A request of {@code length} bytes was just read into the buffer from {@code from}: decodes its
     * header and forgets everything about the previous request this object carried.
     */
    void received(FuseChannel from, int length) {
        this.channel = from;
        this.length = length;
        this.rawOpcode = u32(buffer, InHeader.OPCODE);
        this.opcode = Opcode.of(rawOpcode);
        this.unique = u64(buffer, InHeader.UNIQUE);
        this.nodeId = u64(buffer, InHeader.NODEID);
        this.uid = u32(buffer, InHeader.UID);
        this.gid = u32(buffer, InHeader.GID);
        this.pid = u32(buffer, InHeader.PID);
        // Extensions (security context, supplementary groups) sit at the end; arguments end before them.
        this.argumentsEnd = length - 8L * u16(buffer, InHeader.TOTAL_EXTLEN);
        this.startNanos = System.nanoTime();
        this.priority = null;
        this.mayRunInline = false;
        this.writeQueue = null;
        this.deferred = null;
        synchronized (this) {
            interrupted = false;
            handlerThread = null;
        }
    }

    FuseChannel channel() {
        return channel;
    }

    MemorySegment buffer() {
        return buffer;
    }

    /** Where a reply's body goes: {@code length} bytes after the out header, writable (READ data, directory entries). */
    MemorySegment replyBody(long length) {
        MemorySegment view = replyBodyView;
        if (view == null || view.byteSize() != length) {
            view = buffer.asSlice(OutHeader.SIZE, length);
            replyBodyView = view;
        }
        return view;
    }

    /** {@code length} bytes of the request from {@code offset}, read-only: what a handler is given to read. */
    MemorySegment readOnlySlice(long offset, long length) {
        MemorySegment view = argumentView;
        if (view == null || argumentViewOffset != offset || view.byteSize() != length) {
            view = readOnlyBuffer.asSlice(offset, length);
            argumentView = view;
            argumentViewOffset = offset;
        }
        return view;
    }

    int length() {
        return length;
    }

    /** The opcode, or null when the kernel sent one this engine does not know. */
    Opcode opcode() {
        return opcode;
    }

    int rawOpcode() {
        return rawOpcode;
    }

    long nodeId() {
        return nodeId;
    }

    long argumentsEnd() {
        return argumentsEnd;
    }

    /** When the request was read from the channel. */
    @Override
    public long receivedNanos() {
        return startNanos;
    }

    @Override
    public Priority priority() {
        return priority;
    }

    /** The kernel writing back cached pages: data a program already wrote, which a shutdown must not refuse. */
    @Override
    public boolean isCleanup() {
        return opcode == Opcode.WRITE && (Structs.u32(buffer, InHeader.SIZE + Structs.WriteIn.WRITE_FLAGS)
                & Structs.WriteIn.WRITE_CACHE) != 0;
    }

    void priority(Priority value) {
        priority = value;
    }

    @Override
    public boolean mayRunInline() {
        return mayRunInline;
    }

    void mayRunInline(boolean value) {
        mayRunInline = value;
    }

    WriteQueues.Key writeQueue() {
        return writeQueue;
    }

    void writeQueue(WriteQueues.Key key) {
        writeQueue = key;
    }

    @Override
    public long unique() {
        return unique;
    }

    @Override
    public Operation operation() {
        return opcode != null ? opcode.operation() : null;
    }

    /** The operation's name for messages, also for an opcode the engine does not know. */
    String describe() {
        return opcode != null ? opcode.name() : "opcode " + rawOpcode;
    }

    @Override
    public int uid() {
        return uid;
    }

    @Override
    public int gid() {
        return gid;
    }

    @Override
    public int pid() {
        return pid;
    }

    @Override
    public int openBacking(int fd) throws java.io.IOException {
        return channel.openBacking(fd);
    }

    @Override
    public void closeBacking(int backingId) throws java.io.IOException {
        channel.closeBacking(backingId);
    }

    @Override
    public boolean isInterrupted() {
        return interrupted;
    }

    @Override
    public <T> T later(CompletionStage<? extends T> stage) {
        if (deferred != null) {
            throw new IllegalStateException("request " + unique + " is already answered later");
        }
        deferred = stage;
        return null;
    }

    CompletionStage<?> deferred() {
        return deferred;
    }

    /** Marks the thread that runs this request's handler, so an INTERRUPT can reach it. */
    synchronized void handlerStarted(Thread thread) {
        handlerThread = thread;
        if (interrupted) {
            thread.interrupt();
        }
    }

    /**
     * The handler returned: from here on an INTERRUPT must not disturb the thread, which moves on to
     * other work. The request may already be answered and carry the next one (an answer given
     * later, on another thread): that one's handler thread, if any, stays registered.
     */
    void handlerFinished() {
        synchronized (this) {
            if (handlerThread == Thread.currentThread()) {
                handlerThread = null;
            }
        }
        Thread.interrupted();
    }

    /** The caller was interrupted: flag the request, and interrupt its handler if one is running. */
    @Override
    public synchronized void interrupt() {
        interrupted = true;
        if (handlerThread != null) {
            handlerThread.interrupt();
        }
    }
}
