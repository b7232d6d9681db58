package io.javafuse.sys;

import io.javafuse.api.Attr;
import io.javafuse.api.Errno;
import io.javafuse.api.FuseException;
import io.javafuse.api.Names;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The file system calls a filesystem that mirrors a directory needs: the {@code *at()} family on
 * descriptors (including {@code O_PATH} ones), positional I/O straight into and out of memory
 * segments, locks, extended attributes, directory listing with {@code getdents64}, and the
 * per-thread identity calls ({@code setfsuid}, {@code setfsgid}, capabilities, {@code unshare}).
 *
 * <p>Like {@link Syscalls}, each call captures errno and turns a failure into a
 * {@link FuseException} carrying it. Every struct the kernel fills or reads is a
 * {@link MemoryLayout} here, and offsets are taken from the layouts, never written by hand.
 * The layouts are those of 64-bit Linux (x86_64 and aarch64 agree on all of them); the few
 * {@code open(2)} flags that differ between the two are chosen by architecture.
 */
public final class FileSyscalls {
    private FileSyscalls() {}

    private static final boolean AARCH64 = System.getProperty("os.arch", "").equals("aarch64");

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_ACCMODE = 3;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_NOCTTY = 0400;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_DIRECTORY = AARCH64 ? 040000 : 0200000;
    public static final int O_NOFOLLOW = AARCH64 ? 0100000 : 0400000;
    public static final int O_DIRECT = AARCH64 ? 0200000 : 040000;
    public static final int O_NOATIME = 01000000;
    public static final int O_CLOEXEC = 02000000;
    public static final int O_PATH = 010000000;
    public static final int O_TMPFILE = 020000000 | O_DIRECTORY;

    public static final int AT_FDCWD = -100;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_REMOVEDIR = 0x200;
    public static final int AT_SYMLINK_FOLLOW = 0x400;
    public static final int AT_EMPTY_PATH = 0x1000;

    /** {@code utimensat}: a nanosecond value meaning "now" or "leave unchanged". */
    public static final long UTIME_NOW = (1L << 30) - 1;
    public static final long UTIME_OMIT = (1L << 30) - 2;

    public static final int SEEK_SET = 0;
    public static final int SEEK_DATA = 3;
    public static final int SEEK_HOLE = 4;

    public static final int F_OFD_GETLK = 36;
    public static final int F_OFD_SETLK = 37;
    public static final int F_RDLCK = 0;
    public static final int F_WRLCK = 1;
    public static final int F_UNLCK = 2;

    public static final int LOCK_SH = 1;
    public static final int LOCK_EX = 2;
    public static final int LOCK_NB = 4;
    public static final int LOCK_UN = 8;

    public static final int STATX_BASIC_STATS = 0x7ff;
    public static final int STATX_BTIME = 0x800;

    public static final int CLONE_FS = 0x200;
    public static final int CAP_DAC_OVERRIDE = 1;
    public static final int CAP_DAC_READ_SEARCH = 2;
    private static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    private static final int PATH_MAX = 4096;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    // ---- struct layouts

    /** {@code struct statx_timestamp}. */
    private static final StructLayout STATX_TIMESTAMP = MemoryLayout.structLayout(JAVA_LONG.withName("tv_sec"),
            JAVA_INT.withName("tv_nsec"), JAVA_INT.withName("__reserved"));

    /** {@code struct statx} (256 bytes), the same on every architecture. */
    public static final StructLayout STATX = MemoryLayout.structLayout(
            JAVA_INT.withName("stx_mask"), JAVA_INT.withName("stx_blksize"), JAVA_LONG.withName("stx_attributes"),
            JAVA_INT.withName("stx_nlink"), JAVA_INT.withName("stx_uid"), JAVA_INT.withName("stx_gid"),
            JAVA_SHORT.withName("stx_mode"), JAVA_SHORT.withName("__spare0"), JAVA_LONG.withName("stx_ino"),
            JAVA_LONG.withName("stx_size"), JAVA_LONG.withName("stx_blocks"), JAVA_LONG.withName("stx_attributes_mask"),
            STATX_TIMESTAMP.withName("stx_atime"), STATX_TIMESTAMP.withName("stx_btime"),
            STATX_TIMESTAMP.withName("stx_ctime"), STATX_TIMESTAMP.withName("stx_mtime"),
            JAVA_INT.withName("stx_rdev_major"), JAVA_INT.withName("stx_rdev_minor"),
            JAVA_INT.withName("stx_dev_major"), JAVA_INT.withName("stx_dev_minor"),
            JAVA_LONG.withName("stx_mnt_id"), MemoryLayout.paddingLayout(104));

    /** {@code struct flock} of 64-bit Linux. */
    public static final StructLayout FLOCK = MemoryLayout.structLayout(JAVA_SHORT.withName("l_type"),
            JAVA_SHORT.withName("l_whence"), MemoryLayout.paddingLayout(4), JAVA_LONG.withName("l_start"),
            JAVA_LONG.withName("l_len"), JAVA_INT.withName("l_pid"), MemoryLayout.paddingLayout(4));

    /** The fixed head of {@code struct linux_dirent64}; the NUL-terminated name follows it. */
    public static final StructLayout LINUX_DIRENT64 = MemoryLayout.structLayout(JAVA_LONG.withName("d_ino"),
            JAVA_LONG.withName("d_off"), JAVA_SHORT.withName("d_reclen"), JAVA_BYTE.withName("d_type"));

    /** glibc's {@code struct statvfs} of 64-bit Linux. */
    public static final StructLayout STATVFS = MemoryLayout.structLayout(JAVA_LONG.withName("f_bsize"),
            JAVA_LONG.withName("f_frsize"), JAVA_LONG.withName("f_blocks"), JAVA_LONG.withName("f_bfree"),
            JAVA_LONG.withName("f_bavail"), JAVA_LONG.withName("f_files"), JAVA_LONG.withName("f_ffree"),
            JAVA_LONG.withName("f_favail"), JAVA_LONG.withName("f_fsid"), JAVA_LONG.withName("f_flag"),
            JAVA_LONG.withName("f_namemax"), MemoryLayout.sequenceLayout(6, JAVA_INT).withName("__f_spare"));

    /** {@code struct timespec}. */
    public static final StructLayout TIMESPEC = MemoryLayout.structLayout(JAVA_LONG.withName("tv_sec"),
            JAVA_LONG.withName("tv_nsec"));

    /** {@code struct __user_cap_header_struct}. */
    private static final StructLayout CAP_HEADER = MemoryLayout.structLayout(JAVA_INT.withName("version"),
            JAVA_INT.withName("pid"));

    /** {@code struct __user_cap_data_struct}; version 3 passes two of them (capabilities 0-31, 32-63). */
    private static final StructLayout CAP_DATA = MemoryLayout.structLayout(JAVA_INT.withName("effective"),
            JAVA_INT.withName("permitted"), JAVA_INT.withName("inheritable"));

    private static final long STX_MASK = offset(STATX, "stx_mask");
    private static final long STX_BLKSIZE = offset(STATX, "stx_blksize");
    private static final long STX_NLINK = offset(STATX, "stx_nlink");
    private static final long STX_UID = offset(STATX, "stx_uid");
    private static final long STX_GID = offset(STATX, "stx_gid");
    private static final long STX_MODE = offset(STATX, "stx_mode");
    private static final long STX_INO = offset(STATX, "stx_ino");
    private static final long STX_SIZE = offset(STATX, "stx_size");
    private static final long STX_BLOCKS = offset(STATX, "stx_blocks");
    private static final long STX_ATIME = offset(STATX, "stx_atime");
    private static final long STX_BTIME = offset(STATX, "stx_btime");
    private static final long STX_CTIME = offset(STATX, "stx_ctime");
    private static final long STX_MTIME = offset(STATX, "stx_mtime");
    private static final long STX_RDEV_MAJOR = offset(STATX, "stx_rdev_major");
    private static final long STX_RDEV_MINOR = offset(STATX, "stx_rdev_minor");
    private static final long STX_DEV_MAJOR = offset(STATX, "stx_dev_major");
    private static final long STX_DEV_MINOR = offset(STATX, "stx_dev_minor");
    private static final long TS_SEC = offset(STATX_TIMESTAMP, "tv_sec");
    private static final long TS_NSEC = offset(STATX_TIMESTAMP, "tv_nsec");

    private static final long L_TYPE = offset(FLOCK, "l_type");
    private static final long L_WHENCE = offset(FLOCK, "l_whence");
    private static final long L_START = offset(FLOCK, "l_start");
    private static final long L_LEN = offset(FLOCK, "l_len");
    private static final long L_PID = offset(FLOCK, "l_pid");

    private static final long D_INO = offset(LINUX_DIRENT64, "d_ino");
    private static final long D_OFF = offset(LINUX_DIRENT64, "d_off");
    private static final long D_RECLEN = offset(LINUX_DIRENT64, "d_reclen");
    private static final long D_TYPE = offset(LINUX_DIRENT64, "d_type");
    /** The name starts right after d_type (offset 19), not at the padded size of the head. */
    private static final long D_NAME = D_TYPE + 1;

    private static final long IOV_BASE = offset(Syscalls.IOVEC, "iov_base");
    private static final long IOV_LEN = offset(Syscalls.IOVEC, "iov_len");

    private static final long TIMESPEC_SEC = offset(TIMESPEC, "tv_sec");
    private static final long TIMESPEC_NSEC = offset(TIMESPEC, "tv_nsec");

    // ---- functions

    // Each function is linked on its first call, by the class that holds its handle: linking a
    // downcall spins classes (about 8 ms each at startup), and a mount needs only a few of them.
    // The handles stay static finals, constants to the JIT, so a call costs what it did.
    private static final class Openat {
        static final MethodHandle HANDLE = function("openat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(3));
    }
    private static final class Dup {
        static final MethodHandle HANDLE = function("dup", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }
    private static final class StatxCall {
        static final MethodHandle HANDLE = function("statx",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    }
    private static final class Mkdirat {
        static final MethodHandle HANDLE = function("mkdirat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }
    private static final class Mknodat {
        static final MethodHandle HANDLE = function("mknodat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    }
    private static final class Symlinkat {
        static final MethodHandle HANDLE = function("symlinkat",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
    }
    private static final class Readlinkat {
        static final MethodHandle HANDLE = function("readlinkat",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    }
    private static final class Renameat2 {
        static final MethodHandle HANDLE = function("renameat2",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    }
    private static final class Linkat {
        static final MethodHandle HANDLE = function("linkat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    }
    private static final class Unlinkat {
        static final MethodHandle HANDLE = function("unlinkat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }
    private static final class Fchmodat {
        static final MethodHandle HANDLE = function("fchmodat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    }
    private static final class Fchownat {
        static final MethodHandle HANDLE = function("fchownat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
    }
    private static final class Utimensat {
        static final MethodHandle HANDLE = function("utimensat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    }
    private static final class Pread {
        static final MethodHandle HANDLE = function("pread",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    }
    private static final class Pwrite {
        static final MethodHandle HANDLE = function("pwrite",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    }
    private static final class Pwritev {
        static final MethodHandle HANDLE = function("pwritev",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    }
    private static final class Ftruncate {
        static final MethodHandle HANDLE = function("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    }
    private static final class Truncate {
        static final MethodHandle HANDLE = function("truncate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    }
    private static final class Fsync {
        static final MethodHandle HANDLE = function("fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }
    private static final class Fdatasync {
        static final MethodHandle HANDLE = function("fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }
    private static final class Fallocate {
        static final MethodHandle HANDLE = function("fallocate",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    }
    private static final class Lseek {
        static final MethodHandle HANDLE = function("lseek", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    }
    private static final class CopyFileRange {
        static final MethodHandle HANDLE = function("copy_file_range",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    }
    private static final class Fstatvfs {
        static final MethodHandle HANDLE = function("fstatvfs", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    }
    private static final class Getxattr {
        static final MethodHandle HANDLE = function("getxattr",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    }
    private static final class Setxattr {
        static final MethodHandle HANDLE = function("setxattr",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
    }
    private static final class Listxattr {
        static final MethodHandle HANDLE = function("listxattr",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
    }
    private static final class Removexattr {
        static final MethodHandle HANDLE = function("removexattr", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }
    private static final class FlockCall {
        static final MethodHandle HANDLE = function("flock", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }
    private static final class FcntlPointer {
        static final MethodHandle HANDLE = function("fcntl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), Linker.Option.firstVariadicArg(2));
    }
    private static final class Getdents64 {
        static final MethodHandle HANDLE = function("getdents64",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    }
    private static final class Setfsuid {
        static final MethodHandle HANDLE = function("setfsuid", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }
    private static final class Setfsgid {
        static final MethodHandle HANDLE = function("setfsgid", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }
    private static final class Capget {
        static final MethodHandle HANDLE = function("capget", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }
    private static final class Capset {
        static final MethodHandle HANDLE = function("capset", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }
    private static final class Unshare {
        static final MethodHandle HANDLE = function("unshare", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }
    private static final class Umask {
        static final MethodHandle HANDLE = LINKER.downcallHandle(LIBC.findOrThrow("umask"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }
    private static final class Geteuid {
        static final MethodHandle HANDLE = LINKER.downcallHandle(LIBC.findOrThrow("geteuid"),
                FunctionDescriptor.of(JAVA_INT));
    }

    private static MethodHandle function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = CAPTURE_ERRNO;
        System.arraycopy(options, 0, all, 1, options.length);
        return LINKER.downcallHandle(LIBC.findOrThrow(name), descriptor, all);
    }

    private static long offset(GroupLayout layout, String field) {
        return layout.byteOffset(groupElement(field));
    }

    /**
     * Native memory for the arguments and answers of one call at a time: the errno capture area,
     * two C strings and one struct. One per thread, kept for the thread's life (its automatic
     * arena frees it once the thread is gone), so that no call allocates memory to pass a name or
     * receive a struct. The threads that call here live long: readers, the dispatcher's workers
     * (virtual ones too: a fixed set of them, each with its own map of thread locals), and the
     * passthrough's creator threads. A thread local costs one lookup in the thread's own map, no
     * more on a virtual thread than on a platform one, and the errno area needed it anyway; a
     * shared pool would cost a take and a give-back around every call instead.
     *
     * <p>Lifetime: a call fills a part, makes its system call and copies what it keeps into Java
     * objects before it returns, and no call here calls another that uses scratch memory while its
     * own is in use; what the caller gets never points into it. A string or struct too large for
     * its part (never a name the kernel sends) gets memory of its own.
     */
    private static final class Scratch {
        final MemorySegment callState;
        final MemorySegment firstString;
        final MemorySegment secondString;
        final MemorySegment struct;
        /** pwritev's iovec array, made on the first pwritev of the thread (IOV_MAX of them take 16 KiB). */
        MemorySegment iovecs;

        Scratch() {
            Arena arena = Arena.ofAuto();
            callState = arena.allocate(CALL_STATE);
            firstString = arena.allocate(STRING_CAPACITY);
            secondString = arena.allocate(STRING_CAPACITY);
            struct = arena.allocate(STRUCT_CAPACITY, 8);
        }

        MemorySegment iovecs() {
            if (iovecs == null) {
                iovecs = Arena.ofAuto().allocate(Syscalls.IOVEC, IOV_MAX);
            }
            return iovecs;
        }
    }

    /** A path of PATH_MAX bytes with its NUL: longer ones fail with ENAMETOOLONG anyway. */
    private static final int STRING_CAPACITY = PATH_MAX + 1;
    /**
     * The largest struct passed through scratch memory, struct statx (256 bytes); statvfs, flock,
     * two timespecs, the capability header and data, and small xattr values fit as well.
     */
    private static final long STRUCT_CAPACITY = STATX.byteSize();

    private static Scratch scratch() {
        return SCRATCH.get();
    }

    private static MemorySegment errnoState() {
        return SCRATCH.get().callState;
    }

    private static int lastErrno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static FuseException failure(String call, MemorySegment state) {
        int errno = lastErrno(state);
        return new FuseException(errno, call + ": " + Errno.name(errno));
    }

    private static FuseException failure(String call, String path, MemorySegment state) {
        int errno = lastErrno(state);
        return new FuseException(errno, call + " " + path + ": " + Errno.name(errno));
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

    /**
     * {@code s} as a native C string in {@code slot}: a name as the API carries it ({@link Names}:
     * bytes that are not UTF-8 come back as they were); the empty string is a valid argument (for
     * AT_EMPTY_PATH). ASCII, which most names are, is written straight in; others are encoded
     * first. A string that does not fit gets memory of its own, freed by the garbage collector.
     */
    private static MemorySegment cString(MemorySegment slot, String s) {
        int length = s.length();
        if (length >= slot.byteSize()) {
            return encoded(slot, s);
        }
        for (int i = 0; i < length; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                return encoded(slot, s);
            }
            slot.set(JAVA_BYTE, i, (byte) c);
        }
        slot.set(JAVA_BYTE, length, (byte) 0);
        return slot;
    }

    private static MemorySegment encoded(MemorySegment slot, String s) {
        byte[] bytes = Names.encode(s);
        MemorySegment c = bytes.length < slot.byteSize() ? slot : Arena.ofAuto().allocate(bytes.length + 1L);
        MemorySegment.copy(bytes, 0, c, JAVA_BYTE, 0, bytes.length);
        c.set(JAVA_BYTE, bytes.length, (byte) 0);
        return c;
    }

    private static final byte[] PROC_FD = "/proc/self/fd/".getBytes(StandardCharsets.US_ASCII);

    /** {@link #procPath} as a C string in {@code slot}, with no String made on the way. */
    private static MemorySegment procPath(MemorySegment slot, int fd) {
        if (fd < 0) {
            return cString(slot, procPath(fd));
        }
        MemorySegment.copy(PROC_FD, 0, slot, JAVA_BYTE, 0, PROC_FD.length);
        int digits = 1;
        for (int rest = fd / 10; rest > 0; rest /= 10) {
            digits++;
        }
        int end = PROC_FD.length + digits;
        slot.set(JAVA_BYTE, end, (byte) 0);
        int at = end;
        int rest = fd;
        do {
            slot.set(JAVA_BYTE, --at, (byte) ('0' + rest % 10));
            rest /= 10;
        } while (rest > 0);
        return slot;
    }

    // ---- descriptors and names

    /**
     * The failure of {@link #openForLookup} for a name that does not exist, as every lookup of an
     * absent name (and so every creation: the kernel looks the name up first) ends: one shared
     * instance, safe to share for the reasons {@link #NO_SUCH_ATTRIBUTE} is. Standing for every
     * name, it names none.
     */
    private static final FuseException NO_SUCH_ENTRY =
            new FuseException(Errno.ENOENT, "lookup: " + Errno.name(Errno.ENOENT), null);

    /** openat(2); {@code mode} is used only with O_CREAT or O_TMPFILE. */
    public static int openat(int dirfd, String path, int flags, int mode) throws FuseException {
        return openat(dirfd, path, flags, mode, false);
    }

    /**
     * openat(2) of one name in a directory to look it up (no O_CREAT): ENOENT, the usual failure,
     * is {@link #NO_SUCH_ENTRY}, made once.
     */
    public static int openForLookup(int dirfd, String name, int flags) throws FuseException {
        return openat(dirfd, name, flags, 0, true);
    }

    private static int openat(int dirfd, String path, int flags, int mode, boolean lookup) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment state = scratch.callState;
            int fd = (int) Openat.HANDLE.invokeExact(state, dirfd, cString(scratch.firstString, path), flags, mode);
            if (fd < 0) {
                throw lookup && lastErrno(state) == Errno.ENOENT ? NO_SUCH_ENTRY : failure("openat", path, state);
            }
            return fd;
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * Opens the inode {@code fd} (an O_PATH descriptor) refers to anew, wherever it now is,
     * through its {@link #procPath}: openat(AT_FDCWD, "/proc/self/fd/N", flags).
     */
    public static int reopen(int fd, int flags) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment state = scratch.callState;
            int opened = (int) Openat.HANDLE.invokeExact(state, AT_FDCWD, procPath(scratch.firstString, fd), flags,
                    0);
            if (opened < 0) {
                throw failure("openat", procPath(fd), state);
            }
            return opened;
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int dup(int fd) throws FuseException {
        try {
            MemorySegment state = errnoState();
            int copy = (int) Dup.HANDLE.invokeExact(state, fd);
            if (copy < 0) {
                throw failure("dup", state);
            }
            return copy;
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void close(int fd) throws FuseException {
        Syscalls.close(fd);
    }

    /** Closes {@code fd}, ignoring errors: for clean-up paths where the descriptor is gone either way. */
    public static void closeQuietly(int fd) {
        try {
            Syscalls.close(fd);
        } catch (FuseException ignored) {
            // close(2) releases the descriptor even when it reports an error
        }
    }

    /** The {@code /proc/self/fd} path of a descriptor, by which an O_PATH descriptor can be reopened or named. */
    public static String procPath(int fd) {
        return "/proc/self/fd/" + fd;
    }

    /**
     * What {@code statx(2)} reports: the attributes as the API carries them, with the device
     * number of a device node encoded as FUSE carries it (the kernel's new_encode_dev), the
     * device the inode is on ({@code dev} combines its major and minor numbers) and the birth
     * time, null where the filesystem keeps none.
     */
    public record Stat(long dev, Attr attr, Instant btime) {
        public long ino() {
            return attr.ino();
        }

        public int mode() {
            return attr.mode();
        }
    }

    /** statx(2) of {@code path} relative to {@code dirfd}; with AT_EMPTY_PATH and "" of {@code dirfd} itself. */
    public static Stat statx(int dirfd, String path, int flags) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment buf = scratch.struct;
            MemorySegment state = scratch.callState;
            int result = (int) StatxCall.HANDLE.invokeExact(state, dirfd, cString(scratch.firstString, path), flags,
                    STATX_BASIC_STATS | STATX_BTIME, buf);
            if (result < 0) {
                throw failure("statx", path, state);
            }
            int mask = buf.get(JAVA_INT, STX_MASK);
            Instant atime = timestamp(buf, STX_ATIME, null);
            Instant mtime = timestamp(buf, STX_MTIME, atime);
            Instant ctime = timestamp(buf, STX_CTIME, mtime);
            int rdevMajor = buf.get(JAVA_INT, STX_RDEV_MAJOR);
            int rdevMinor = buf.get(JAVA_INT, STX_RDEV_MINOR);
            int rdev = (rdevMinor & 0xff) | (rdevMajor << 8) | ((rdevMinor & ~0xff) << 12);
            Attr attr = new Attr(buf.get(JAVA_LONG, STX_INO), Short.toUnsignedInt(buf.get(JAVA_SHORT, STX_MODE)),
                    buf.get(JAVA_INT, STX_NLINK), buf.get(JAVA_INT, STX_UID), buf.get(JAVA_INT, STX_GID), rdev,
                    buf.get(JAVA_LONG, STX_SIZE), buf.get(JAVA_LONG, STX_BLOCKS), buf.get(JAVA_INT, STX_BLKSIZE),
                    atime, mtime, ctime);
            long dev = ((long) buf.get(JAVA_INT, STX_DEV_MAJOR) << 32) | Integer.toUnsignedLong(buf.get(JAVA_INT, STX_DEV_MINOR));
            return new Stat(dev, attr, (mask & STATX_BTIME) != 0 ? timestamp(buf, STX_BTIME, ctime) : null);
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * The timestamp at {@code at}, or {@code same} if that is the same instant: an inode's times
     * are often equal (all four of a file never changed since it was made; mtime and ctime after
     * a write), and an Instant, immutable, can stand for several.
     */
    private static Instant timestamp(MemorySegment buf, long at, Instant same) {
        long seconds = buf.get(JAVA_LONG, at + TS_SEC);
        long nanos = Integer.toUnsignedLong(buf.get(JAVA_INT, at + TS_NSEC));
        if (same != null && same.getEpochSecond() == seconds && same.getNano() == nanos) {
            return same;
        }
        return Instant.ofEpochSecond(seconds, nanos);
    }

    public static void mkdirat(int dirfd, String name, int mode) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment state = scratch.callState;
            if ((int) Mkdirat.HANDLE.invokeExact(state, dirfd, cString(scratch.firstString, name), mode) < 0) {
                throw failure("mkdirat", name, state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** mknodat(2); {@code device} is a {@code dev_t} as glibc's makedev builds it. */
    public static void mknodat(int dirfd, String name, int mode, long device) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment state = scratch.callState;
            if ((int) Mknodat.HANDLE.invokeExact(state, dirfd, cString(scratch.firstString, name), mode, device) < 0) {
                throw failure("mknodat", name, state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** glibc's makedev: major and minor numbers into a 64-bit {@code dev_t}. */
    public static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
                | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    public static void symlinkat(String target, int dirfd, String name) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment state = scratch.callState;
            if ((int) Symlinkat.HANDLE.invokeExact(state, cString(scratch.firstString, target), dirfd,
                    cString(scratch.secondString, name)) < 0) {
                throw failure("symlinkat", name, state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** readlinkat(2) as raw bytes; with "" it reads the symlink an O_PATH descriptor refers to. */
    public static byte[] readlinkat(int dirfd, String path) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment buf = scratch.secondString;
            MemorySegment state = scratch.callState;
            long n = (long) Readlinkat.HANDLE.invokeExact(state, dirfd, cString(scratch.firstString, path), buf,
                    (long) PATH_MAX);
            if (n < 0) {
                throw failure("readlinkat", path, state);
            }
            return buf.asSlice(0, n).toArray(JAVA_BYTE);
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** renameat2(2) with RENAME_NOREPLACE (1), RENAME_EXCHANGE (2) or RENAME_WHITEOUT (4). */
    public static void renameat2(int olddirfd, String oldName, int newdirfd, String newName, int flags)
            throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment state = scratch.callState;
            if ((int) Renameat2.HANDLE.invokeExact(state, olddirfd, cString(scratch.firstString, oldName), newdirfd,
                    cString(scratch.secondString, newName), flags) < 0) {
                throw failure("renameat2", oldName, state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void linkat(int olddirfd, String oldPath, int newdirfd, String newName, int flags) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment state = scratch.callState;
            if ((int) Linkat.HANDLE.invokeExact(state, olddirfd, cString(scratch.firstString, oldPath), newdirfd,
                    cString(scratch.secondString, newName), flags) < 0) {
                throw failure("linkat", newName, state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** unlinkat(2); AT_REMOVEDIR makes it rmdir. */
    public static void unlinkat(int dirfd, String name, int flags) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment state = scratch.callState;
            if ((int) Unlinkat.HANDLE.invokeExact(state, dirfd, cString(scratch.firstString, name), flags) < 0) {
                throw failure("unlinkat", name, state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fchmodat(2); glibc's follows the path (flags 0), so an O_PATH descriptor is named by its {@link #procPath}. */
    public static void fchmodat(int dirfd, String path, int mode, int flags) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment state = scratch.callState;
            if ((int) Fchmodat.HANDLE.invokeExact(state, dirfd, cString(scratch.firstString, path), mode, flags) < 0) {
                throw failure("fchmodat", path, state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fchownat(2); -1 leaves the owner or group unchanged. */
    public static void fchownat(int dirfd, String path, int uid, int gid, int flags) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment state = scratch.callState;
            if ((int) Fchownat.HANDLE.invokeExact(state, dirfd, cString(scratch.firstString, path), uid, gid,
                    flags) < 0) {
                throw failure("fchownat", path, state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * utimensat(2). Each time is seconds and nanoseconds; a nanosecond value of {@link #UTIME_NOW}
     * or {@link #UTIME_OMIT} means now or unchanged. With AT_EMPTY_PATH and "" it changes the node
     * an O_PATH descriptor refers to, symbolic links included.
     */
    public static void utimensat(int dirfd, String path, long atimeSeconds, long atimeNanos, long mtimeSeconds,
                                 long mtimeNanos, int flags) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment times = scratch.struct;
            times.set(JAVA_LONG, TIMESPEC_SEC, atimeSeconds);
            times.set(JAVA_LONG, TIMESPEC_NSEC, atimeNanos);
            times.set(JAVA_LONG, TIMESPEC.byteSize() + TIMESPEC_SEC, mtimeSeconds);
            times.set(JAVA_LONG, TIMESPEC.byteSize() + TIMESPEC_NSEC, mtimeNanos);
            MemorySegment state = scratch.callState;
            if ((int) Utimensat.HANDLE.invokeExact(state, dirfd, cString(scratch.firstString, path), times,
                    flags) < 0) {
                throw failure("utimensat", path, state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---- data

    /**
     * pread(2) into {@code destination} (once: the count may be short). A native segment is read
     * into directly; a heap segment goes through a native buffer.
     */
    public static long pread(int fd, MemorySegment destination, long offset) throws FuseException {
        if (!destination.isNative()) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = arena.allocate(Math.max(1, destination.byteSize()));
                long n = pread(fd, buffer.asSlice(0, destination.byteSize()), offset);
                MemorySegment.copy(buffer, 0, destination, 0, n);
                return n;
            }
        }
        try {
            MemorySegment state = errnoState();
            long n = (long) Pread.HANDLE.invokeExact(state, fd, destination, destination.byteSize(), offset);
            if (n < 0) {
                throw failure("pread", state);
            }
            return n;
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** pwrite(2) of {@code data} (once: the count may be short); heap segments go through a native buffer. */
    public static long pwrite(int fd, MemorySegment data, long offset) throws FuseException {
        if (!data.isNative()) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = arena.allocate(Math.max(1, data.byteSize()));
                MemorySegment.copy(data, 0, buffer, 0, data.byteSize());
                return pwrite(fd, buffer.asSlice(0, data.byteSize()), offset);
            }
        }
        try {
            MemorySegment state = errnoState();
            long n = (long) Pwrite.HANDLE.invokeExact(state, fd, data, data.byteSize(), offset);
            if (n < 0) {
                throw failure("pwrite", state);
            }
            return n;
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** The most pieces one {@link #pwritev} takes (IOV_MAX). */
    public static final int IOV_MAX = 1024;

    /**
     * pwritev(2) of up to {@link #IOV_MAX} pieces, contiguous in the file from {@code offset}
     * (once: the count may be short). Native pieces are written from where they are.
     */
    public static long pwritev(int fd, List<MemorySegment> pieces, long offset) throws FuseException {
        if (pieces.size() > IOV_MAX) {
            throw new IllegalArgumentException("pwritev of " + pieces.size() + " pieces; at most " + IOV_MAX);
        }
        for (int i = 0; i < pieces.size(); i++) {
            if (!pieces.get(i).isNative()) {
                return pwritevCopied(fd, pieces, offset);
            }
        }
        try {
            Scratch scratch = scratch();
            MemorySegment iovecs = scratch.iovecs();
            for (int i = 0; i < pieces.size(); i++) {
                MemorySegment piece = pieces.get(i);
                long at = i * Syscalls.IOVEC.byteSize();
                iovecs.set(ADDRESS, at + IOV_BASE, piece);
                iovecs.set(JAVA_LONG, at + IOV_LEN, piece.byteSize());
            }
            MemorySegment state = scratch.callState;
            long n = (long) Pwritev.HANDLE.invokeExact(state, fd, iovecs, pieces.size(), offset);
            if (n < 0) {
                throw failure("pwritev", state);
            }
            return n;
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@link #pwritev} of pieces some of which are on the heap: those go through native copies. */
    private static long pwritevCopied(int fd, List<MemorySegment> pieces, long offset) throws FuseException {
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> copies = new ArrayList<>(pieces.size());
            for (MemorySegment piece : pieces) {
                if (piece.isNative()) {
                    copies.add(piece);
                } else {
                    MemorySegment copy = arena.allocate(Math.max(1, piece.byteSize())).asSlice(0, piece.byteSize());
                    MemorySegment.copy(piece, 0, copy, 0, piece.byteSize());
                    copies.add(copy);
                }
            }
            return pwritev(fd, copies, offset);
        }
    }

    public static void ftruncate(int fd, long length) throws FuseException {
        try {
            MemorySegment state = errnoState();
            if ((int) Ftruncate.HANDLE.invokeExact(state, fd, length) < 0) {
                throw failure("ftruncate", state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void truncate(String path, long length) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment state = scratch.callState;
            if ((int) Truncate.HANDLE.invokeExact(state, cString(scratch.firstString, path), length) < 0) {
                throw failure("truncate", path, state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fsync(2), or fdatasync(2) when only the data (and what is needed to read it back) must reach the disk. */
    public static void fsync(int fd, boolean dataOnly) throws FuseException {
        try {
            MemorySegment state = errnoState();
            int result = dataOnly ? (int) Fdatasync.HANDLE.invokeExact(state, fd) : (int) Fsync.HANDLE.invokeExact(state, fd);
            if (result < 0) {
                throw failure(dataOnly ? "fdatasync" : "fsync", state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void fallocate(int fd, int mode, long offset, long length) throws FuseException {
        try {
            MemorySegment state = errnoState();
            if ((int) Fallocate.HANDLE.invokeExact(state, fd, mode, offset, length) < 0) {
                throw failure("fallocate", state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static long lseek(int fd, long offset, int whence) throws FuseException {
        try {
            MemorySegment state = errnoState();
            long result = (long) Lseek.HANDLE.invokeExact(state, fd, offset, whence);
            if (result < 0) {
                throw failure("lseek", state);
            }
            return result;
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** copy_file_range(2) at explicit offsets (the descriptors' positions are not used); returns the bytes copied. */
    public static long copyFileRange(int fdIn, long offsetIn, int fdOut, long offsetOut, long length, int flags)
            throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment in = scratch.struct.asSlice(0, JAVA_LONG);
            MemorySegment out = scratch.struct.asSlice(JAVA_LONG.byteSize(), JAVA_LONG);
            in.set(JAVA_LONG, 0, offsetIn);
            out.set(JAVA_LONG, 0, offsetOut);
            MemorySegment state = scratch.callState;
            long n = (long) CopyFileRange.HANDLE.invokeExact(state, fdIn, in, fdOut, out, length, flags);
            if (n < 0) {
                throw failure("copy_file_range", state);
            }
            return n;
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** What {@code statvfs(3)} reports. */
    public record StatVfs(long blockSize, long fragmentSize, long blocks, long blocksFree, long blocksAvailable,
                          long files, long filesFree, long nameMax) {}

    /** fstatvfs(3); works on O_PATH descriptors. */
    public static StatVfs fstatvfs(int fd) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment buf = scratch.struct;
            MemorySegment state = scratch.callState;
            if ((int) Fstatvfs.HANDLE.invokeExact(state, fd, buf) < 0) {
                throw failure("fstatvfs", state);
            }
            return new StatVfs(buf.get(JAVA_LONG, offset(STATVFS, "f_bsize")), buf.get(JAVA_LONG, offset(STATVFS, "f_frsize")),
                    buf.get(JAVA_LONG, offset(STATVFS, "f_blocks")), buf.get(JAVA_LONG, offset(STATVFS, "f_bfree")),
                    buf.get(JAVA_LONG, offset(STATVFS, "f_bavail")), buf.get(JAVA_LONG, offset(STATVFS, "f_files")),
                    buf.get(JAVA_LONG, offset(STATVFS, "f_ffree")), buf.get(JAVA_LONG, offset(STATVFS, "f_namemax")));
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---- extended attributes, of the inode a descriptor names, through its /proc/self/fd path:
    // O_PATH descriptors take no f*xattr calls, and the path works for symbolic links too

    /**
     * The failure of getxattr for an attribute the inode does not have, which the kernel asks
     * about before every write (security.capability) and most inodes answer: one shared instance.
     * Sharing it is safe: it has no stack trace to fill in, its cause is set (to none) so that
     * initCause fails, and the engine only reads its errno (and its message, for a log); nothing
     * in javafuse adds suppressed exceptions to a handler's failure. Standing for every
     * attribute, it names none.
     */
    private static final FuseException NO_SUCH_ATTRIBUTE =
            new FuseException(Errno.ENODATA, "getxattr: " + Errno.name(Errno.ENODATA), null);

    /** getxattr(2) of the whole value, however long it is. */
    public static byte[] getxattr(int fd, String name) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment cPath = procPath(scratch.firstString, fd);
            MemorySegment cName = cString(scratch.secondString, name);
            MemorySegment state = scratch.callState;
            while (true) {
                long size = (long) Getxattr.HANDLE.invokeExact(state, cPath, cName, MemorySegment.NULL, 0L);
                if (size < 0) {
                    throw lastErrno(state) == Errno.ENODATA ? NO_SUCH_ATTRIBUTE : failure("getxattr", name, state);
                }
                // Most values fit the struct part; a larger one gets memory of its own.
                if (size <= scratch.struct.byteSize()) {
                    long n = (long) Getxattr.HANDLE.invokeExact(state, cPath, cName, scratch.struct, size);
                    if (n >= 0) {
                        return scratch.struct.asSlice(0, n).toArray(JAVA_BYTE);
                    }
                } else {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment value = arena.allocate(size);
                        long n = (long) Getxattr.HANDLE.invokeExact(state, cPath, cName, value, size);
                        if (n >= 0) {
                            return value.asSlice(0, n).toArray(JAVA_BYTE);
                        }
                    }
                }
                if (lastErrno(state) != Errno.ERANGE) {
                    throw failure("getxattr", name, state);
                }
                // it grew between the two calls: ask again
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** setxattr(2) with XATTR_CREATE (1) or XATTR_REPLACE (2) or 0. */
    public static void setxattr(int fd, String name, MemorySegment value, int flags) throws FuseException {
        if (!value.isNative()) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment copy = arena.allocate(Math.max(1, value.byteSize())).asSlice(0, value.byteSize());
                MemorySegment.copy(value, 0, copy, 0, value.byteSize());
                setxattr(fd, name, copy, flags);
                return;
            }
        }
        try {
            Scratch scratch = scratch();
            MemorySegment state = scratch.callState;
            if ((int) Setxattr.HANDLE.invokeExact(state, procPath(scratch.firstString, fd),
                    cString(scratch.secondString, name), value, value.byteSize(), flags) < 0) {
                throw failure("setxattr", name, state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** listxattr(2): the names, in the order the filesystem keeps them. */
    public static List<String> listxattr(int fd) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment cPath = procPath(scratch.firstString, fd);
            MemorySegment state = scratch.callState;
            while (true) {
                long size = (long) Listxattr.HANDLE.invokeExact(state, cPath, MemorySegment.NULL, 0L);
                if (size < 0) {
                    throw failure("listxattr", procPath(fd), state);
                }
                if (size <= scratch.secondString.byteSize()) {
                    long n = (long) Listxattr.HANDLE.invokeExact(state, cPath, scratch.secondString, size);
                    if (n >= 0) {
                        return nulSeparated(scratch.secondString.asSlice(0, n).toArray(JAVA_BYTE));
                    }
                } else {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment list = arena.allocate(size);
                        long n = (long) Listxattr.HANDLE.invokeExact(state, cPath, list, size);
                        if (n >= 0) {
                            return nulSeparated(list.asSlice(0, n).toArray(JAVA_BYTE));
                        }
                    }
                }
                if (lastErrno(state) != Errno.ERANGE) {
                    throw failure("listxattr", procPath(fd), state);
                }
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static List<String> nulSeparated(byte[] bytes) {
        List<String> names = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                if (i > start) {
                    names.add(Names.decode(java.util.Arrays.copyOfRange(bytes, start, i)));
                }
                start = i + 1;
            }
        }
        return names;
    }

    public static void removexattr(int fd, String name) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment state = scratch.callState;
            if ((int) Removexattr.HANDLE.invokeExact(state, procPath(scratch.firstString, fd),
                    cString(scratch.secondString, name)) < 0) {
                throw failure("removexattr", name, state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---- locks

    /** flock(2); with LOCK_NB a conflict is {@link Errno#EAGAIN} (EWOULDBLOCK). */
    public static void flock(int fd, int operation) throws FuseException {
        try {
            MemorySegment state = errnoState();
            if ((int) FlockCall.HANDLE.invokeExact(state, fd, operation) < 0) {
                throw failure("flock", state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * A record lock as {@code struct flock} holds it (always from the start of the file).
     *
     * @param length 0 for "to the end of the file"
     * @param pid    the holder's process id in a F_GETLK answer; -1 for an open file description lock
     */
    public record RecordLock(int type, long start, long length, int pid) {}

    /**
     * fcntl(2) with a {@code struct flock}: F_OFD_GETLK answers the first conflicting lock (or one
     * of type F_UNLCK), F_OFD_SETLK takes or releases one and fails with EAGAIN on a conflict.
     */
    public static RecordLock fcntlLock(int fd, int command, RecordLock lock) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment flock = scratch.struct;
            flock.set(JAVA_SHORT, L_TYPE, (short) lock.type());
            flock.set(JAVA_SHORT, L_WHENCE, (short) SEEK_SET);
            flock.set(JAVA_LONG, L_START, lock.start());
            flock.set(JAVA_LONG, L_LEN, lock.length());
            flock.set(JAVA_INT, L_PID, 0);
            MemorySegment state = scratch.callState;
            if ((int) FcntlPointer.HANDLE.invokeExact(state, fd, command, flock) < 0) {
                throw failure("fcntl(" + command + ")", state);
            }
            return new RecordLock(flock.get(JAVA_SHORT, L_TYPE), flock.get(JAVA_LONG, L_START),
                    flock.get(JAVA_LONG, L_LEN), flock.get(JAVA_INT, L_PID));
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---- directories

    /** getdents64(2) into {@code buffer} (native); returns the bytes filled, 0 at the end of the directory. */
    public static long getdents64(int fd, MemorySegment buffer) throws FuseException {
        try {
            MemorySegment state = errnoState();
            long n = (long) Getdents64.HANDLE.invokeExact(state, fd, buffer, buffer.byteSize());
            if (n < 0) {
                throw failure("getdents64", state);
            }
            return n;
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * Reads the {@code linux_dirent64} records of a buffer {@link #getdents64} filled, one at a
     * time and without copying them: a directory listing of thousands of names then allocates
     * nothing per name unless it wants a {@code String}. What it returns is valid until it moves
     * to another record or the buffer is filled again.
     */
    public static final class DirentReader {
        private final MemorySegment buffer;
        private long at;
        private int recordLength;
        private int nameLength;

        public DirentReader(MemorySegment buffer) {
            this.buffer = buffer;
        }

        /** Moves to the record that starts at {@code at}. */
        public void moveTo(long at) {
            this.at = at;
            recordLength = Short.toUnsignedInt(buffer.get(JAVA_SHORT, at + D_RECLEN));
            long nameStart = at + D_NAME;
            long nameEnd = nameStart;
            long limit = at + recordLength;
            while (nameEnd < limit && buffer.get(JAVA_BYTE, nameEnd) != 0) {
                nameEnd++;
            }
            nameLength = (int) (nameEnd - nameStart);
        }

        public long ino() {
            return buffer.get(JAVA_LONG, at + D_INO);
        }

        /** The cookie that continues the listing after this entry. */
        public long nextOffset() {
            return buffer.get(JAVA_LONG, at + D_OFF);
        }

        /** The {@code DT_*} type. */
        public int type() {
            return Byte.toUnsignedInt(buffer.get(JAVA_BYTE, at + D_TYPE));
        }

        public int recordLength() {
            return recordLength;
        }

        /** The name's bytes, in place. */
        public MemorySegment name() {
            return buffer.asSlice(at + D_NAME, nameLength);
        }

        /** The name as the API carries it (see {@link Names}). */
        public String nameString() {
            return Names.decode(name().toArray(JAVA_BYTE));
        }
    }

    // ---- the calling thread's identity

    /**
     * setfsuid(2): the user id the calling thread's file accesses and creations use (glibc's
     * wrapper is the bare system call, so it changes this thread only). Returns the previous one;
     * {@code setfsuid(-1)} changes nothing and tells the current one.
     */
    public static int setfsuid(int uid) {
        try {
            return (int) Setfsuid.HANDLE.invokeExact(errnoState(), uid);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** setfsgid(2), for the calling thread only; see {@link #setfsuid}. */
    public static int setfsgid(int gid) {
        try {
            return (int) Setfsgid.HANDLE.invokeExact(errnoState(), gid);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** The calling thread's capability sets, as 64-bit masks (bit n is capability n). */
    public record Capabilities(long effective, long permitted, long inheritable) {
        public boolean hasEffective(int capability) {
            return (effective & (1L << capability)) != 0;
        }

        public Capabilities withEffective(long mask) {
            return new Capabilities(mask, permitted, inheritable);
        }
    }

    public static Capabilities capget() throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment header = capHeader(scratch.struct);
            MemorySegment data = capData(scratch.struct);
            MemorySegment state = scratch.callState;
            if ((int) Capget.HANDLE.invokeExact(state, header, data) < 0) {
                throw failure("capget", state);
            }
            return new Capabilities(capWord(data, "effective"), capWord(data, "permitted"), capWord(data, "inheritable"));
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** capset(2) of the calling thread only (the bare system call). */
    public static void capset(Capabilities capabilities) throws FuseException {
        try {
            Scratch scratch = scratch();
            MemorySegment header = capHeader(scratch.struct);
            MemorySegment data = capData(scratch.struct);
            setCapWord(data, "effective", capabilities.effective());
            setCapWord(data, "permitted", capabilities.permitted());
            setCapWord(data, "inheritable", capabilities.inheritable());
            MemorySegment state = scratch.callState;
            if ((int) Capset.HANDLE.invokeExact(state, header, data) < 0) {
                throw failure("capset", state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** The capability header at the start of {@code struct}, and the two data structs after it. */
    private static MemorySegment capHeader(MemorySegment struct) {
        MemorySegment header = struct.asSlice(0, CAP_HEADER);
        header.set(JAVA_INT, offset(CAP_HEADER, "version"), LINUX_CAPABILITY_VERSION_3);
        header.set(JAVA_INT, offset(CAP_HEADER, "pid"), 0);
        return header;
    }

    private static MemorySegment capData(MemorySegment struct) {
        return struct.asSlice(CAP_HEADER.byteSize(), CAP_DATA.byteSize() * 2, CAP_DATA.byteAlignment());
    }

    private static long capWord(MemorySegment data, String field) {
        long at = offset(CAP_DATA, field);
        return Integer.toUnsignedLong(data.get(JAVA_INT, at))
                | Integer.toUnsignedLong(data.get(JAVA_INT, CAP_DATA.byteSize() + at)) << 32;
    }

    private static void setCapWord(MemorySegment data, String field, long value) {
        long at = offset(CAP_DATA, field);
        data.set(JAVA_INT, at, (int) value);
        data.set(JAVA_INT, CAP_DATA.byteSize() + at, (int) (value >>> 32));
    }

    /** unshare(2); with {@link #CLONE_FS} the calling thread gets its own umask, root and working directory. */
    public static void unshare(int flags) throws FuseException {
        try {
            MemorySegment state = errnoState();
            if ((int) Unshare.HANDLE.invokeExact(state, flags) < 0) {
                throw failure("unshare", state);
            }
        } catch (FuseException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** umask(2); returns the previous mask. */
    public static int umask(int mask) {
        try {
            return (int) Umask.HANDLE.invokeExact(mask);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int geteuid() {
        try {
            return (int) Geteuid.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
