package io.javafuse.session;

import io.javafuse.abi.Structs;
import io.javafuse.api.Errno;
import io.javafuse.api.FuseException;
import io.javafuse.sys.Syscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.StampedLock;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** A /dev/fuse descriptor: the kernel's end of one FUSE connection. */
public final class DevFuseChannel implements FuseChannel {
    private static final String DEVICE = "/dev/fuse";
    /** Two iovecs per thread for header + payload replies, allocated once per thread. */
    private static final ThreadLocal<MemorySegment> IOVECS =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(Syscalls.IOVEC, 2));

    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();
    /**
     * Answers are written under its read lock and the descriptor is closed under its write lock: a
     * handler that returns after the session closed its descriptors (a forced shutdown does not wait
     * for it) finds the channel closed, instead of writing into whatever file reuses the number.
     */
    private final StampedLock lifecycle = new StampedLock();

    /** Empty pipes for {@link #spliceRead}, one per reply in flight (handlers may run on virtual threads). */
    private final ConcurrentLinkedQueue<SplicePipe> pipes = new ConcurrentLinkedQueue<>();
    /** Set once a pipe cannot be made large enough: every later splice reply falls back to copying. */
    private volatile boolean spliceUnavailable;

    public DevFuseChannel(int fd) {
        this.fd = fd;
    }

    public int fd() {
        return fd;
    }

    @Override
    public int read(MemorySegment buffer) throws FuseException {
        while (true) {
            long n = Syscalls.readOrErrno(fd, buffer);
            if (n >= 0) {
                return (int) n;
            }
            int errno = (int) -n;
            switch (errno) {
                case Errno.EINTR, Errno.EAGAIN, Errno.ENOENT -> {
                    // interrupted, or the request vanished while being copied: read the next one
                }
                case Errno.ENODEV, Errno.ECONNABORTED, Errno.EBADF -> {
                    return CLOSED;
                }
                default -> throw new FuseException(errno, "read /dev/fuse: " + Errno.name(errno));
            }
        }
    }

    @Override
    public boolean write(MemorySegment header, MemorySegment payload) throws FuseException {
        long stamp = lifecycle.readLock();
        try {
            return !closed.get() && writeOpen(header, payload);
        } finally {
            lifecycle.unlockRead(stamp);
        }
    }

    /**
     * Every reply the session sends from a request's buffer: the iovec points into the buffer, so
     * no segment is made for the reply (a slice per reply was a steady allocation).
     */
    @Override
    public boolean writePrefix(MemorySegment buffer, long length) throws FuseException {
        if (!buffer.isNative()) {
            return write(buffer.asSlice(0, length), MemorySegment.NULL);
        }
        java.util.Objects.checkFromIndexSize(0, length, buffer.byteSize());
        long stamp = lifecycle.readLock();
        try {
            if (closed.get()) {
                return false;
            }
            MemorySegment iov = IOVECS.get();
            iov.set(JAVA_LONG, 0, buffer.address());
            iov.set(JAVA_LONG, ADDRESS.byteSize(), length);
            return written(Syscalls.writevOrErrno(fd, iov, 1), length);
        } finally {
            lifecycle.unlockRead(stamp);
        }
    }

    private boolean writeOpen(MemorySegment header, MemorySegment payload) throws FuseException {
        long expected = header.byteSize() + payload.byteSize();
        long n;
        if (payload.byteSize() == 0) {
            n = Syscalls.writeOrErrno(fd, header);
        } else {
            MemorySegment iov = IOVECS.get();
            long stride = Syscalls.IOVEC.byteSize();
            iov.set(ADDRESS, 0, header);
            iov.set(JAVA_LONG, ADDRESS.byteSize(), header.byteSize());
            iov.set(ADDRESS, stride, payload);
            iov.set(JAVA_LONG, stride + ADDRESS.byteSize(), payload.byteSize());
            n = Syscalls.writevOrErrno(fd, iov, 2);
        }
        return written(n, expected);
    }

    /** The outcome of a write of {@code expected} bytes that returned {@code n}: false if no one waits for it. */
    private static boolean written(long n, long expected) throws FuseException {
        if (n == expected) {
            return true;
        }
        if (n >= 0) {
            throw new FuseException(Errno.EIO, "short write to /dev/fuse: " + n + " of " + expected);
        }
        int errno = (int) -n;
        return switch (errno) {
            case Errno.ENOENT, Errno.ENODEV, Errno.ECONNABORTED, Errno.EBADF -> false;
            default -> throw new FuseException(errno, "write /dev/fuse: " + Errno.name(errno));
        };
    }

    /**
     * Answers READ {@code unique} with {@code length} bytes of file {@code source} from {@code offset},
     * moved through a pipe: the header is vmspliced from {@code buffer}, the data spliced from the
     * file (page references, no copy), and both spliced into /dev/fuse in one message. A short read
     * (end of file) brings the pipe's contents back into {@code buffer} and sends them with an
     * ordinary write. Returns the data bytes answered, or -1 if nothing was sent because splice is
     * not possible here (the caller then copies); a failure to read the file is thrown, unsent.
     *
     * @param buffer the request's buffer, at least {@code 16 + length} bytes
     */
    public long spliceRead(long unique, int source, long offset, int length, MemorySegment buffer)
            throws FuseException {
        if (spliceUnavailable) {
            return -1;
        }
        long stamp = lifecycle.readLock();
        try {
            if (closed.get()) {
                return length;
            }
            SplicePipe pipe = pipes.poll();
            if (pipe == null) {
                try {
                    pipe = SplicePipe.open();
                } catch (FuseException e) {
                    return -1; // no descriptor for a pipe now (EMFILE): copy this one
                }
                if (pipe == null) {
                    spliceUnavailable = true; // pipes cannot be made large enough: copy from now on
                    return -1;
                }
            }
            try {
                long sent = pipe.send(fd, unique, source, offset, length, buffer);
                return sent == SplicePipe.SHORT ? sendShort(pipe, unique, buffer) : sent;
            } finally {
                if (pipe.clean() && !closed.get()) {
                    pipes.offer(pipe);
                } else {
                    pipe.close();
                }
            }
        } finally {
            lifecycle.unlockRead(stamp);
        }
    }

    /** The file ended early: what the pipe holds (header and data) goes back into the buffer and out with write. */
    private long sendShort(SplicePipe pipe, long unique, MemorySegment buffer) throws FuseException {
        long held = pipe.drainInto(buffer);
        Structs.OutHeader.write(buffer, (int) held, 0, unique);
        writeOpen(buffer.asSlice(0, held), MemorySegment.NULL);
        return held - Structs.OutHeader.SIZE;
    }

    @Override
    public DevFuseChannel cloneChannel() throws FuseException {
        int clone = Syscalls.open(DEVICE, Syscalls.O_RDWR | Syscalls.O_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment source = arena.allocate(JAVA_INT);
            source.set(JAVA_INT, 0, fd);
            Syscalls.ioctl(clone, Structs.DevIoctl.CLONE, source);
            return new DevFuseChannel(clone);
        } catch (FuseException e) {
            Syscalls.close(clone);
            throw e;
        }
    }

    @Override
    public int openBacking(int backingFd) throws FuseException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment map = arena.allocate(Structs.BackingMap.LAYOUT);
            map.set(JAVA_INT, Structs.BackingMap.FD, backingFd);
            return withOpenDescriptor(() -> Syscalls.ioctl(fd, Structs.DevIoctl.BACKING_OPEN, map));
        } catch (FuseException e) {
            throw backingFailure("register descriptor " + backingFd + " as a backing file", e);
        }
    }

    @Override
    public void closeBacking(int backingId) throws FuseException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment id = arena.allocate(JAVA_INT);
            id.set(JAVA_INT, 0, backingId);
            withOpenDescriptor(() -> Syscalls.ioctl(fd, Structs.DevIoctl.BACKING_CLOSE, id));
        } catch (FuseException e) {
            throw backingFailure("close backing id " + backingId, e);
        }
    }

    private interface DescriptorCall {
        int run() throws FuseException;
    }

    /** Runs an ioctl on the descriptor unless it is closed, so it never reaches a reused number. */
    private int withOpenDescriptor(DescriptorCall call) throws FuseException {
        long stamp = lifecycle.readLock();
        try {
            if (closed.get()) {
                throw new FuseException(Errno.ENOTCONN, "the FUSE connection is closed");
            }
            return call.run();
        } finally {
            lifecycle.unlockRead(stamp);
        }
    }

    private static FuseException backingFailure(String what, FuseException e) {
        String why = switch (e.errno()) {
            case Errno.EPERM -> ": passthrough was not negotiated at INIT, or this process lacks CAP_SYS_ADMIN";
            case Errno.ELOOP -> ": the file is on a stacked filesystem (FUSE, overlayfs) deeper than the mount allows";
            case Errno.EOPNOTSUPP -> ": the file cannot be read and written (a directory?)";
            default -> "";
        };
        return new FuseException(e.errno(), "cannot " + what + " (" + Errno.name(e.errno()) + ")" + why, e);
    }

    /** Waits until a request can be read, so a session can give up on a kernel that never sends INIT. */
    public boolean awaitReadable(int timeoutMillis) throws FuseException {
        return Syscalls.pollReadable(fd, timeoutMillis);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            long stamp = lifecycle.writeLock();
            try {
                for (SplicePipe pipe; (pipe = pipes.poll()) != null; ) {
                    pipe.close();
                }
                Syscalls.close(fd);
            } catch (FuseException e) {
                System.getLogger(DevFuseChannel.class.getName())
                        .log(System.Logger.Level.DEBUG, "closing /dev/fuse descriptor " + fd, e);
            } finally {
                lifecycle.unlockWrite(stamp);
            }
        }
    }
}
