package io.javafuse.abi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The structs of the FUSE protocol at minor {@value #MINOR}, as memory layouts. This is the one
 * place that knows byte offsets: every offset constant is read off its layout, and every layout's
 * size is checked against the header's when the class loads.
 */
public final class Structs {
    private Structs() {}

    public static final int MAJOR = 7;
    public static final int MINOR = 45;
    public static final long ROOT_ID = 1;
    /** The smallest read buffer the kernel accepts for /dev/fuse. */
    public static final int MIN_READ_BUFFER = 8192;
    /** Set in a request's unique when the kernel resends a request after a {@code RESEND} notification. */
    public static final long UNIQUE_RESEND = 1L << 63;
    /** The padding of directory records and of structs. */
    public static final int ALIGN = 8;

    private static final ValueLayout.OfInt U32 = JAVA_INT;
    private static final ValueLayout.OfLong U64 = JAVA_LONG;
    private static final ValueLayout.OfShort U16 = JAVA_SHORT;
    private static final ValueLayout.OfInt U32_UNALIGNED = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64_UNALIGNED = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfShort U16_UNALIGNED = ValueLayout.JAVA_SHORT_UNALIGNED;

    // ---- reading and writing fields; requests are parsed at the offsets below

    public static int u32(MemorySegment s, long offset) {
        return s.get(U32_UNALIGNED, offset);
    }

    public static long u64(MemorySegment s, long offset) {
        return s.get(U64_UNALIGNED, offset);
    }

    public static int u16(MemorySegment s, long offset) {
        return Short.toUnsignedInt(s.get(U16_UNALIGNED, offset));
    }

    public static void u32(MemorySegment s, long offset, int value) {
        s.set(U32_UNALIGNED, offset, value);
    }

    public static void u64(MemorySegment s, long offset, long value) {
        s.set(U64_UNALIGNED, offset, value);
    }

    public static void u16(MemorySegment s, long offset, int value) {
        s.set(U16_UNALIGNED, offset, (short) value);
    }

    /** Rounds a record length up to the 8-byte alignment the protocol pads to. */
    public static long align(long length) {
        return (length + ALIGN - 1) & -ALIGN;
    }

    private static StructLayout struct(String name, int expectedSize, MemoryLayout... fields) {
        StructLayout layout = MemoryLayout.structLayout(fields).withName(name);
        if (layout.byteSize() != expectedSize) {
            throw new AssertionError(name + " is " + layout.byteSize() + " bytes, the header says " + expectedSize);
        }
        return layout;
    }

    private static long offset(StructLayout layout, String field) {
        return layout.byteOffset(groupElement(field));
    }

    private static MemoryLayout pad(int bytes) {
        return MemoryLayout.paddingLayout(bytes);
    }

    public static final class InHeader {
        public static final StructLayout LAYOUT = struct("fuse_in_header", 40, U32.withName("len"),
                U32.withName("opcode"), U64.withName("unique"), U64.withName("nodeid"), U32.withName("uid"),
                U32.withName("gid"), U32.withName("pid"), U16.withName("total_extlen"), U16.withName("padding"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long LEN = offset(LAYOUT, "len");
        public static final long OPCODE = offset(LAYOUT, "opcode");
        public static final long UNIQUE = offset(LAYOUT, "unique");
        public static final long NODEID = offset(LAYOUT, "nodeid");
        public static final long UID = offset(LAYOUT, "uid");
        public static final long GID = offset(LAYOUT, "gid");
        public static final long PID = offset(LAYOUT, "pid");
        public static final long TOTAL_EXTLEN = offset(LAYOUT, "total_extlen");
    }

    public static final class OutHeader {
        public static final StructLayout LAYOUT = struct("fuse_out_header", 16, U32.withName("len"),
                U32.withName("error"), U64.withName("unique"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long LEN = offset(LAYOUT, "len");
        public static final long ERROR = offset(LAYOUT, "error");
        public static final long UNIQUE = offset(LAYOUT, "unique");

        /** Writes a header; {@code error} is 0 or a positive errno (sent negated). */
        public static void write(MemorySegment s, int length, int errno, long unique) {
            u32(s, LEN, length);
            u32(s, ERROR, -errno);
            u64(s, UNIQUE, unique);
        }
    }

    public static final class InitIn {
        public static final StructLayout LAYOUT = struct("fuse_init_in", 64, U32.withName("major"),
                U32.withName("minor"), U32.withName("max_readahead"), U32.withName("flags"), U32.withName("flags2"),
                MemoryLayout.sequenceLayout(11, U32).withName("unused"));
        public static final long MAJOR = offset(LAYOUT, "major");
        public static final long MINOR = offset(LAYOUT, "minor");
        public static final long MAX_READAHEAD = offset(LAYOUT, "max_readahead");
        public static final long FLAGS = offset(LAYOUT, "flags");
        public static final long FLAGS2 = offset(LAYOUT, "flags2");
    }

    public static final class InitOut {
        public static final StructLayout LAYOUT = struct("fuse_init_out", 64, U32.withName("major"),
                U32.withName("minor"), U32.withName("max_readahead"), U32.withName("flags"),
                U16.withName("max_background"), U16.withName("congestion_threshold"), U32.withName("max_write"),
                U32.withName("time_gran"), U16.withName("max_pages"), U16.withName("map_alignment"),
                U32.withName("flags2"), U32.withName("max_stack_depth"), U16.withName("request_timeout"),
                MemoryLayout.sequenceLayout(11, U16).withName("unused"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        /** Kernels before minor 5 read 8 bytes, before minor 23 read 24. */
        public static final int COMPAT_SIZE = 8;
        public static final int COMPAT_22_SIZE = 24;
        public static final long MAJOR = offset(LAYOUT, "major");
        public static final long MINOR = offset(LAYOUT, "minor");
        public static final long MAX_READAHEAD = offset(LAYOUT, "max_readahead");
        public static final long FLAGS = offset(LAYOUT, "flags");
        public static final long MAX_BACKGROUND = offset(LAYOUT, "max_background");
        public static final long CONGESTION_THRESHOLD = offset(LAYOUT, "congestion_threshold");
        public static final long MAX_WRITE = offset(LAYOUT, "max_write");
        public static final long TIME_GRAN = offset(LAYOUT, "time_gran");
        public static final long MAX_PAGES = offset(LAYOUT, "max_pages");
        public static final long FLAGS2 = offset(LAYOUT, "flags2");
        public static final long MAX_STACK_DEPTH = offset(LAYOUT, "max_stack_depth");
    }

    public static final class Attr {
        public static final StructLayout LAYOUT = struct("fuse_attr", 88, U64.withName("ino"), U64.withName("size"),
                U64.withName("blocks"), U64.withName("atime"), U64.withName("mtime"), U64.withName("ctime"),
                U32.withName("atimensec"), U32.withName("mtimensec"), U32.withName("ctimensec"), U32.withName("mode"),
                U32.withName("nlink"), U32.withName("uid"), U32.withName("gid"), U32.withName("rdev"),
                U32.withName("blksize"), U32.withName("flags"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long INO = offset(LAYOUT, "ino");
        public static final long SIZE_ = offset(LAYOUT, "size");
        public static final long BLOCKS = offset(LAYOUT, "blocks");
        public static final long ATIME = offset(LAYOUT, "atime");
        public static final long MTIME = offset(LAYOUT, "mtime");
        public static final long CTIME = offset(LAYOUT, "ctime");
        public static final long ATIMENSEC = offset(LAYOUT, "atimensec");
        public static final long MTIMENSEC = offset(LAYOUT, "mtimensec");
        public static final long CTIMENSEC = offset(LAYOUT, "ctimensec");
        public static final long MODE = offset(LAYOUT, "mode");
        public static final long NLINK = offset(LAYOUT, "nlink");
        public static final long UID = offset(LAYOUT, "uid");
        public static final long GID = offset(LAYOUT, "gid");
        public static final long RDEV = offset(LAYOUT, "rdev");
        public static final long BLKSIZE = offset(LAYOUT, "blksize");
        public static final long FLAGS = offset(LAYOUT, "flags");
    }

    public static final class EntryOut {
        public static final StructLayout LAYOUT = struct("fuse_entry_out", 128, U64.withName("nodeid"),
                U64.withName("generation"), U64.withName("entry_valid"), U64.withName("attr_valid"),
                U32.withName("entry_valid_nsec"), U32.withName("attr_valid_nsec"), Attr.LAYOUT.withName("attr"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long NODEID = offset(LAYOUT, "nodeid");
        public static final long GENERATION = offset(LAYOUT, "generation");
        public static final long ENTRY_VALID = offset(LAYOUT, "entry_valid");
        public static final long ATTR_VALID = offset(LAYOUT, "attr_valid");
        public static final long ENTRY_VALID_NSEC = offset(LAYOUT, "entry_valid_nsec");
        public static final long ATTR_VALID_NSEC = offset(LAYOUT, "attr_valid_nsec");
        public static final long ATTR = offset(LAYOUT, "attr");
    }

    public static final class AttrOut {
        public static final StructLayout LAYOUT = struct("fuse_attr_out", 104, U64.withName("attr_valid"),
                U32.withName("attr_valid_nsec"), U32.withName("dummy"), Attr.LAYOUT.withName("attr"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long ATTR_VALID = offset(LAYOUT, "attr_valid");
        public static final long ATTR_VALID_NSEC = offset(LAYOUT, "attr_valid_nsec");
        public static final long ATTR = offset(LAYOUT, "attr");
    }

    public static final class GetattrIn {
        public static final StructLayout LAYOUT = struct("fuse_getattr_in", 16, U32.withName("getattr_flags"),
                U32.withName("dummy"), U64.withName("fh"));
        public static final long GETATTR_FLAGS = offset(LAYOUT, "getattr_flags");
        public static final long FH = offset(LAYOUT, "fh");
        public static final int GETATTR_FH = 1;
    }

    public static final class SetattrIn {
        public static final StructLayout LAYOUT = struct("fuse_setattr_in", 88, U32.withName("valid"),
                U32.withName("padding"), U64.withName("fh"), U64.withName("size"), U64.withName("lock_owner"),
                U64.withName("atime"), U64.withName("mtime"), U64.withName("ctime"), U32.withName("atimensec"),
                U32.withName("mtimensec"), U32.withName("ctimensec"), U32.withName("mode"), U32.withName("unused4"),
                U32.withName("uid"), U32.withName("gid"), U32.withName("unused5"));
        public static final long VALID = offset(LAYOUT, "valid");
        public static final long FH = offset(LAYOUT, "fh");
        public static final long SIZE_ = offset(LAYOUT, "size");
        public static final long ATIME = offset(LAYOUT, "atime");
        public static final long MTIME = offset(LAYOUT, "mtime");
        public static final long CTIME = offset(LAYOUT, "ctime");
        public static final long ATIMENSEC = offset(LAYOUT, "atimensec");
        public static final long MTIMENSEC = offset(LAYOUT, "mtimensec");
        public static final long CTIMENSEC = offset(LAYOUT, "ctimensec");
        public static final long MODE = offset(LAYOUT, "mode");
        public static final long UID = offset(LAYOUT, "uid");
        public static final long GID = offset(LAYOUT, "gid");
        public static final int FATTR_MODE = 1;
        public static final int FATTR_UID = 1 << 1;
        public static final int FATTR_GID = 1 << 2;
        public static final int FATTR_SIZE = 1 << 3;
        public static final int FATTR_ATIME = 1 << 4;
        public static final int FATTR_MTIME = 1 << 5;
        public static final int FATTR_FH = 1 << 6;
        public static final int FATTR_ATIME_NOW = 1 << 7;
        public static final int FATTR_MTIME_NOW = 1 << 8;
        public static final int FATTR_LOCKOWNER = 1 << 9;
        public static final int FATTR_CTIME = 1 << 10;
        public static final int FATTR_KILL_SUIDGID = 1 << 11;
    }

    public static final class MknodIn {
        public static final StructLayout LAYOUT = struct("fuse_mknod_in", 16, U32.withName("mode"),
                U32.withName("rdev"), U32.withName("umask"), U32.withName("padding"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long MODE = offset(LAYOUT, "mode");
        public static final long RDEV = offset(LAYOUT, "rdev");
        public static final long UMASK = offset(LAYOUT, "umask");
    }

    public static final class MkdirIn {
        public static final StructLayout LAYOUT = struct("fuse_mkdir_in", 8, U32.withName("mode"),
                U32.withName("umask"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long MODE = offset(LAYOUT, "mode");
        public static final long UMASK = offset(LAYOUT, "umask");
    }

    public static final class RenameIn {
        public static final StructLayout LAYOUT = struct("fuse_rename_in", 8, U64.withName("newdir"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long NEWDIR = offset(LAYOUT, "newdir");
    }

    public static final class Rename2In {
        public static final StructLayout LAYOUT = struct("fuse_rename2_in", 16, U64.withName("newdir"),
                U32.withName("flags"), U32.withName("padding"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long NEWDIR = offset(LAYOUT, "newdir");
        public static final long FLAGS = offset(LAYOUT, "flags");
    }

    public static final class LinkIn {
        public static final StructLayout LAYOUT = struct("fuse_link_in", 8, U64.withName("oldnodeid"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long OLDNODEID = offset(LAYOUT, "oldnodeid");
    }

    public static final class OpenIn {
        public static final StructLayout LAYOUT = struct("fuse_open_in", 8, U32.withName("flags"),
                U32.withName("open_flags"));
        public static final long FLAGS = offset(LAYOUT, "flags");
    }

    public static final class CreateIn {
        public static final StructLayout LAYOUT = struct("fuse_create_in", 16, U32.withName("flags"),
                U32.withName("mode"), U32.withName("umask"), U32.withName("open_flags"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long FLAGS = offset(LAYOUT, "flags");
        public static final long MODE = offset(LAYOUT, "mode");
        public static final long UMASK = offset(LAYOUT, "umask");
    }

    public static final class OpenOut {
        public static final StructLayout LAYOUT = struct("fuse_open_out", 16, U64.withName("fh"),
                U32.withName("open_flags"), U32.withName("backing_id"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long FH = offset(LAYOUT, "fh");
        public static final long OPEN_FLAGS = offset(LAYOUT, "open_flags");
        public static final long BACKING_ID = offset(LAYOUT, "backing_id");
    }

    public static final class ReleaseIn {
        public static final StructLayout LAYOUT = struct("fuse_release_in", 24, U64.withName("fh"),
                U32.withName("flags"), U32.withName("release_flags"), U64.withName("lock_owner"));
        public static final long FH = offset(LAYOUT, "fh");
        public static final long FLAGS = offset(LAYOUT, "flags");
    }

    public static final class FlushIn {
        public static final StructLayout LAYOUT = struct("fuse_flush_in", 24, U64.withName("fh"),
                U32.withName("unused"), U32.withName("padding"), U64.withName("lock_owner"));
        public static final long FH = offset(LAYOUT, "fh");
        public static final long LOCK_OWNER = offset(LAYOUT, "lock_owner");
    }

    /** fuse_read_in and fuse_write_in share one shape. */
    public static final class ReadIn {
        public static final StructLayout LAYOUT = struct("fuse_read_in", 40, U64.withName("fh"),
                U64.withName("offset"), U32.withName("size"), U32.withName("read_flags"), U64.withName("lock_owner"),
                U32.withName("flags"), U32.withName("padding"));
        public static final long FH = offset(LAYOUT, "fh");
        public static final long OFFSET = offset(LAYOUT, "offset");
        public static final long SIZE_ = offset(LAYOUT, "size");
    }

    public static final class WriteIn {
        public static final StructLayout LAYOUT = struct("fuse_write_in", 40, U64.withName("fh"),
                U64.withName("offset"), U32.withName("size"), U32.withName("write_flags"), U64.withName("lock_owner"),
                U32.withName("flags"), U32.withName("padding"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long FH = offset(LAYOUT, "fh");
        public static final long OFFSET = offset(LAYOUT, "offset");
        public static final long SIZE_ = offset(LAYOUT, "size");
        public static final long WRITE_FLAGS = offset(LAYOUT, "write_flags");
        public static final long FLAGS = offset(LAYOUT, "flags");
        /** The write comes from the page cache (writeback), not directly from a process. */
        public static final int WRITE_CACHE = 1;
    }

    public static final class WriteOut {
        public static final StructLayout LAYOUT = struct("fuse_write_out", 8, U32.withName("size"),
                U32.withName("padding"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long SIZE_ = offset(LAYOUT, "size");
    }

    public static final class FsyncIn {
        public static final StructLayout LAYOUT = struct("fuse_fsync_in", 16, U64.withName("fh"),
                U32.withName("fsync_flags"), U32.withName("padding"));
        public static final long FH = offset(LAYOUT, "fh");
        public static final long FSYNC_FLAGS = offset(LAYOUT, "fsync_flags");
        public static final int FDATASYNC = 1;
    }

    public static final class StatfsOut {
        public static final StructLayout LAYOUT = struct("fuse_statfs_out", 80, U64.withName("blocks"),
                U64.withName("bfree"), U64.withName("bavail"), U64.withName("files"), U64.withName("ffree"),
                U32.withName("bsize"), U32.withName("namelen"), U32.withName("frsize"), U32.withName("padding"),
                MemoryLayout.sequenceLayout(6, U32).withName("spare"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long BLOCKS = offset(LAYOUT, "blocks");
        public static final long BFREE = offset(LAYOUT, "bfree");
        public static final long BAVAIL = offset(LAYOUT, "bavail");
        public static final long FILES = offset(LAYOUT, "files");
        public static final long FFREE = offset(LAYOUT, "ffree");
        public static final long BSIZE = offset(LAYOUT, "bsize");
        public static final long NAMELEN = offset(LAYOUT, "namelen");
        public static final long FRSIZE = offset(LAYOUT, "frsize");
    }

    public static final class SetxattrIn {
        public static final StructLayout LAYOUT = struct("fuse_setxattr_in", 16, U32.withName("size"),
                U32.withName("flags"), U32.withName("setxattr_flags"), U32.withName("padding"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        /** Without SETXATTR_EXT the kernel sends only size and flags. */
        public static final int COMPAT_SIZE = 8;
        public static final long SIZE_ = offset(LAYOUT, "size");
        public static final long FLAGS = offset(LAYOUT, "flags");
    }

    public static final class GetxattrIn {
        public static final StructLayout LAYOUT = struct("fuse_getxattr_in", 8, U32.withName("size"),
                U32.withName("padding"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long SIZE_ = offset(LAYOUT, "size");
    }

    public static final class GetxattrOut {
        public static final StructLayout LAYOUT = struct("fuse_getxattr_out", 8, U32.withName("size"),
                U32.withName("padding"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long SIZE_ = offset(LAYOUT, "size");
    }

    public static final class FileLock {
        public static final StructLayout LAYOUT = struct("fuse_file_lock", 24, U64.withName("start"),
                U64.withName("end"), U32.withName("type"), U32.withName("pid"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long START = offset(LAYOUT, "start");
        public static final long END = offset(LAYOUT, "end");
        public static final long TYPE = offset(LAYOUT, "type");
        public static final long PID = offset(LAYOUT, "pid");
    }

    public static final class LkIn {
        public static final StructLayout LAYOUT = struct("fuse_lk_in", 48, U64.withName("fh"), U64.withName("owner"),
                FileLock.LAYOUT.withName("lk"), U32.withName("lk_flags"), U32.withName("padding"));
        public static final long FH = offset(LAYOUT, "fh");
        public static final long OWNER = offset(LAYOUT, "owner");
        public static final long LK = offset(LAYOUT, "lk");
        public static final long LK_FLAGS = offset(LAYOUT, "lk_flags");
        /** The lock request comes from flock(2), not fcntl(2). */
        public static final int LK_FLOCK = 1;
    }

    public static final class AccessIn {
        public static final StructLayout LAYOUT = struct("fuse_access_in", 8, U32.withName("mask"),
                U32.withName("padding"));
        public static final long MASK = offset(LAYOUT, "mask");
    }

    public static final class InterruptIn {
        public static final StructLayout LAYOUT = struct("fuse_interrupt_in", 8, U64.withName("unique"));
        public static final long UNIQUE = offset(LAYOUT, "unique");
    }

    public static final class ForgetIn {
        public static final StructLayout LAYOUT = struct("fuse_forget_in", 8, U64.withName("nlookup"));
        public static final long NLOOKUP = offset(LAYOUT, "nlookup");
    }

    public static final class BatchForgetIn {
        public static final StructLayout LAYOUT = struct("fuse_batch_forget_in", 8, U32.withName("count"),
                U32.withName("dummy"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long COUNT = offset(LAYOUT, "count");
    }

    public static final class ForgetOne {
        public static final StructLayout LAYOUT = struct("fuse_forget_one", 16, U64.withName("nodeid"),
                U64.withName("nlookup"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long NODEID = offset(LAYOUT, "nodeid");
        public static final long NLOOKUP = offset(LAYOUT, "nlookup");
    }

    public static final class FallocateIn {
        public static final StructLayout LAYOUT = struct("fuse_fallocate_in", 32, U64.withName("fh"),
                U64.withName("offset"), U64.withName("length"), U32.withName("mode"), U32.withName("padding"));
        public static final long FH = offset(LAYOUT, "fh");
        public static final long OFFSET = offset(LAYOUT, "offset");
        public static final long LENGTH = offset(LAYOUT, "length");
        public static final long MODE = offset(LAYOUT, "mode");
    }

    public static final class LseekIn {
        public static final StructLayout LAYOUT = struct("fuse_lseek_in", 24, U64.withName("fh"),
                U64.withName("offset"), U32.withName("whence"), U32.withName("padding"));
        public static final long FH = offset(LAYOUT, "fh");
        public static final long OFFSET = offset(LAYOUT, "offset");
        public static final long WHENCE = offset(LAYOUT, "whence");
    }

    public static final class LseekOut {
        public static final StructLayout LAYOUT = struct("fuse_lseek_out", 8, U64.withName("offset"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long OFFSET = offset(LAYOUT, "offset");
    }

    public static final class CopyFileRangeIn {
        public static final StructLayout LAYOUT = struct("fuse_copy_file_range_in", 56, U64.withName("fh_in"),
                U64.withName("off_in"), U64.withName("nodeid_out"), U64.withName("fh_out"), U64.withName("off_out"),
                U64.withName("len"), U64.withName("flags"));
        public static final long FH_IN = offset(LAYOUT, "fh_in");
        public static final long OFF_IN = offset(LAYOUT, "off_in");
        public static final long NODEID_OUT = offset(LAYOUT, "nodeid_out");
        public static final long FH_OUT = offset(LAYOUT, "fh_out");
        public static final long OFF_OUT = offset(LAYOUT, "off_out");
        public static final long LEN = offset(LAYOUT, "len");
        public static final long FLAGS = offset(LAYOUT, "flags");
    }

    public static final class IoctlIn {
        public static final StructLayout LAYOUT = struct("fuse_ioctl_in", 32, U64.withName("fh"),
                U32.withName("flags"), U32.withName("cmd"), U64.withName("arg"), U32.withName("in_size"),
                U32.withName("out_size"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long FH = offset(LAYOUT, "fh");
        public static final long FLAGS = offset(LAYOUT, "flags");
        public static final long CMD = offset(LAYOUT, "cmd");
        public static final long ARG = offset(LAYOUT, "arg");
        public static final long IN_SIZE = offset(LAYOUT, "in_size");
        public static final long OUT_SIZE = offset(LAYOUT, "out_size");
        /** An unrestricted ioctl (CUSE only): this engine answers those with ENOSYS. */
        public static final int IOCTL_UNRESTRICTED = 1 << 1;
    }

    public static final class IoctlOut {
        public static final StructLayout LAYOUT = struct("fuse_ioctl_out", 16, U32.withName("result"),
                U32.withName("flags"), U32.withName("in_iovs"), U32.withName("out_iovs"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long RESULT = offset(LAYOUT, "result");
    }

    public static final class PollIn {
        public static final StructLayout LAYOUT = struct("fuse_poll_in", 24, U64.withName("fh"), U64.withName("kh"),
                U32.withName("flags"), U32.withName("events"));
        public static final long FH = offset(LAYOUT, "fh");
        public static final long KH = offset(LAYOUT, "kh");
        public static final long FLAGS = offset(LAYOUT, "flags");
        public static final long EVENTS = offset(LAYOUT, "events");
        public static final int SCHEDULE_NOTIFY = 1;
    }

    public static final class PollOut {
        public static final StructLayout LAYOUT = struct("fuse_poll_out", 8, U32.withName("revents"),
                U32.withName("padding"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long REVENTS = offset(LAYOUT, "revents");
    }

    public static final class StatxIn {
        public static final StructLayout LAYOUT = struct("fuse_statx_in", 24, U32.withName("getattr_flags"),
                U32.withName("reserved"), U64.withName("fh"), U32.withName("sx_flags"), U32.withName("sx_mask"));
        public static final long GETATTR_FLAGS = offset(LAYOUT, "getattr_flags");
        public static final long FH = offset(LAYOUT, "fh");
        public static final long SX_FLAGS = offset(LAYOUT, "sx_flags");
        public static final long SX_MASK = offset(LAYOUT, "sx_mask");
    }

    public static final class SxTime {
        public static final StructLayout LAYOUT = struct("fuse_sx_time", 16, U64.withName("tv_sec"),
                U32.withName("tv_nsec"), U32.withName("reserved"));
        public static final long TV_SEC = offset(LAYOUT, "tv_sec");
        public static final long TV_NSEC = offset(LAYOUT, "tv_nsec");
    }

    public static final class Statx {
        public static final StructLayout LAYOUT = struct("fuse_statx", 256, U32.withName("mask"),
                U32.withName("blksize"), U64.withName("attributes"), U32.withName("nlink"), U32.withName("uid"),
                U32.withName("gid"), U16.withName("mode"), U16.withName("spare0"), U64.withName("ino"),
                U64.withName("size"), U64.withName("blocks"), U64.withName("attributes_mask"),
                SxTime.LAYOUT.withName("atime"), SxTime.LAYOUT.withName("btime"), SxTime.LAYOUT.withName("ctime"),
                SxTime.LAYOUT.withName("mtime"), U32.withName("rdev_major"), U32.withName("rdev_minor"),
                U32.withName("dev_major"), U32.withName("dev_minor"),
                MemoryLayout.sequenceLayout(14, U64).withName("spare2"));
        public static final long MASK = offset(LAYOUT, "mask");
        public static final long BLKSIZE = offset(LAYOUT, "blksize");
        public static final long NLINK = offset(LAYOUT, "nlink");
        public static final long UID = offset(LAYOUT, "uid");
        public static final long GID = offset(LAYOUT, "gid");
        public static final long MODE = offset(LAYOUT, "mode");
        public static final long INO = offset(LAYOUT, "ino");
        public static final long SIZE_ = offset(LAYOUT, "size");
        public static final long BLOCKS = offset(LAYOUT, "blocks");
        public static final long ATIME = offset(LAYOUT, "atime");
        public static final long BTIME = offset(LAYOUT, "btime");
        public static final long CTIME = offset(LAYOUT, "ctime");
        public static final long MTIME = offset(LAYOUT, "mtime");
        public static final long RDEV_MAJOR = offset(LAYOUT, "rdev_major");
        public static final long RDEV_MINOR = offset(LAYOUT, "rdev_minor");
    }

    public static final class StatxOut {
        public static final StructLayout LAYOUT = struct("fuse_statx_out", 288, U64.withName("attr_valid"),
                U32.withName("attr_valid_nsec"), U32.withName("flags"),
                MemoryLayout.sequenceLayout(2, U64).withName("spare"), Statx.LAYOUT.withName("stat"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long ATTR_VALID = offset(LAYOUT, "attr_valid");
        public static final long ATTR_VALID_NSEC = offset(LAYOUT, "attr_valid_nsec");
        public static final long STAT = offset(LAYOUT, "stat");
    }

    public static final class Dirent {
        public static final StructLayout LAYOUT = struct("fuse_dirent", 24, U64.withName("ino"), U64.withName("off"),
                U32.withName("namelen"), U32.withName("type"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long INO = offset(LAYOUT, "ino");
        public static final long OFF = offset(LAYOUT, "off");
        public static final long NAMELEN = offset(LAYOUT, "namelen");
        public static final long TYPE = offset(LAYOUT, "type");
        public static final long NAME = SIZE;
    }

    public static final class DirentPlus {
        public static final StructLayout LAYOUT = struct("fuse_direntplus", 152,
                EntryOut.LAYOUT.withName("entry_out"), Dirent.LAYOUT.withName("dirent"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long ENTRY_OUT = offset(LAYOUT, "entry_out");
        public static final long DIRENT = offset(LAYOUT, "dirent");
    }

    public static final class NotifyPollWakeupOut {
        public static final StructLayout LAYOUT = struct("fuse_notify_poll_wakeup_out", 8, U64.withName("kh"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long KH = offset(LAYOUT, "kh");
    }

    /** The argument of the BACKING_OPEN ioctl: the descriptor to register; flags and padding stay 0. */
    public static final class BackingMap {
        public static final StructLayout LAYOUT = struct("fuse_backing_map", 16, U32.withName("fd"),
                U32.withName("flags"), U64.withName("padding"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long FD = offset(LAYOUT, "fd");
        public static final long FLAGS = offset(LAYOUT, "flags");
    }

    public static final class NotifyInvalInodeOut {
        public static final StructLayout LAYOUT = struct("fuse_notify_inval_inode_out", 24, U64.withName("ino"),
                U64.withName("off"), U64.withName("len"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long INO = offset(LAYOUT, "ino");
        public static final long OFF = offset(LAYOUT, "off");
        public static final long LEN = offset(LAYOUT, "len");
    }

    public static final class NotifyInvalEntryOut {
        public static final StructLayout LAYOUT = struct("fuse_notify_inval_entry_out", 16, U64.withName("parent"),
                U32.withName("namelen"), U32.withName("flags"));
        public static final int SIZE = (int) LAYOUT.byteSize();
        public static final long PARENT = offset(LAYOUT, "parent");
        public static final long NAMELEN = offset(LAYOUT, "namelen");
        public static final long FLAGS = offset(LAYOUT, "flags");
    }

    /** Notification codes, sent in an out header's error field with unique 0. */
    public static final class Notify {
        private Notify() {}

        public static final int POLL = 1;
        public static final int INVAL_INODE = 2;
        public static final int INVAL_ENTRY = 3;
    }

    /** The ioctls of /dev/fuse (x86_64 and arm64 encodings). */
    public static final class DevIoctl {
        private DevIoctl() {}

        public static final long CLONE = 0x8004E500L;
        public static final long BACKING_OPEN = 0x4010E501L;
        public static final long BACKING_CLOSE = 0x4004E502L;
        public static final long SYNC_INIT = 0xE503L;
    }
}
