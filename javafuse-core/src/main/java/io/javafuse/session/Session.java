package io.javafuse.session;

import io.javafuse.abi.InitFlags;
import io.javafuse.abi.Opcode;
import io.javafuse.abi.Structs;
import io.javafuse.abi.Structs.InHeader;
import io.javafuse.abi.Structs.InitIn;
import io.javafuse.abi.Structs.InitOut;
import io.javafuse.abi.Structs.InterruptIn;
import io.javafuse.abi.Structs.OutHeader;
import io.javafuse.abi.Structs.WriteIn;
import io.javafuse.api.ConnectionInfo;
import io.javafuse.api.DispatcherConfig;
import io.javafuse.api.DispatcherShutdown;
import io.javafuse.dispatch.Dispatcher;
import io.javafuse.api.DirectoryPlusFiller;
import io.javafuse.api.Errno;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.api.MountOptions;
import io.javafuse.api.Operation;
import io.javafuse.api.Request;
import io.javafuse.api.WritePriority;
import io.javafuse.writes.UniqueSequencer;
import io.javafuse.writes.WriteQueues;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.javafuse.abi.Structs.u32;
import static io.javafuse.abi.Structs.u64;

/**
 * One FUSE connection being served: the INIT handshake, the reader threads (each on its own
 * cloned channel), the table of requests in flight (so an INTERRUPT finds its request), and the
 * end of it all, which happens once however it is triggered.
 */
public final class Session {
    private static final System.Logger LOG = System.getLogger(Session.class.getName());
    /** The oldest protocol whose request layouts this engine decodes (fuse_create_in with umask came in 7.12). */
    static final int OLDEST_KERNEL_MINOR = 12;
    private static final int INIT_TIMEOUT_MILLIS = 30_000;
    /** With passthrough, backing files must be on a filesystem that is not stacked itself. */
    private static final int PASSTHROUGH_STACK_DEPTH = 1;
    /** Once the connection is gone, handlers still running get this long to return. */
    private static final long TERMINATION_DRAIN_SECONDS = 5;
    /** The answer to new work once the dispatcher shuts down: the caller learns its call did not happen. */
    public static final int REFUSAL = Errno.ENOTCONN;

    private final FileSystem fs;
    private final MountOptions options;
    private final FuseChannel channel;
    private final BufferPool pool;
    private final Operations operations;
    private final Dispatcher<FuseRequest> dispatcher;
    private final UniqueSequencer sequencer = new UniqueSequencer(0);
    private final WriteQueues<FuseRequest> writeQueues;
    private final List<FuseChannel> channels = new ArrayList<>();
    private final List<Thread> readers = new ArrayList<>();
    private final AtomicInteger liveReaders = new AtomicInteger();
    private final AtomicBoolean destroyed = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final Runnable onTerminated;
    private volatile ConnectionInfo connection;

    /**
     * @param onTerminated runs once after the last reader stopped and the filesystem was destroyed
     */
    public Session(FileSystem fs, MountOptions options, FuseChannel channel, Runnable onTerminated) {
        this.fs = fs;
        this.options = options;
        this.channel = channel;
        this.onTerminated = onTerminated;
        int bufferSize = Math.max(Structs.MIN_READ_BUFFER, options.maxWrite() + 4096);
        DispatcherConfig config = options.dispatcher();
        this.pool = new BufferPool(bufferSize, poolCapacity(config));
        this.operations = new Operations(fs, new ReplyEncoder(options), this::finished, this::destroyOnce,
                options.splice());
        this.writeQueues = new WriteQueues<>(options.writeQueues(), sequencer, operations.queuedWrites());
        operations.useWriteQueues(writeQueues);
        if (!options.birthTimes()) {
            operations.removeHandler(Operation.STATX);
        }
        this.dispatcher = new Dispatcher<>(config, REFUSAL, new Dispatcher.Worker<>() {
            @Override
            public void run(FuseRequest request) {
                operations.handle(request);
            }

            @Override
            public void refuse(FuseRequest request, int errno) {
                operations.answerError(request, errno);
            }
        });
    }

    public Dispatcher<FuseRequest> dispatcher() {
        return dispatcher;
    }

    public WriteQueues<FuseRequest> writeQueues() {
        return writeQueues;
    }

    /** Every reader holds a buffer while it waits; then each queued or running request holds one. */
    private int poolCapacity(DispatcherConfig config) {
        return options.readers() + config.maxQueueSize() + config.concurrency();
    }

    /**
     * Changes queue size, workers and ordering on the live session. The buffer pool follows, so
     * that a longer queue or more workers are not held back by the buffers of the first config.
     */
    public synchronized void reconfigure(DispatcherConfig config) {
        int capacity = poolCapacity(config);
        if (capacity > pool.capacity()) {
            pool.resize(capacity);
            dispatcher.reconfigure(config);
        } else {
            dispatcher.reconfigure(config);
            pool.resize(capacity);
        }
    }

    /** Routes one operation to {@code handler}; null routes it back to the mounted filesystem. */
    public void setOperationHandler(Operation operation, FileSystem handler) {
        if (handler == null) {
            operations.resetHandler(operation);
        } else {
            operations.setHandler(operation, handler);
        }
    }

    /** Answers one operation with ENOSYS from now on. */
    public void removeOperationHandler(Operation operation) {
        operations.removeHandler(operation);
    }

    public ConnectionInfo connection() {
        return connection;
    }

    /** Answers the kernel's INIT, then starts the readers. Returns once the mount is live. */
    public void start() throws IOException {
        initialize();
        int readerCount = options.readers();
        channels.add(channel);
        for (int i = 1; i < readerCount; i++) {
            try {
                channels.add(channel.cloneChannel());
            } catch (IOException e) {
                LOG.log(System.Logger.Level.INFO, "cannot clone /dev/fuse (" + e.getMessage()
                        + "); the remaining readers share one descriptor");
                channels.add(channel);
            }
        }
        liveReaders.set(readerCount);
        for (int i = 0; i < readerCount; i++) {
            FuseChannel readerChannel = channels.get(i);
            Thread reader = Thread.ofPlatform().name("javafuse-reader-" + i).daemon(true)
                    .unstarted(() -> readLoop(readerChannel));
            readers.add(reader);
        }
        readers.forEach(Thread::start);
    }

    private void initialize() throws IOException {
        FuseRequest init;
        try {
            init = pool.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FuseException(Errno.EINTR, "interrupted while waiting for INIT");
        }
        try {
            if (channel instanceof DevFuseChannel dev && !dev.awaitReadable(INIT_TIMEOUT_MILLIS)) {
                throw new FuseException(Errno.ETIMEDOUT, "the kernel sent no INIT within " + INIT_TIMEOUT_MILLIS + " ms");
            }
            int length = channel.read(init.buffer());
            if (length == FuseChannel.CLOSED) {
                throw new FuseException(Errno.ENODEV, "the mount went away before INIT");
            }
            init.received(channel, length);
            sequencer.admitted(init.unique());
            if (init.opcode() != Opcode.INIT) {
                throw new FuseException(Errno.EPROTO, "expected INIT, the kernel sent " + init.describe());
            }
            negotiate(init);
        } finally {
            pool.release(init);
        }
    }

    private void negotiate(FuseRequest init) throws IOException {
        MemorySegment b = init.buffer();
        long args = InHeader.SIZE;
        int kernelMajor = u32(b, args + InitIn.MAJOR);
        int kernelMinor = u32(b, args + InitIn.MINOR);
        if (kernelMajor > Structs.MAJOR) {
            // The kernel asks again with our major once it sees it.
            replyInit(init, 0, 0, 0, 0, Structs.MAJOR, Structs.MINOR);
            initialize();
            return;
        }
        if (kernelMajor < Structs.MAJOR || kernelMinor < OLDEST_KERNEL_MINOR) {
            sendError(init, Errno.EPROTO);
            throw new FuseException(Errno.EPROTO, "kernel FUSE protocol " + kernelMajor + "." + kernelMinor
                    + " is older than 7." + OLDEST_KERNEL_MINOR);
        }
        long kernelFlags = Integer.toUnsignedLong(u32(b, args + InitIn.FLAGS));
        if ((kernelFlags & InitFlags.INIT_EXT) != 0) {
            kernelFlags |= Integer.toUnsignedLong(u32(b, args + InitIn.FLAGS2)) << 32;
        }
        int minor = Math.min(kernelMinor, Structs.MINOR);
        long agreed = kernelFlags & wantedFlags();
        int maxReadahead = u32(b, args + InitIn.MAX_READAHEAD);
        int maxPages = (options.maxWrite() + 4095) / 4096;
        connection = new ConnectionInfo(Structs.MAJOR, minor, kernelMinor, agreed, options.maxWrite(), maxReadahead,
                maxPages, options.maxBackground());
        operations.connectionAgreed(agreed);
        try {
            fs.init(connection);
        } catch (Exception | LinkageError e) {
            sendError(init, Errno.of(e));
            throw new FuseException(Errno.of(e), "the filesystem's init failed: " + e, e);
        }
        replyInit(init, agreed, maxReadahead, maxPages, options.maxWrite(), Structs.MAJOR, minor);
    }

    /** What this engine offers; the agreed set is what the kernel also offered. */
    private long wantedFlags() {
        long wanted = InitFlags.ASYNC_READ | InitFlags.BIG_WRITES | InitFlags.MAX_PAGES | InitFlags.PARALLEL_DIROPS
                | InitFlags.ATOMIC_O_TRUNC | InitFlags.EXPORT_SUPPORT | InitFlags.CACHE_SYMLINKS | InitFlags.INIT_EXT
                | InitFlags.AUTO_INVAL_DATA | InitFlags.HAS_IOCTL_DIR | InitFlags.NO_OPEN_SUPPORT
                | InitFlags.NO_OPENDIR_SUPPORT;
        if (overrides("readdirplus", Request.class, long.class, long.class, long.class, DirectoryPlusFiller.class)) {
            wanted |= InitFlags.DO_READDIRPLUS | InitFlags.READDIRPLUS_AUTO;
        }
        if (options.writebackCache()) {
            wanted |= InitFlags.WRITEBACK_CACHE;
        }
        if (options.posixLocks()) {
            wanted |= InitFlags.POSIX_LOCKS;
        }
        if (options.flockLocks()) {
            wanted |= InitFlags.FLOCK_LOCKS;
        }
        if (options.handleKillpriv()) {
            wanted |= InitFlags.HANDLE_KILLPRIV_V2;
        }
        if (options.kernelPassthrough()) {
            // MountOptions refuses it with WRITEBACK_CACHE, with which the kernel would ignore it.
            wanted |= InitFlags.PASSTHROUGH;
        }
        return wanted;
    }

    private boolean overrides(String method, Class<?>... parameters) {
        try {
            return fs.getClass().getMethod(method, parameters).getDeclaringClass() != FileSystem.class;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    private void replyInit(FuseRequest init, long flags, int maxReadahead, int maxPages, int maxWrite, int major,
                           int minor) throws IOException {
        MemorySegment b = init.buffer();
        long out = OutHeader.SIZE;
        b.asSlice(out, InitOut.SIZE).fill((byte) 0);
        u32(b, out + InitOut.MAJOR, major);
        u32(b, out + InitOut.MINOR, minor);
        u32(b, out + InitOut.MAX_READAHEAD, maxReadahead);
        u32(b, out + InitOut.FLAGS, (int) flags);
        Structs.u16(b, out + InitOut.MAX_BACKGROUND, options.maxBackground());
        Structs.u16(b, out + InitOut.CONGESTION_THRESHOLD, options.maxBackground() * 3 / 4);
        u32(b, out + InitOut.MAX_WRITE, maxWrite);
        u32(b, out + InitOut.TIME_GRAN, 1);
        Structs.u16(b, out + InitOut.MAX_PAGES, maxPages);
        u32(b, out + InitOut.FLAGS2, (int) (flags >>> 32));
        if ((flags & InitFlags.PASSTHROUGH) != 0) {
            // Backing files may not be on stacked filesystems themselves; the mount becomes one level deep.
            u32(b, out + InitOut.MAX_STACK_DEPTH, PASSTHROUGH_STACK_DEPTH);
        }
        int size = minor < 5 ? InitOut.COMPAT_SIZE : minor < 23 ? InitOut.COMPAT_22_SIZE : InitOut.SIZE;
        OutHeader.write(b, OutHeader.SIZE + size, 0, init.unique());
        if (!channel.write(b.asSlice(0, OutHeader.SIZE + size), MemorySegment.NULL)) {
            throw new FuseException(Errno.ENODEV, "the mount went away during INIT");
        }
    }

    private void sendError(FuseRequest request, int errno) throws IOException {
        OutHeader.write(request.buffer(), OutHeader.SIZE, errno, request.unique());
        request.channel().write(request.buffer().asSlice(0, OutHeader.SIZE), MemorySegment.NULL);
    }

    private void readLoop(FuseChannel readerChannel) {
        try {
            while (true) {
                FuseRequest request = pool.acquire();
                int length;
                try {
                    length = readerChannel.read(request.buffer());
                } catch (IOException | RuntimeException e) {
                    pool.release(request);
                    LOG.log(System.Logger.Level.ERROR, "reading /dev/fuse failed; this reader stops", e);
                    return;
                }
                if (length == FuseChannel.CLOSED) {
                    pool.release(request);
                    return;
                }
                if (length < InHeader.SIZE) {
                    pool.release(request);
                    LOG.log(System.Logger.Level.WARNING, "ignoring a request of " + length + " bytes");
                    continue;
                }
                request.received(readerChannel, length);
                admit(request);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (liveReaders.decrementAndGet() == 0) {
                terminate();
            }
        }
    }

    private void admit(FuseRequest request) throws InterruptedException {
        Opcode opcode = request.opcode();
        if (opcode == Opcode.WRITE && writeQueues.config().enabled()) {
            MemorySegment b = request.buffer();
            WriteQueues.Key key = operations.writeKey(request, u64(b, InHeader.SIZE + WriteIn.FH));
            // Expected on its handle before the sequencer hears of it: once a later request is settled,
            // its handle's queue already knows about this write and does not pass it.
            writeQueues.expect(key, request.unique());
            sequencer.admitted(request.unique());
            boolean fromCache = (u32(b, InHeader.SIZE + WriteIn.WRITE_FLAGS) & WriteIn.WRITE_CACHE) != 0;
            request.priority(writeQueues.priorityOf(key, fromCache).dispatcherPriority());
            // A full queue for this file holds the reader here: the kernel keeps the rest.
            writeQueues.reserve(key, request.unique());
            request.writeQueue(key);
            // Settled, nothing numbered before it can still turn up, so its queue never waits for
            // another request to apply it: the reader may (an earlier write still running on a
            // worker takes this one along instead).
            request.mayRunInline(sequencer.isSettled(request.unique()) && operations.runsInline(Operation.WRITE));
            dispatcher.submit(request);
            return;
        }
        sequencer.admitted(request.unique());
        if (opcode == Opcode.INTERRUPT) {
            interrupt(request);
            return;
        }
        if (opcode == Opcode.FLUSH || opcode == Opcode.FSYNC) {
            request.priority(WritePriority.URGENT.dispatcherPriority());
        }
        request.mayRunInline(opcode != null && operations.runsInline(opcode.operation()));
        dispatcher.submit(request);
    }

    /**
     * An INTERRUPT names a request whose caller got a signal. If that request is in flight its
     * handler is told; if not (not read yet, or answered already) the kernel is asked to retry.
     */
    private void interrupt(FuseRequest interrupt) {
        long target = u64(interrupt.buffer(), InHeader.SIZE + InterruptIn.UNIQUE);
        if (dispatcher.interrupt(target)) {
            pool.release(interrupt);
            return;
        }
        operations.answerError(interrupt, Errno.EAGAIN);
    }

    private void finished(FuseRequest request, int errno, long bytes) {
        dispatcher.completed(request, errno, bytes);
        pool.release(request);
    }

    private void destroyOnce() {
        if (destroyed.compareAndSet(false, true)) {
            try {
                fs.destroy();
            } catch (RuntimeException | LinkageError e) {
                LOG.log(System.Logger.Level.WARNING, "the filesystem's destroy failed", e);
            }
        }
    }

    private void terminate() {
        try {
            DispatcherShutdown shutdown = dispatcher.shutdown(TERMINATION_DRAIN_SECONDS, TimeUnit.SECONDS);
            if (!shutdown.completed()) {
                LOG.log(System.Logger.Level.WARNING, shutdown.unfinished().size()
                        + " requests were still running when the connection ended: " + shutdown.unfinished());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        destroyOnce();
        for (FuseChannel c : channels) {
            c.close();
        }
        channel.close();
        pool.close();
        terminated.countDown();
        onTerminated.run();
    }

    /**
     * The connection is being aborted: no answer can reach the kernel any more, so the end of the
     * session waits for no handler still running (a forced shutdown already waited its timeout).
     */
    public void abandonRunningHandlers() {
        dispatcher.abandonRunning();
    }

    public boolean isAlive() {
        return terminated.getCount() > 0;
    }

    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminated.await(timeout, unit);
    }

    /** Requests admitted and not yet answered. */
    public int inFlightCount() {
        return dispatcher.pending();
    }
}
