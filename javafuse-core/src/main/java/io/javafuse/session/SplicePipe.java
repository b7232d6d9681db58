package io.javafuse.session;

import io.javafuse.abi.Structs.OutHeader;
import io.javafuse.api.Errno;
import io.javafuse.api.FuseException;
import io.javafuse.sys.Syscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A pipe that carries one READ answer at a time from a file to /dev/fuse (see
 * {@link DevFuseChannel#spliceRead}). Between answers it is empty; one left in an unknown state is
 * closed, never reused.
 */
final class SplicePipe implements AutoCloseable {
    /** {@link #send}: the file ended early; the pipe holds the header and the bytes there were. */
    static final long SHORT = -2;
    /** {@link #send}: nothing sent, the pipe is empty again; the caller copies instead. */
    static final long NOT_SPLICED = -1;

    private static final int PAGE = 4096;
    /** Slots for a 1 MiB answer that starts mid-page (257 pages) and its header; the kernel rounds up to 512. */
    private static final int WANTED_SIZE = (1 << 20) + 2 * PAGE;
    /** What an unprivileged process may ask for by default (/proc/sys/fs/pipe-max-size). */
    private static final int FALLBACK_SIZE = 1 << 20;

    private final int readEnd;
    private final int writeEnd;
    /** Pipe buffers (pages) the pipe can hold. */
    private final long slots;
    /** The file offset splice reads from and advances, and one iovec for the header. */
    private final MemorySegment offset;
    private final MemorySegment iovec;
    private boolean clean = true;
    /** After {@link #SHORT}: the bytes in the pipe. */
    private long queued;

    private SplicePipe(int readEnd, int writeEnd, long slots) {
        this.readEnd = readEnd;
        this.writeEnd = writeEnd;
        this.slots = slots;
        Arena arena = Arena.ofAuto();
        this.offset = arena.allocate(JAVA_LONG);
        this.iovec = arena.allocate(Syscalls.IOVEC);
    }

    /** A new pipe of at least 1 MiB, or null if it cannot be made that large; throws if there is no pipe at all. */
    static SplicePipe open() throws FuseException {
        int readEnd;
        int writeEnd;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            Syscalls.pipe2(fds, Syscalls.O_CLOEXEC);
            readEnd = fds.getAtIndex(JAVA_INT, 0);
            writeEnd = fds.getAtIndex(JAVA_INT, 1);
        }
        int size = Syscalls.fcntlOrErrno(writeEnd, Syscalls.F_SETPIPE_SZ, WANTED_SIZE);
        if (size < 0) {
            size = Syscalls.fcntlOrErrno(writeEnd, Syscalls.F_SETPIPE_SZ, FALLBACK_SIZE);
        }
        if (size < 0) {
            closeQuietly(readEnd);
            closeQuietly(writeEnd);
            return null;
        }
        return new SplicePipe(readEnd, writeEnd, size / PAGE);
    }

    boolean clean() {
        return clean;
    }

    /**
     * Sends the answer if the file has all {@code length} bytes: returns {@code length}, or
     * {@link #SHORT}, or {@link #NOT_SPLICED}. A failure to read the file is thrown, with the pipe
     * marked unclean.
     */
    long send(int device, long unique, int source, long from, int length, MemorySegment buffer) throws FuseException {
        long spanned = (from % PAGE + length + PAGE - 1) / PAGE;
        if (1 + spanned > slots) {
            return NOT_SPLICED;
        }
        clean = false;
        OutHeader.write(buffer, OutHeader.SIZE + length, 0, unique);
        iovec.set(ADDRESS, 0, buffer);
        iovec.set(JAVA_LONG, ADDRESS.byteSize(), OutHeader.SIZE);
        long n = Syscalls.vmspliceOrErrno(writeEnd, iovec, 1, 0);
        if (n != OutHeader.SIZE) {
            return NOT_SPLICED; // unclean: closed by the caller
        }
        offset.set(JAVA_LONG, 0, from);
        long total = 0;
        while (total < length) {
            n = Syscalls.spliceOrErrno(source, offset, writeEnd, MemorySegment.NULL, length - total, 0);
            if (n == 0) {
                break;
            }
            if (n < 0) {
                int errno = (int) -n;
                if (errno == Errno.EINTR) {
                    continue;
                }
                if (total == 0 && (errno == Errno.EINVAL || errno == Errno.ENOSYS)) {
                    return NOT_SPLICED; // this file cannot be spliced from
                }
                throw new FuseException(errno, "splice from file: " + Errno.name(errno));
            }
            total += n;
        }
        if (total < length) {
            queued = OutHeader.SIZE + total;
            return SHORT;
        }
        long message = OutHeader.SIZE + length;
        n = Syscalls.spliceOrErrno(readEnd, MemorySegment.NULL, device, MemorySegment.NULL, message, 0);
        if (n == message) {
            clean = true;
            return length;
        }
        if (n >= 0) {
            throw new FuseException(Errno.EIO, "short splice to /dev/fuse: " + n + " of " + message);
        }
        int errno = (int) -n;
        return switch (errno) {
            case Errno.ENOENT, Errno.ENODEV, Errno.ECONNABORTED, Errno.EBADF -> length; // nobody waits any more
            default -> throw new FuseException(errno, "splice to /dev/fuse: " + Errno.name(errno));
        };
    }

    /** Reads everything the pipe holds into {@code buffer} after {@link #SHORT}; returns its length. */
    long drainInto(MemorySegment buffer) throws FuseException {
        long held = 0;
        while (held < queued) {
            long n = Syscalls.readOrErrno(readEnd, buffer.asSlice(held, queued - held));
            if (n > 0) {
                held += n;
            } else if (n != -Errno.EINTR) {
                throw new FuseException(Errno.EIO, "draining the splice pipe: " + (n == 0 ? "end" : Errno.name((int) -n)));
            }
        }
        clean = true;
        return held;
    }

    @Override
    public void close() {
        closeQuietly(readEnd);
        closeQuietly(writeEnd);
    }

    private static void closeQuietly(int fd) {
        try {
            Syscalls.close(fd);
        } catch (FuseException e) {
            // nothing to do: the descriptor is gone either way
        }
    }
}
