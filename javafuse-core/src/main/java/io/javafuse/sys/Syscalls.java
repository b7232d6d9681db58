package io.javafuse.sys;

import io.javafuse.api.Errno;
import io.javafuse.api.FuseException;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The Linux system calls javafuse needs, called through the C library with java.lang.foreign.
 * Each call captures errno and turns a failure into a {@link FuseException} carrying it, so the
 * error is never lost to a later call on the same thread.
 */
public final class Syscalls {
    private Syscalls() {}

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CLOEXEC = 02000000;
    public static final int MS_RDONLY = 1;
    public static final int MS_NOSUID = 2;
    public static final int MS_NODEV = 4;
    public static final int MS_NOEXEC = 8;
    public static final int MS_SYNCHRONOUS = 16;
    public static final int MS_DIRSYNC = 128;
    public static final int MS_NOATIME = 1024;
    public static final int MS_NODIRATIME = 2048;
    public static final int MS_RELATIME = 1 << 21;
    public static final int MS_STRICTATIME = 1 << 24;
    public static final int MS_LAZYTIME = 1 << 25;
    public static final int MNT_FORCE = 1;
    public static final int MNT_DETACH = 2;
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_CLOEXEC = O_CLOEXEC;
    public static final int F_SETFD = 2;
    public static final int FD_CLOEXEC = 1;
    public static final short POLLIN = 1;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int STATX_BASIC_STATS = 0x7ff;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    /** One errno capture area per thread, freed with the thread. */
    private static final ThreadLocal<MemorySegment> ERRNO_STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    // Each function is linked on its first call, by the class that holds its handle: linking a
    // downcall spins classes (about 8 ms each at startup), and a mount needs only a few of them.
    // The handles stay static finals, constants to the JIT, so a call costs what it did.
    private static final class Open {
        static final MethodHandle HANDLE = function("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(2));
    }
    private static final class Close {
        static final MethodHandle HANDLE = function("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }
    private static final class Read {
        static final MethodHandle HANDLE = function("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    }
    private static final class Write {
        static final MethodHandle HANDLE = function("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    }
    private static final class Writev {
        static final MethodHandle HANDLE = function("writev", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    }
    private static final class Ioctl {
        static final MethodHandle HANDLE = function("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
                Linker.Option.firstVariadicArg(2));
    }
    private static final class Fcntl {
        static final MethodHandle HANDLE = function("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(2));
    }
    private static final class Poll {
        static final MethodHandle HANDLE = function("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    }
    private static final class Mount {
        static final MethodHandle HANDLE = function("mount",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    }
    private static final class Umount2 {
        static final MethodHandle HANDLE = function("umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }
    private static final class Socketpair {
        static final MethodHandle HANDLE = function("socketpair",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    }
    private static final class Sendmsg {
        static final MethodHandle HANDLE = function("sendmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    }
    private static final class Recvmsg {
        static final MethodHandle HANDLE = function("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    }
    private static final class Statx {
        static final MethodHandle HANDLE = function("statx",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    }
    private static final class PosixSpawn {
        static final MethodHandle HANDLE = function("posix_spawn",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    }
    private static final class Waitpid {
        static final MethodHandle HANDLE = function("waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }
    private static final class Getuid {
        static final MethodHandle HANDLE = LINKER.downcallHandle(LIBC.findOrThrow("getuid"), FunctionDescriptor.of(JAVA_INT));
    }
    private static final class Getgid {
        static final MethodHandle HANDLE = LINKER.downcallHandle(LIBC.findOrThrow("getgid"), FunctionDescriptor.of(JAVA_INT));
    }
    private static final class Getpid {
        static final MethodHandle HANDLE = LINKER.downcallHandle(LIBC.findOrThrow("getpid"), FunctionDescriptor.of(JAVA_INT));
    }
    private static final class Pipe2 {
        static final MethodHandle HANDLE = function("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }
    private static final class Splice {
        static final MethodHandle HANDLE = function("splice",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    }
    private static final class Vmsplice {
        static final MethodHandle HANDLE = function("vmsplice",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    }

    /** {@code struct iovec}. */
    public static final StructLayout IOVEC = MemoryLayout.structLayout(ADDRESS.withName("iov_base"),
            JAVA_LONG.withName("iov_len"));
    private static final StructLayout MSGHDR = MemoryLayout.structLayout(ADDRESS.withName("msg_name"),
            JAVA_INT.withName("msg_namelen"), MemoryLayout.paddingLayout(4), ADDRESS.withName("msg_iov"),
            JAVA_LONG.withName("msg_iovlen"), ADDRESS.withName("msg_control"), JAVA_LONG.withName("msg_controllen"),
            JAVA_INT.withName("msg_flags"), MemoryLayout.paddingLayout(4));
    private static final StructLayout CMSGHDR = MemoryLayout.structLayout(JAVA_LONG.withName("cmsg_len"),
            JAVA_INT.withName("cmsg_level"), JAVA_INT.withName("cmsg_type"));
    /** CMSG_SPACE(sizeof(int)): the header, one int, padded to 8. */
    private static final long CMSG_SPACE_ONE_FD = CMSGHDR.byteSize() + 8;
    private static final StructLayout POLLFD = MemoryLayout.structLayout(JAVA_INT.withName("fd"),
            JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"));
    /** {@code struct statx} (256 bytes), the architecture-independent stat. */
    private static final StructLayout STATX_BUF = MemoryLayout.structLayout(JAVA_INT.withName("stx_mask"),
            JAVA_INT.withName("stx_blksize"), JAVA_LONG.withName("stx_attributes"), JAVA_INT.withName("stx_nlink"),
            JAVA_INT.withName("stx_uid"), JAVA_INT.withName("stx_gid"), JAVA_SHORT.withName("stx_mode"),
            MemoryLayout.paddingLayout(2), JAVA_LONG.withName("stx_ino"), JAVA_LONG.withName("stx_size"),
            JAVA_LONG.withName("stx_blocks"), JAVA_LONG.withName("stx_attributes_mask"),
            MemoryLayout.paddingLayout(64), JAVA_INT.withName("stx_rdev_major"), JAVA_INT.withName("stx_rdev_minor"),
            JAVA_INT.withName("stx_dev_major"), JAVA_INT.withName("stx_dev_minor"), MemoryLayout.paddingLayout(112));

    private static MethodHandle function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = CAPTURE_ERRNO;
        System.arraycopy(options, 0, all, 1, options.length);
        return LINKER.downcallHandle(LIBC.findOrThrow(name), descriptor, all);
    }

    private static MemorySegment errnoState() {
        return ERRNO_STATE.get();
    }

    private static int lastErrno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static FuseException failure(String call, MemorySegment state) {
        int errno = lastErrno(state);
        return new FuseException(errno, call + ": " + Errno.name(errno));
    }

    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    public static int open(String path, int flags) throws FuseException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = errnoState();
            int fd = (int) Open.HANDLE.invokeExact(state, arena.allocateFrom(path), flags, 0);
            if (fd < 0) {
                throw new FuseException(lastErrno(state), "open " + path + ": " + Errno.name(lastErrno(state)));
            }
            return fd;
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void close(int fd) throws FuseException {
        try {
            MemorySegment state = errnoState();
            if ((int) Close.HANDLE.invokeExact(state, fd) < 0) {
                throw failure("close", state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** read(2); returns the byte count, or minus the errno on failure (the reader loop decides what errors mean). */
    public static long readOrErrno(int fd, MemorySegment buffer) {
        try {
            MemorySegment state = errnoState();
            long n = (long) Read.HANDLE.invokeExact(state, fd, buffer, buffer.byteSize());
            return n >= 0 ? n : -lastErrno(state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** write(2) of a whole segment; returns the byte count, or minus the errno on failure. */
    public static long writeOrErrno(int fd, MemorySegment data) {
        try {
            MemorySegment state = errnoState();
            long n = (long) Write.HANDLE.invokeExact(state, fd, data, data.byteSize());
            return n >= 0 ? n : -lastErrno(state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** writev(2) of {@code count} iovecs; returns the byte count, or minus the errno on failure. */
    public static long writevOrErrno(int fd, MemorySegment iovecs, int count) {
        try {
            MemorySegment state = errnoState();
            long n = (long) Writev.HANDLE.invokeExact(state, fd, iovecs, count);
            return n >= 0 ? n : -lastErrno(state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static final int F_SETPIPE_SZ = 1031;
    public static final int SPLICE_F_MOVE = 1;
    public static final int SPLICE_F_NONBLOCK = 2;

    /** pipe2(2): fills {@code fds} (two ints) with the read and write ends. */
    public static void pipe2(MemorySegment fds, int flags) throws FuseException {
        try {
            MemorySegment state = errnoState();
            if ((int) Pipe2.HANDLE.invokeExact(state, fds, flags) < 0) {
                throw failure("pipe2", state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fcntl(2) with one int argument; returns the result, or minus the errno on failure. */
    public static int fcntlOrErrno(int fd, int command, int argument) {
        try {
            MemorySegment state = errnoState();
            int result = (int) Fcntl.HANDLE.invokeExact(state, fd, command, argument);
            return result >= 0 ? result : -lastErrno(state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * splice(2): moves up to {@code length} bytes between descriptors, one of which is a pipe.
     * {@code inOffset}/{@code outOffset} point at a 64-bit file offset, or are NULL. Returns the
     * byte count, or minus the errno on failure.
     */
    public static long spliceOrErrno(int in, MemorySegment inOffset, int out, MemorySegment outOffset, long length,
            int flags) {
        try {
            MemorySegment state = errnoState();
            long n = (long) Splice.HANDLE.invokeExact(state, in, inOffset, out, outOffset, length, flags);
            return n >= 0 ? n : -lastErrno(state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** vmsplice(2) of {@code count} iovecs into a pipe; returns the byte count, or minus the errno. */
    public static long vmspliceOrErrno(int pipe, MemorySegment iovecs, int count, int flags) {
        try {
            MemorySegment state = errnoState();
            long n = (long) Vmsplice.HANDLE.invokeExact(state, pipe, iovecs, (long) count, flags);
            return n >= 0 ? n : -lastErrno(state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int ioctl(int fd, long request, MemorySegment argument) throws FuseException {
        try {
            MemorySegment state = errnoState();
            int result = (int) Ioctl.HANDLE.invokeExact(state, fd, request, argument);
            if (result < 0) {
                throw failure("ioctl 0x" + Long.toHexString(request), state);
            }
            return result;
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void setCloseOnExec(int fd, boolean closeOnExec) throws FuseException {
        try {
            MemorySegment state = errnoState();
            if ((int) Fcntl.HANDLE.invokeExact(state, fd, F_SETFD, closeOnExec ? FD_CLOEXEC : 0) < 0) {
                throw failure("fcntl(F_SETFD)", state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Waits until {@code fd} is readable; returns false on timeout. */
    public static boolean pollReadable(int fd, int timeoutMillis) throws FuseException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfd = arena.allocate(POLLFD);
            pollfd.set(JAVA_INT, 0, fd);
            pollfd.set(JAVA_SHORT, 4, POLLIN);
            MemorySegment state = errnoState();
            int n = (int) Poll.HANDLE.invokeExact(state, pollfd, 1L, timeoutMillis);
            if (n < 0) {
                throw failure("poll", state);
            }
            return n > 0;
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void mount(String source, String target, String type, long flags, String data) throws FuseException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = errnoState();
            int result = (int) Mount.HANDLE.invokeExact(state, arena.allocateFrom(source), arena.allocateFrom(target),
                    arena.allocateFrom(type), flags, arena.allocateFrom(data));
            if (result < 0) {
                throw new FuseException(lastErrno(state), "mount " + target + ": " + Errno.name(lastErrno(state)));
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void umount2(String target, int flags) throws FuseException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = errnoState();
            if ((int) Umount2.HANDLE.invokeExact(state, arena.allocateFrom(target), flags) < 0) {
                throw new FuseException(lastErrno(state), "umount " + target + ": " + Errno.name(lastErrno(state)));
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** A connected pair of Unix stream sockets, both close-on-exec. */
    public static int[] socketpair() throws FuseException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            MemorySegment state = errnoState();
            if ((int) Socketpair.HANDLE.invokeExact(state, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
                throw failure("socketpair", state);
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Sends one byte with {@code fd} attached as SCM_RIGHTS. */
    public static void sendFd(int socket, int fd) throws FuseException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment msg = fdMessage(arena);
            MemorySegment control = msg.get(ADDRESS, MSGHDR.byteOffset(groupElement("msg_control")))
                    .reinterpret(CMSG_SPACE_ONE_FD);
            control.set(JAVA_LONG, 0, CMSGHDR.byteSize() + JAVA_INT.byteSize());
            control.set(JAVA_INT, 8, SOL_SOCKET);
            control.set(JAVA_INT, 12, SCM_RIGHTS);
            control.set(JAVA_INT, CMSGHDR.byteSize(), fd);
            MemorySegment state = errnoState();
            if ((long) Sendmsg.HANDLE.invokeExact(state, socket, msg, 0) < 0) {
                throw failure("sendmsg", state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Receives one byte with a descriptor attached as SCM_RIGHTS; returns the descriptor, or -1 if none came. */
    public static int receiveFd(int socket) throws FuseException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment msg = fdMessage(arena);
            MemorySegment state = errnoState();
            long n;
            do {
                n = (long) Recvmsg.HANDLE.invokeExact(state, socket, msg, O_CLOEXEC /* MSG_CMSG_CLOEXEC */);
            } while (n < 0 && lastErrno(state) == Errno.EINTR);
            if (n < 0) {
                throw failure("recvmsg", state);
            }
            long controlLength = msg.get(JAVA_LONG, MSGHDR.byteOffset(groupElement("msg_controllen")));
            if (n == 0 || controlLength < CMSGHDR.byteSize() + JAVA_INT.byteSize()) {
                return -1;
            }
            MemorySegment control = msg.get(ADDRESS, MSGHDR.byteOffset(groupElement("msg_control")))
                    .reinterpret(CMSG_SPACE_ONE_FD);
            if (control.get(JAVA_INT, 8) != SOL_SOCKET || control.get(JAVA_INT, 12) != SCM_RIGHTS) {
                return -1;
            }
            return control.get(JAVA_INT, CMSGHDR.byteSize());
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static MemorySegment fdMessage(Arena arena) {
        MemorySegment data = arena.allocate(1);
        MemorySegment iov = arena.allocate(IOVEC);
        iov.set(ADDRESS, 0, data);
        iov.set(JAVA_LONG, ADDRESS.byteSize(), 1L);
        MemorySegment control = arena.allocate(CMSG_SPACE_ONE_FD, 8);
        MemorySegment msg = arena.allocate(MSGHDR);
        msg.set(ADDRESS, MSGHDR.byteOffset(groupElement("msg_iov")), iov);
        msg.set(JAVA_LONG, MSGHDR.byteOffset(groupElement("msg_iovlen")), 1L);
        msg.set(ADDRESS, MSGHDR.byteOffset(groupElement("msg_control")), control);
        msg.set(JAVA_LONG, MSGHDR.byteOffset(groupElement("msg_controllen")), CMSG_SPACE_ONE_FD);
        return msg;
    }

    /** What javafuse needs of {@code stat(2)}. */
    public record FileStatus(int mode, int uid, int gid, long ino, long size, int devMajor, int devMinor) {}

    /** stat(2) without following a final symlink, through statx. */
    public static FileStatus stat(String path) throws FuseException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(STATX_BUF);
            MemorySegment state = errnoState();
            int result = (int) Statx.HANDLE.invokeExact(state, AT_FDCWD, arena.allocateFrom(path), AT_SYMLINK_NOFOLLOW,
                    STATX_BASIC_STATS, buf);
            if (result < 0) {
                throw new FuseException(lastErrno(state), "stat " + path + ": " + Errno.name(lastErrno(state)));
            }
            return new FileStatus(Short.toUnsignedInt(buf.get(JAVA_SHORT, offset("stx_mode"))),
                    buf.get(JAVA_INT, offset("stx_uid")), buf.get(JAVA_INT, offset("stx_gid")),
                    buf.get(JAVA_LONG, offset("stx_ino")), buf.get(JAVA_LONG, offset("stx_size")),
                    buf.get(JAVA_INT, offset("stx_dev_major")), buf.get(JAVA_INT, offset("stx_dev_minor")));
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static long offset(String field) {
        return STATX_BUF.byteOffset(groupElement(field));
    }

    /**
     * Starts a program with posix_spawn. Unlike {@link ProcessBuilder}, the child inherits every
     * descriptor not marked close-on-exec, which is how fusermount3 receives its socket.
     */
    public static int spawn(String program, String[] arguments, String[] environment) throws FuseException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pid = arena.allocate(JAVA_INT);
            int result = (int) PosixSpawn.HANDLE.invokeExact(errnoState(), pid, arena.allocateFrom(program),
                    MemorySegment.NULL, MemorySegment.NULL, stringArray(arena, arguments), stringArray(arena, environment));
            if (result != 0) {
                throw new FuseException(result, "cannot start " + program + ": " + Errno.name(result));
            }
            return pid.get(JAVA_INT, 0);
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static MemorySegment stringArray(Arena arena, String[] strings) {
        AddressLayout pointer = ADDRESS;
        MemorySegment array = arena.allocate(pointer, strings.length + 1L);
        for (int i = 0; i < strings.length; i++) {
            array.setAtIndex(pointer, i, arena.allocateFrom(strings[i]));
        }
        array.setAtIndex(pointer, strings.length, MemorySegment.NULL);
        return array;
    }

    /** Waits for a child; returns its exit status, or 128 + signal if a signal ended it. */
    public static int waitFor(int pid) throws FuseException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(JAVA_INT);
            MemorySegment state = errnoState();
            int result;
            do {
                result = (int) Waitpid.HANDLE.invokeExact(state, pid, status, 0);
            } while (result < 0 && lastErrno(state) == Errno.EINTR);
            if (result < 0) {
                throw failure("waitpid", state);
            }
            int raw = status.get(JAVA_INT, 0);
            int signal = raw & 0x7f;
            return signal == 0 ? (raw >> 8) & 0xff : 128 + signal;
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int getuid() {
        try {
            return (int) Getuid.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int getgid() {
        try {
            return (int) Getgid.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int getpid() {
        try {
            return (int) Getpid.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
