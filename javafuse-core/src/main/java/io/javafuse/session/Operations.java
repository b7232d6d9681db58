package io.javafuse.session;

import io.javafuse.abi.InitFlags;
import io.javafuse.abi.Opcode;
import io.javafuse.abi.Structs;
import io.javafuse.abi.Structs.AccessIn;
import io.javafuse.abi.Structs.BatchForgetIn;
import io.javafuse.abi.Structs.CopyFileRangeIn;
import io.javafuse.abi.Structs.CreateIn;
import io.javafuse.abi.Structs.FallocateIn;
import io.javafuse.abi.Structs.FileLock;
import io.javafuse.abi.Structs.FlushIn;
import io.javafuse.abi.Structs.ForgetIn;
import io.javafuse.abi.Structs.ForgetOne;
import io.javafuse.abi.Structs.FsyncIn;
import io.javafuse.abi.Structs.GetattrIn;
import io.javafuse.abi.Structs.GetxattrIn;
import io.javafuse.abi.Structs.GetxattrOut;
import io.javafuse.abi.Structs.InHeader;
import io.javafuse.abi.Structs.IoctlIn;
import io.javafuse.abi.Structs.IoctlOut;
import io.javafuse.abi.Structs.LinkIn;
import io.javafuse.abi.Structs.LkIn;
import io.javafuse.abi.Structs.LseekIn;
import io.javafuse.abi.Structs.LseekOut;
import io.javafuse.abi.Structs.MkdirIn;
import io.javafuse.abi.Structs.MknodIn;
import io.javafuse.abi.Structs.OpenIn;
import io.javafuse.abi.Structs.OpenOut;
import io.javafuse.abi.Structs.OutHeader;
import io.javafuse.abi.Structs.PollIn;
import io.javafuse.abi.Structs.PollOut;
import io.javafuse.abi.Structs.ReadIn;
import io.javafuse.abi.Structs.ReleaseIn;
import io.javafuse.abi.Structs.Rename2In;
import io.javafuse.abi.Structs.RenameIn;
import io.javafuse.abi.Structs.SetattrIn;
import io.javafuse.abi.Structs.SetxattrIn;
import io.javafuse.abi.Structs.StatfsOut;
import io.javafuse.abi.Structs.StatxIn;
import io.javafuse.abi.Structs.WriteIn;
import io.javafuse.abi.Structs.WriteOut;
import io.javafuse.api.Attr;
import io.javafuse.api.Created;
import io.javafuse.api.Entry;
import io.javafuse.api.Errno;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.api.IoctlResult;
import io.javafuse.api.Lock;
import io.javafuse.api.Names;
import io.javafuse.api.Open;
import io.javafuse.api.Operation;
import io.javafuse.api.PollHandle;
import io.javafuse.api.ReadSource;
import io.javafuse.api.SetAttr;
import io.javafuse.api.StatFs;
import io.javafuse.api.WritePriority;
import io.javafuse.sys.FileSyscalls;
import io.javafuse.writes.WriteQueues;
import io.javafuse.api.Statx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReferenceArray;

import static io.javafuse.abi.Structs.u32;
import static io.javafuse.abi.Structs.u64;

/**
 * Decodes each request's arguments, calls the filesystem, and encodes its answer into the
 * request's own buffer (a reply never needs more room than the request's buffer offers), then
 * sends it on the channel the request came from.
 */
final class Operations {
    private static final System.Logger LOG = System.getLogger(Operations.class.getName());
    private static final long ARGS = InHeader.SIZE;
    private static final long BODY = OutHeader.SIZE;
    private static final int LOCK_SH = 1;
    private static final int LOCK_EX = 2;
    private static final int LOCK_NB = 4;
    private static final int LOCK_UN = 8;
    private static final int O_DSYNC = 010000;
    private static final int RECENT_KEY_BITS = 6;
    /**
     * Spliced READ answers are 32 to 128 KiB long; others are copied even with splice on. Under
     * 32 KiB the pipe's extra system call and page bookkeeping cost more than the copy they save
     * (4 KiB READs were slower spliced). 128 KiB is the kernel's default readahead, the size of
     * page-cache READs, where splice gained; 1 MiB O_DIRECT READs were slower spliced. See
     * docs/performance.md.
     */
    static final int SPLICE_MIN = 32 * 1024;
    static final int SPLICE_MAX = 128 * 1024;

    /** Told when a request is finished (answered, or dropped without an answer). */
    interface Completion {
        /** @param bytes data bytes the request read or wrote, for throughput statistics */
        void finished(FuseRequest request, int errno, long bytes);
    }

    /** Writes a request's reply body at {@code at}; returns its length. */
    private interface BodyEncoder<T> {
        long encode(MemorySegment buffer, long at, T value) throws IOException;
    }

    private static final BodyEncoder<Object> NO_BODY = (buffer, at, value) -> 0;

    /** A handler that implements nothing: every operation routed to it answers ENOSYS. */
    private static final FileSystem NOT_IMPLEMENTED = new FileSystem() {};

    private final FileSystem filesystem;
    /** Per operation, the filesystem that handles it: the mounted one unless replaced at run time. */
    private final AtomicReferenceArray<FileSystem> handlers = new AtomicReferenceArray<>(Operation.values().length);
    private final ReplyEncoder encoder;
    private final Completion completion;
    private final Runnable destroy;
    /** READ answers from a {@link ReadSource} go through a pipe with splice(2) instead of a buffer. */
    private final boolean splice;
    private volatile boolean setxattrExt;
    /** Operations whose current handler is quick: replaced whole when a handler changes. */
    private volatile Set<Operation> inline;
    private WriteQueues<FuseRequest> writes;
    /** Recently used write-queue keys, by a hash of node and handle (see {@link #writeKey}). */
    private final WriteQueues.Key[] recentKeys = new WriteQueues.Key[1 << RECENT_KEY_BITS];

    Operations(FileSystem fs, ReplyEncoder encoder, Completion completion, Runnable destroy, boolean splice) {
        this.splice = splice;
        this.filesystem = fs;
        this.encoder = encoder;
        this.completion = completion;
        this.destroy = destroy;
        this.inline = inlineOperations();
    }

    /** Whether the handler of {@code operation} declares it quick enough to run on a reader thread. */
    boolean runsInline(Operation operation) {
        return inline.contains(operation);
    }

    private Set<Operation> inlineOperations() {
        Set<Operation> quick = EnumSet.noneOf(Operation.class);
        for (Operation operation : Operation.values()) {
            if (target(operation).inlineOperations().contains(operation)) {
                quick.add(operation);
            }
        }
        return quick;
    }

    /** Routes one operation to {@code handler} instead of the mounted filesystem. */
    synchronized void setHandler(Operation operation, FileSystem handler) {
        handlers.set(operation.ordinal(), handler);
        inline = inlineOperations();
    }

    /** Routes one operation back to the mounted filesystem. */
    synchronized void resetHandler(Operation operation) {
        handlers.set(operation.ordinal(), null);
        inline = inlineOperations();
    }

    /** Answers one operation with ENOSYS from now on. */
    synchronized void removeHandler(Operation operation) {
        handlers.set(operation.ordinal(), NOT_IMPLEMENTED);
        inline = inlineOperations();
    }

    private FileSystem target(FuseRequest r) {
        return target(r.opcode().operation());
    }

    private FileSystem target(Operation operation) {
        FileSystem replaced = handlers.get(operation.ordinal());
        return replaced != null ? replaced : filesystem;
    }

    /** The session's write queues, which this class feeds and which call back into {@link #queuedWrites()}. */
    void useWriteQueues(WriteQueues<FuseRequest> queues) {
        this.writes = queues;
    }

    /**
     * The write-queue key of a request on handle {@code fh}: a key made for an earlier request on
     * the same file if it is still cached, so a stream of writes to one file makes no new keys.
     * Keys are immutable records (final fields), so the unsynchronized cache can only miss, never
     * hand out a half-built or wrong key: a hit is checked field by field.
     */
    WriteQueues.Key writeKey(FuseRequest r, long fh) {
        long nodeId = r.nodeId();
        // Mixed, as nodes and handles are small neighbouring numbers that a plain sum maps together.
        int slot = (int) ((nodeId * 0x9E3779B97F4A7C15L ^ fh * 0xC2B2AE3D27D4EB4FL) >>> (64 - RECENT_KEY_BITS));
        WriteQueues.Key cached = recentKeys[slot];
        if (cached != null && cached.nodeId() == nodeId && cached.fh() == fh) {
            return cached;
        }
        WriteQueues.Key key = new WriteQueues.Key(nodeId, fh);
        recentKeys[slot] = key;
        return key;
    }

    void connectionAgreed(long flags) {
        setxattrExt = (flags & InitFlags.SETXATTR_EXT) != 0;
    }

    /** Runs one request's handler on the calling thread and answers it (now, or when its stage completes). */
    void handle(FuseRequest r) {
        r.handlerStarted(Thread.currentThread());
        try {
            dispatch(r);
        } catch (Throwable failure) {
            if (r.writeQueue() != null) {
                // Gives back its place if it failed before reaching the queue (no-op once queued).
                writes.unreserve(r.writeQueue(), r.unique());
            }
            fail(r, failure);
        } finally {
            r.handlerFinished();
        }
    }

    /** Answers a request with an error without running its handler. */
    void answerError(FuseRequest r, int errno) {
        if (r.writeQueue() != null) {
            writes.unreserve(r.writeQueue(), r.unique());
        }
        sendError(r, errno);
        completion.finished(r, errno, 0);
    }

    /**
     * One small method per operation, called from a small switch: a method this size stays
     * compiled (one that held every operation was too large for C1 and fell back to the
     * interpreter whenever C2's code was thrown away), and each operation is compiled and
     * optimized on its own.
     */
    private void dispatch(FuseRequest r) throws IOException {
        Opcode op = r.opcode();
        if (op == null) {
            answerError(r, Errno.ENOSYS);
            return;
        }
        FileSystem fs = target(r);
        switch (op) {
            case LOOKUP -> lookup(r, fs);
            case FORGET -> forget(r, fs);
            case BATCH_FORGET -> batchForget(r, fs);
            case GETATTR -> getattr(r, fs);
            case SETATTR -> answer(r, fs.setattr(r, r.nodeId(), setAttr(r.buffer())), this::attrOut);
            case READLINK -> answer(r, fs.readlink(r, r.nodeId()), Operations::bytes);
            case SYMLINK -> symlink(r, fs);
            case MKNOD -> mknod(r, fs);
            case MKDIR -> mkdir(r, fs);
            case UNLINK -> unlink(r, fs);
            case RMDIR -> rmdir(r, fs);
            case RENAME -> rename(r, u64(r.buffer(), ARGS + RenameIn.NEWDIR), 0, ARGS + RenameIn.SIZE);
            case RENAME2 -> rename(r, u64(r.buffer(), ARGS + Rename2In.NEWDIR), u32(r.buffer(), ARGS + Rename2In.FLAGS),
                    ARGS + Rename2In.SIZE);
            case LINK -> link(r, fs);
            case OPEN -> open(r, fs);
            case OPENDIR -> answer(r, fs.opendir(r, r.nodeId(), u32(r.buffer(), ARGS + OpenIn.FLAGS)), Operations::openOut);
            case READ -> read(r, fs);
            case WRITE -> write(r, fs);
            case STATFS -> answer(r, fs.statfs(r, r.nodeId()), Operations::statfsOut);
            case RELEASE -> release(r, fs);
            case RELEASEDIR -> releasedir(r, fs);
            case FSYNC -> fsync(r, fs);
            case FSYNCDIR -> fsyncdir(r, fs);
            case FLUSH -> flush(r, fs);
            case SETXATTR -> setxattr(r, fs);
            case GETXATTR -> getxattr(r, fs);
            case LISTXATTR -> listxattr(r, fs);
            case REMOVEXATTR -> removexattr(r, fs);
            case ACCESS -> access(r, fs);
            case CREATE -> create(r, fs);
            case TMPFILE -> tmpfile(r, fs);
            case READDIR, READDIRPLUS -> readdir(r, op == Opcode.READDIRPLUS);
            case GETLK -> getlk(r, fs);
            case SETLK, SETLKW -> setlk(r, op == Opcode.SETLKW);
            case FALLOCATE -> fallocate(r, fs);
            case LSEEK -> lseek(r, fs);
            case COPY_FILE_RANGE -> copyFileRange(r, fs);
            case IOCTL -> ioctl(r);
            case POLL -> poll(r);
            case STATX -> statx(r, fs);
            case DESTROY -> {
                destroy.run();
                done(r);
            }
            case NOTIFY_REPLY -> completion.finished(r, 0, 0);
            // INIT and INTERRUPT are the session's; the rest are not for a filesystem of this kind.
            default -> answerError(r, Errno.ENOSYS);
        }
    }

    private void lookup(FuseRequest r, FileSystem fs) throws IOException {
        answer(r, fs.lookup(r, r.nodeId(), string(r, ARGS)), this::entry);
    }

    private void forget(FuseRequest r, FileSystem fs) {
        fs.forget(r.nodeId(), u64(r.buffer(), ARGS + ForgetIn.NLOOKUP));
        completion.finished(r, 0, 0);
    }

    private void batchForget(FuseRequest r, FileSystem fs) {
        MemorySegment b = r.buffer();
        int count = u32(b, ARGS + BatchForgetIn.COUNT);
        long at = ARGS + BatchForgetIn.SIZE;
        for (int i = 0; i < count && at + ForgetOne.SIZE <= r.argumentsEnd(); i++, at += ForgetOne.SIZE) {
            fs.forget(u64(b, at + ForgetOne.NODEID), u64(b, at + ForgetOne.NLOOKUP));
        }
        completion.finished(r, 0, 0);
    }

    private void getattr(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        long fh = (u32(b, ARGS + GetattrIn.GETATTR_FLAGS) & GetattrIn.GETATTR_FH) != 0
                ? u64(b, ARGS + GetattrIn.FH) : FileSystem.NO_HANDLE;
        answer(r, fs.getattr(r, r.nodeId(), fh), this::attrOut);
    }

    private void symlink(FuseRequest r, FileSystem fs) throws IOException {
        String name = string(r, ARGS);
        String target = string(r, ARGS + byteLength(r.buffer(), ARGS) + 1);
        answer(r, fs.symlink(r, r.nodeId(), name, target), this::entry);
    }

    private void mknod(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        answer(r, fs.mknod(r, r.nodeId(), string(r, ARGS + MknodIn.SIZE), u32(b, ARGS + MknodIn.MODE),
                u32(b, ARGS + MknodIn.RDEV), u32(b, ARGS + MknodIn.UMASK)), this::entry);
    }

    private void mkdir(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        answer(r, fs.mkdir(r, r.nodeId(), string(r, ARGS + MkdirIn.SIZE), u32(b, ARGS + MkdirIn.MODE),
                u32(b, ARGS + MkdirIn.UMASK)), this::entry);
    }

    private void unlink(FuseRequest r, FileSystem fs) throws IOException {
        fs.unlink(r, r.nodeId(), string(r, ARGS));
        done(r);
    }

    private void rmdir(FuseRequest r, FileSystem fs) throws IOException {
        fs.rmdir(r, r.nodeId(), string(r, ARGS));
        done(r);
    }

    private void link(FuseRequest r, FileSystem fs) throws IOException {
        answer(r, fs.link(r, u64(r.buffer(), ARGS + LinkIn.OLDNODEID), r.nodeId(), string(r, ARGS + LinkIn.SIZE)),
                this::entry);
    }

    private void open(FuseRequest r, FileSystem fs) throws IOException {
        long node = r.nodeId();
        int flags = u32(r.buffer(), ARGS + OpenIn.FLAGS);
        answer(r, fs.open(r, node, flags), (buffer, at, open) -> openOut(buffer, at, opened(node, flags, open)));
    }

    private void read(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        long node = r.nodeId();
        int size = (int) Math.min(Integer.toUnsignedLong(u32(b, ARGS + ReadIn.SIZE_)), b.byteSize() - BODY);
        long fh = u64(b, ARGS + ReadIn.FH);
        long offset = u64(b, ARGS + ReadIn.OFFSET);
        ReadSource source = fs.readSource(r, node, fh, offset, size);
        if (source != null) {
            answerFrom(r, source, size);
            return;
        }
        int read = fs.read(r, node, fh, offset, r.replyBody(size));
        if (r.deferred() == null) {
            int length = Math.clamp(read, 0, size);
            reply(r, length, length); // the common case: no boxing, no encoder
        } else {
            answer(r, read, (buffer, at, n) -> Math.clamp(n, 0, size));
        }
    }

    private void write(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        int size = u32(b, ARGS + WriteIn.SIZE_);
        long dataAt = ARGS + WriteIn.SIZE;
        if (dataAt + Integer.toUnsignedLong(size) > r.argumentsEnd()) {
            answerError(r, Errno.EINVAL);
            return;
        }
        MemorySegment data = r.readOnlySlice(dataAt, size);
        if (r.writeQueue() != null) {
            writes.write(r, r.writeQueue(), u64(b, ARGS + WriteIn.OFFSET), data);
            return;
        }
        int written = fs.write(r, r.nodeId(), u64(b, ARGS + WriteIn.FH), u64(b, ARGS + WriteIn.OFFSET), data,
                u32(b, ARGS + WriteIn.WRITE_FLAGS));
        if (r.deferred() == null) {
            replyWritten(r, written);
        } else {
            answer(r, written, Operations::writeOut);
        }
    }

    private void release(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        if (!queueBarrier(r, u64(b, ARGS + ReleaseIn.FH), WriteQueues.Barrier.RELEASE)) {
            fs.release(r, r.nodeId(), u64(b, ARGS + ReleaseIn.FH), u32(b, ARGS + ReleaseIn.FLAGS));
            done(r);
        }
    }

    private void releasedir(FuseRequest r, FileSystem fs) throws IOException {
        fs.releasedir(r, r.nodeId(), u64(r.buffer(), ARGS + ReleaseIn.FH));
        done(r);
    }

    private void fsync(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        if (!queueBarrier(r, u64(b, ARGS + FsyncIn.FH), WriteQueues.Barrier.FSYNC)) {
            fs.fsync(r, r.nodeId(), u64(b, ARGS + FsyncIn.FH), (u32(b, ARGS + FsyncIn.FSYNC_FLAGS) & FsyncIn.FDATASYNC) != 0);
            done(r);
        }
    }

    private void fsyncdir(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        fs.fsyncdir(r, r.nodeId(), u64(b, ARGS + FsyncIn.FH), (u32(b, ARGS + FsyncIn.FSYNC_FLAGS) & FsyncIn.FDATASYNC) != 0);
        done(r);
    }

    private void flush(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        if (!queueBarrier(r, u64(b, ARGS + FlushIn.FH), WriteQueues.Barrier.FLUSH)) {
            fs.flush(r, r.nodeId(), u64(b, ARGS + FlushIn.FH), u64(b, ARGS + FlushIn.LOCK_OWNER));
            done(r);
        }
    }

    private void setxattr(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        long nameAt = ARGS + (setxattrExt ? SetxattrIn.SIZE : SetxattrIn.COMPAT_SIZE);
        int size = u32(b, ARGS + SetxattrIn.SIZE_);
        long valueAt = nameAt + byteLength(b, nameAt) + 1;
        if (valueAt + Integer.toUnsignedLong(size) > r.argumentsEnd()) {
            throw new FuseException(Errno.EINVAL, "SETXATTR value runs past the request");
        }
        fs.setxattr(r, r.nodeId(), xattrName(r, nameAt), r.readOnlySlice(valueAt, size), u32(b, ARGS + SetxattrIn.FLAGS));
        done(r);
    }

    private void getxattr(FuseRequest r, FileSystem fs) throws IOException {
        int size = u32(r.buffer(), ARGS + GetxattrIn.SIZE_);
        answer(r, fs.getxattr(r, r.nodeId(), xattrName(r, ARGS + GetxattrIn.SIZE)),
                (buffer, at, value) -> sized(buffer, at, value, size));
    }

    private void listxattr(FuseRequest r, FileSystem fs) throws IOException {
        int size = u32(r.buffer(), ARGS + GetxattrIn.SIZE_);
        answer(r, fs.listxattr(r, r.nodeId()), (buffer, at, names) -> sized(buffer, at, nulSeparated(names), size));
    }

    private void removexattr(FuseRequest r, FileSystem fs) throws IOException {
        fs.removexattr(r, r.nodeId(), xattrName(r, ARGS));
        done(r);
    }

    private void access(FuseRequest r, FileSystem fs) throws IOException {
        fs.access(r, r.nodeId(), u32(r.buffer(), ARGS + AccessIn.MASK));
        done(r);
    }

    private void create(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        int flags = u32(b, ARGS + CreateIn.FLAGS);
        answer(r, fs.create(r, r.nodeId(), string(r, ARGS + CreateIn.SIZE), u32(b, ARGS + CreateIn.MODE),
                u32(b, ARGS + CreateIn.UMASK), flags), (buffer, at, c) -> created(buffer, at, c, flags));
    }

    private void tmpfile(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        int flags = u32(b, ARGS + CreateIn.FLAGS);
        answer(r, fs.tmpfile(r, r.nodeId(), u32(b, ARGS + CreateIn.MODE), u32(b, ARGS + CreateIn.UMASK), flags),
                (buffer, at, c) -> created(buffer, at, c, flags));
    }

    private void getlk(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        answer(r, fs.getlk(r, r.nodeId(), u64(b, ARGS + LkIn.FH), u64(b, ARGS + LkIn.OWNER), lock(b, ARGS + LkIn.LK)),
                Operations::lockOut);
    }

    private void fallocate(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        fs.fallocate(r, r.nodeId(), u64(b, ARGS + FallocateIn.FH), u64(b, ARGS + FallocateIn.OFFSET),
                u64(b, ARGS + FallocateIn.LENGTH), u32(b, ARGS + FallocateIn.MODE));
        done(r);
    }

    private void lseek(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        answer(r, fs.lseek(r, r.nodeId(), u64(b, ARGS + LseekIn.FH), u64(b, ARGS + LseekIn.OFFSET),
                u32(b, ARGS + LseekIn.WHENCE)), Operations::lseekOut);
    }

    private void copyFileRange(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        answer(r, fs.copyFileRange(r, r.nodeId(),
                u64(b, ARGS + CopyFileRangeIn.FH_IN), u64(b, ARGS + CopyFileRangeIn.OFF_IN),
                u64(b, ARGS + CopyFileRangeIn.NODEID_OUT), u64(b, ARGS + CopyFileRangeIn.FH_OUT),
                u64(b, ARGS + CopyFileRangeIn.OFF_OUT), u64(b, ARGS + CopyFileRangeIn.LEN),
                (int) u64(b, ARGS + CopyFileRangeIn.FLAGS)),
                (buffer, at, n) -> writeOut(buffer, at, (int) Math.min(n, Integer.MAX_VALUE)));
    }

    private void statx(FuseRequest r, FileSystem fs) throws IOException {
        MemorySegment b = r.buffer();
        long fh = (u32(b, ARGS + StatxIn.GETATTR_FLAGS) & GetattrIn.GETATTR_FH) != 0
                ? u64(b, ARGS + StatxIn.FH) : FileSystem.NO_HANDLE;
        answer(r, fs.statx(r, r.nodeId(), fh, u32(b, ARGS + StatxIn.SX_FLAGS), u32(b, ARGS + StatxIn.SX_MASK)),
                this::statxOut);
    }

    private void rename(FuseRequest r, long newParent, int flags, long namesAt) throws IOException {
        FileSystem fs = target(r);
        MemorySegment b = r.buffer();
        String name = string(r, namesAt);
        String newName = string(r, namesAt + byteLength(b, namesAt) + 1);
        fs.rename(r, r.nodeId(), name, newParent, newName, flags);
        done(r);
    }

    private void readdir(FuseRequest r, boolean plus) throws IOException {
        FileSystem fs = target(r);
        MemorySegment b = r.buffer();
        int size = (int) Math.min(Integer.toUnsignedLong(u32(b, ARGS + ReadIn.SIZE_)), b.byteSize() - BODY);
        long fh = u64(b, ARGS + ReadIn.FH);
        long offset = u64(b, ARGS + ReadIn.OFFSET);
        DirectoryBuffer out = new DirectoryBuffer(r.replyBody(size), encoder);
        if (plus) {
            fs.readdirplus(r, r.nodeId(), fh, offset, out);
        } else {
            fs.readdir(r, r.nodeId(), fh, offset, out);
        }
        done(r, (buffer, at, value) -> out.length());
    }

    private void setlk(FuseRequest r, boolean wait) throws IOException {
        FileSystem fs = target(r);
        MemorySegment b = r.buffer();
        long fh = u64(b, ARGS + LkIn.FH);
        long owner = u64(b, ARGS + LkIn.OWNER);
        Lock lock = lock(b, ARGS + LkIn.LK);
        if ((u32(b, ARGS + LkIn.LK_FLAGS) & LkIn.LK_FLOCK) != 0) {
            int operation = switch (lock.type()) {
                case Lock.F_RDLCK -> LOCK_SH;
                case Lock.F_WRLCK -> LOCK_EX;
                default -> LOCK_UN;
            };
            fs.flock(r, r.nodeId(), fh, owner, operation | (wait ? 0 : LOCK_NB));
        } else {
            fs.setlk(r, r.nodeId(), fh, owner, lock, wait);
        }
        done(r);
    }

    private void ioctl(FuseRequest r) throws IOException {
        FileSystem fs = target(r);
        MemorySegment b = r.buffer();
        int flags = u32(b, ARGS + IoctlIn.FLAGS);
        if ((flags & IoctlIn.IOCTL_UNRESTRICTED) != 0) {
            answerError(r, Errno.ENOSYS);
            return;
        }
        int inSize = u32(b, ARGS + IoctlIn.IN_SIZE);
        int outSize = u32(b, ARGS + IoctlIn.OUT_SIZE);
        MemorySegment in = r.readOnlySlice(ARGS + IoctlIn.SIZE,
                Math.min(inSize, r.argumentsEnd() - ARGS - IoctlIn.SIZE));
        IoctlResult result = fs.ioctl(r, r.nodeId(), u64(b, ARGS + IoctlIn.FH), u32(b, ARGS + IoctlIn.CMD),
                u64(b, ARGS + IoctlIn.ARG), flags, in, outSize);
        answer(r, result, (buffer, at, value) -> {
            byte[] out = value.out() != null ? value.out() : new byte[0];
            if (out.length > outSize) {
                throw new FuseException(Errno.EINVAL, "ioctl answer of " + out.length + " bytes, caller allowed " + outSize);
            }
            buffer.asSlice(at, IoctlOut.SIZE).fill((byte) 0);
            u32(buffer, at + IoctlOut.RESULT, value.result());
            MemorySegment.copy(out, 0, buffer, ValueLayout.JAVA_BYTE, at + IoctlOut.SIZE, out.length);
            return IoctlOut.SIZE + out.length;
        });
    }

    private void poll(FuseRequest r) throws IOException {
        FileSystem fs = target(r);
        MemorySegment b = r.buffer();
        PollHandle waiter = (u32(b, ARGS + PollIn.FLAGS) & PollIn.SCHEDULE_NOTIFY) != 0
                ? new KernelPollHandle(r.channel(), u64(b, ARGS + PollIn.KH)) : null;
        answer(r, fs.poll(r, r.nodeId(), u64(b, ARGS + PollIn.FH), waiter,
                        u32(b, ARGS + PollIn.EVENTS)),
                (buffer, at, revents) -> {
                    u32(buffer, at + PollOut.REVENTS, revents);
                    u32(buffer, at + PollOut.REVENTS + 4, 0);
                    return PollOut.SIZE;
                });
    }

    // ---- answering

    /** Answers a READ with the file range its handler named: spliced if enabled and possible, else copied. */
    private void answerFrom(FuseRequest r, ReadSource source, int size) throws IOException {
        int length = Math.min(source.length(), size);
        if (splice && length >= SPLICE_MIN && length <= SPLICE_MAX && r.channel() instanceof DevFuseChannel device) {
            long sent = device.spliceRead(r.unique(), source.fd(), source.offset(), length, r.buffer());
            if (sent >= 0) {
                completion.finished(r, 0, sent);
                return;
            }
        }
        MemorySegment destination = r.replyBody(length);
        long total = 0;
        while (total < length) {
            long n = FileSyscalls.pread(source.fd(), total == 0 ? destination : destination.asSlice(total),
                    source.offset() + total);
            if (n == 0) {
                break;
            }
            total += n;
        }
        reply(r, total, total); // the data is in place after the header
    }

    /** Answers with a value the handler returned (or, if it answers later, with its stage's value). */
    private <T> void answer(FuseRequest r, T value, BodyEncoder<? super T> body) {
        answer(r, value, body, true);
    }

    /** Answers an operation whose handler returns nothing, once it is done. */
    private void done(FuseRequest r, BodyEncoder<Object> body) {
        answer(r, null, body, false);
    }

    private void done(FuseRequest r) {
        done(r, NO_BODY);
    }

    @SuppressWarnings("unchecked")
    private <T> void answer(FuseRequest r, T value, BodyEncoder<? super T> body, boolean valueRequired) {
        CompletionStage<?> later = r.deferred();
        if (later == null) {
            complete(r, value, body, valueRequired);
            return;
        }
        later.whenComplete((result, failure) -> {
            if (failure != null) {
                fail(r, failure);
            } else {
                complete(r, (T) result, body, valueRequired);
            }
        });
    }

    private <T> void complete(FuseRequest r, T value, BodyEncoder<? super T> body, boolean valueRequired) {
        long length;
        try {
            if (valueRequired && value == null) {
                throw new FuseException(Errno.EIO, r.describe() + " handler returned null");
            }
            length = body.encode(r.buffer(), BODY, value);
        } catch (Throwable failure) {
            fail(r, failure);
            return;
        }
        reply(r, length, dataBytes(r, value, length));
    }

    /** Answers a WRITE that wrote {@code written} bytes; no boxing on this path, taken by every write. */
    private void replyWritten(FuseRequest r, int written) {
        reply(r, writeOut(r.buffer(), BODY, written), written);
    }

    /** Sends the reply whose body, {@code length} bytes, is in place after the header. */
    private void reply(FuseRequest r, long length, long dataBytes) {
        OutHeader.write(r.buffer(), (int) (BODY + length), 0, r.unique());
        send(r, BODY + length);
        completion.finished(r, 0, dataBytes);
    }

    private static long dataBytes(FuseRequest r, Object value, long length) {
        return switch (r.opcode()) {
            case READ -> length;
            case WRITE -> value instanceof Integer written ? written : 0;
            default -> 0;
        };
    }

    private void fail(FuseRequest r, Throwable failure) {
        Throwable cause = unwrap(failure);
        int errno = Errno.of(cause);
        if (!Errno.isExpected(cause)) {
            LOG.log(System.Logger.Level.WARNING, r.describe() + " handler failed; answering EIO", cause);
        }
        sendError(r, errno);
        completion.finished(r, errno, 0);
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private void sendError(FuseRequest r, int errno) {
        OutHeader.write(r.buffer(), OutHeader.SIZE, errno, r.unique());
        send(r, OutHeader.SIZE);
    }

    private void send(FuseRequest r, long length) {
        try {
            r.channel().writePrefix(r.buffer(), length);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot answer " + r.describe() + " " + r.unique(), e);
        }
    }

    // ---- decoding

    private static long byteLength(MemorySegment b, long at) {
        long end = at;
        long limit = b.byteSize();
        while (end < limit && b.get(ValueLayout.JAVA_BYTE, end) != 0) {
            end++;
        }
        return end - at;
    }

    private static String string(FuseRequest r, long at) throws FuseException {
        MemorySegment b = r.buffer();
        int length = nameLength(r, at);
        byte[] bytes = new byte[length];
        MemorySegment.copy(b, ValueLayout.JAVA_BYTE, at, bytes, 0, length);
        return Names.decode(bytes);
    }

    private static int nameLength(FuseRequest r, long at) throws FuseException {
        long length = byteLength(r.buffer(), at);
        if (at + length >= r.length()) {
            throw new FuseException(Errno.EINVAL, r.describe() + ": name is not terminated");
        }
        return (int) length;
    }

    /**
     * Extended attribute names the kernel asks for all the time (security.capability before every
     * write by a process without CAP_FSETID, for one): each found here is answered with its
     * constant, decoding nothing. Others are decoded as any name.
     */
    private static final String[] KNOWN_XATTR_NAMES = {"security.capability", "security.selinux",
            "system.posix_acl_access", "system.posix_acl_default", "security.ima", "security.evm",
            "system.nfs4_acl", "trusted.overlay.opaque"};
    private static final byte[][] KNOWN_XATTR_BYTES = java.util.Arrays.stream(KNOWN_XATTR_NAMES)
            .map(name -> name.getBytes(java.nio.charset.StandardCharsets.US_ASCII)).toArray(byte[][]::new);

    private static String xattrName(FuseRequest r, long at) throws FuseException {
        MemorySegment b = r.buffer();
        int length = nameLength(r, at);
        for (int i = 0; i < KNOWN_XATTR_BYTES.length; i++) {
            if (KNOWN_XATTR_BYTES[i].length == length && sameBytes(b, at, KNOWN_XATTR_BYTES[i])) {
                return KNOWN_XATTR_NAMES[i];
            }
        }
        return string(r, at);
    }

    private static boolean sameBytes(MemorySegment b, long at, byte[] expected) {
        for (int i = 0; i < expected.length; i++) {
            if (b.get(ValueLayout.JAVA_BYTE, at + i) != expected[i]) {
                return false;
            }
        }
        return true;
    }

    private static SetAttr setAttr(MemorySegment b) {
        int valid = u32(b, ARGS + SetattrIn.VALID);
        return new SetAttr(
                has(valid, SetattrIn.FATTR_MODE) ? u32(b, ARGS + SetattrIn.MODE) : null,
                has(valid, SetattrIn.FATTR_UID) ? u32(b, ARGS + SetattrIn.UID) : null,
                has(valid, SetattrIn.FATTR_GID) ? u32(b, ARGS + SetattrIn.GID) : null,
                has(valid, SetattrIn.FATTR_SIZE) ? u64(b, ARGS + SetattrIn.SIZE_) : null,
                has(valid, SetattrIn.FATTR_ATIME) && !has(valid, SetattrIn.FATTR_ATIME_NOW)
                        ? instant(b, ARGS + SetattrIn.ATIME, ARGS + SetattrIn.ATIMENSEC) : null,
                has(valid, SetattrIn.FATTR_ATIME_NOW),
                has(valid, SetattrIn.FATTR_MTIME) && !has(valid, SetattrIn.FATTR_MTIME_NOW)
                        ? instant(b, ARGS + SetattrIn.MTIME, ARGS + SetattrIn.MTIMENSEC) : null,
                has(valid, SetattrIn.FATTR_MTIME_NOW),
                has(valid, SetattrIn.FATTR_CTIME) ? instant(b, ARGS + SetattrIn.CTIME, ARGS + SetattrIn.CTIMENSEC) : null,
                has(valid, SetattrIn.FATTR_KILL_SUIDGID),
                has(valid, SetattrIn.FATTR_FH) ? u64(b, ARGS + SetattrIn.FH) : FileSystem.NO_HANDLE);
    }

    private static boolean has(int valid, int bit) {
        return (valid & bit) != 0;
    }

    private static Instant instant(MemorySegment b, long secondsAt, long nanosAt) {
        return Instant.ofEpochSecond(u64(b, secondsAt), Integer.toUnsignedLong(u32(b, nanosAt)));
    }

    private static Lock lock(MemorySegment b, long at) {
        return new Lock(u32(b, at + FileLock.TYPE), u64(b, at + FileLock.START), u64(b, at + FileLock.END),
                u32(b, at + FileLock.PID));
    }

    // ---- encoding bodies

    private long entry(MemorySegment b, long at, Entry e) {
        encoder.entry(b, at, e);
        return Structs.EntryOut.SIZE;
    }

    private long attrOut(MemorySegment b, long at, Attr a) {
        encoder.attrOut(b, at, a);
        return Structs.AttrOut.SIZE;
    }

    private long statxOut(MemorySegment b, long at, Statx x) {
        encoder.statxOut(b, at, x);
        return Structs.StatxOut.SIZE;
    }

    private long created(MemorySegment b, long at, Created c, int flags) {
        encoder.entry(b, at, c.entry());
        return Structs.EntryOut.SIZE + openOut(b, at + Structs.EntryOut.SIZE, opened(c.entry().nodeId(), flags, c.open()));
    }

    /** Tells the write queues how the new open file's writes are to be served. */
    private Open opened(long nodeId, int flags, Open open) {
        if (writes != null) {
            WritePriority priority = (flags & O_DSYNC) != 0 ? WritePriority.HIGH : WritePriority.NORMAL;
            writes.opened(new WriteQueues.Key(nodeId, open.fh()), priority, open.writeBehind());
        }
        return open;
    }

    /** Hands a FLUSH, FSYNC or RELEASE to its handle's write queue, if writes are queued; false if not. */
    private boolean queueBarrier(FuseRequest r, long fh, WriteQueues.Barrier kind) {
        if (writes == null || !writes.config().enabled()) {
            return false;
        }
        writes.barrier(r, writeKey(r, fh), kind);
        return true;
    }

    /** The write queues' way back into the filesystem and to the kernel. */
    WriteQueues.Backend<FuseRequest> queuedWrites() {
        return new WriteQueues.Backend<>() {
            @Override
            public long write(FuseRequest r, long offset, List<MemorySegment> pieces) throws Exception {
                FileSystem fs = target(r);
                MemorySegment b = r.buffer();
                long fh = u64(b, ARGS + WriteIn.FH);
                int flags = u32(b, ARGS + WriteIn.WRITE_FLAGS);
                r.handlerStarted(Thread.currentThread());
                try {
                    if (pieces.size() > 1) {
                        return fs.writeGathered(r, r.nodeId(), fh, offset, pieces, flags);
                    }
                    int written = fs.write(r, r.nodeId(), fh, offset, pieces.getFirst(), flags);
                    return r.deferred() != null ? ((Number) awaitLater(r)).longValue() : written;
                } finally {
                    r.handlerFinished();
                }
            }

            @Override
            public void barrier(FuseRequest r) throws Exception {
                FileSystem fs = target(r);
                MemorySegment b = r.buffer();
                r.handlerStarted(Thread.currentThread());
                try {
                    switch (r.opcode()) {
                        case FLUSH -> fs.flush(r, r.nodeId(), u64(b, ARGS + FlushIn.FH), u64(b, ARGS + FlushIn.LOCK_OWNER));
                        case FSYNC -> fs.fsync(r, r.nodeId(), u64(b, ARGS + FsyncIn.FH),
                                (u32(b, ARGS + FsyncIn.FSYNC_FLAGS) & FsyncIn.FDATASYNC) != 0);
                        case RELEASE -> fs.release(r, r.nodeId(), u64(b, ARGS + ReleaseIn.FH),
                                u32(b, ARGS + ReleaseIn.FLAGS));
                        default -> throw new IllegalStateException("not a barrier: " + r.describe());
                    }
                    if (r.deferred() != null) {
                        awaitLater(r);
                    }
                } finally {
                    r.handlerFinished();
                }
            }

            @Override
            public void answer(FuseRequest r, long bytes, Throwable failure) {
                if (failure != null) {
                    fail(r, failure);
                } else if (r.opcode() == Opcode.WRITE) {
                    replyWritten(r, (int) bytes);
                } else {
                    complete(r, null, NO_BODY, false);
                }
            }

            @Override
            public void acknowledge(FuseRequest r, long bytes) {
                writeOut(r.buffer(), BODY, (int) bytes);
                OutHeader.write(r.buffer(), (int) (BODY + WriteOut.SIZE), 0, r.unique());
                send(r, BODY + WriteOut.SIZE);
            }

            @Override
            public void release(FuseRequest r, int errno) {
                completion.finished(r, errno, errno == 0 ? u32(r.buffer(), ARGS + WriteIn.SIZE_) : 0);
            }
        };
    }

    /** Waits for a handler's {@link io.javafuse.api.Request#later} stage: queued writes are applied one at a time. */
    private static Object awaitLater(FuseRequest r) throws Exception {
        try {
            return r.deferred().toCompletableFuture().get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private static long openOut(MemorySegment b, long at, Open o) {
        u64(b, at + OpenOut.FH, o.fh());
        u32(b, at + OpenOut.OPEN_FLAGS, o.openFlags());
        u32(b, at + OpenOut.BACKING_ID, o.backingId());
        return OpenOut.SIZE;
    }

    private static long writeOut(MemorySegment b, long at, int written) {
        u32(b, at + WriteOut.SIZE_, written);
        u32(b, at + WriteOut.SIZE_ + 4, 0);
        return WriteOut.SIZE;
    }

    private static long statfsOut(MemorySegment b, long at, StatFs s) {
        b.asSlice(at, StatfsOut.SIZE).fill((byte) 0);
        u64(b, at + StatfsOut.BLOCKS, s.blocks());
        u64(b, at + StatfsOut.BFREE, s.blocksFree());
        u64(b, at + StatfsOut.BAVAIL, s.blocksAvailable());
        u64(b, at + StatfsOut.FILES, s.files());
        u64(b, at + StatfsOut.FFREE, s.filesFree());
        u32(b, at + StatfsOut.BSIZE, s.blockSize());
        u32(b, at + StatfsOut.NAMELEN, s.nameMax());
        u32(b, at + StatfsOut.FRSIZE, s.fragmentSize());
        return StatfsOut.SIZE;
    }

    private static long lockOut(MemorySegment b, long at, Lock l) {
        u64(b, at + FileLock.START, l.start());
        u64(b, at + FileLock.END, l.end());
        u32(b, at + FileLock.TYPE, l.type());
        u32(b, at + FileLock.PID, l.pid());
        return FileLock.SIZE;
    }

    private static long lseekOut(MemorySegment b, long at, Long offset) {
        u64(b, at + LseekOut.OFFSET, offset);
        return LseekOut.SIZE;
    }

    private static long bytes(MemorySegment b, long at, String text) throws FuseException {
        return copyBytes(b, at, Names.encode(text));
    }

    private static long copyBytes(MemorySegment b, long at, byte[] bytes) throws FuseException {
        if (at + bytes.length > b.byteSize()) {
            throw new FuseException(Errno.ERANGE, "answer of " + bytes.length + " bytes does not fit");
        }
        MemorySegment.copy(bytes, 0, b, ValueLayout.JAVA_BYTE, at, bytes.length);
        return bytes.length;
    }

    /** The xattr convention: size 0 asks for the length; a smaller buffer than the value is ERANGE. */
    private static long sized(MemorySegment b, long at, byte[] value, int size) throws FuseException {
        if (size == 0) {
            u32(b, at + GetxattrOut.SIZE_, value.length);
            u32(b, at + GetxattrOut.SIZE_ + 4, 0);
            return GetxattrOut.SIZE;
        }
        if (value.length > size) {
            throw new FuseException(Errno.ERANGE);
        }
        return copyBytes(b, at, value);
    }

    private static byte[] nulSeparated(List<String> names) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (String name : names) {
            all.writeBytes(Names.encode(name));
            all.write(0);
        }
        return all.toByteArray();
    }

    /** A poll waiter: notifying it sends the kernel a POLL notification for its handle. */
    private record KernelPollHandle(FuseChannel channel, long kernelHandle) implements PollHandle {
        @Override
        public void notifyReady() throws IOException {
            try (var arena = java.lang.foreign.Arena.ofConfined()) {
                MemorySegment message = arena.allocate(OutHeader.SIZE + Structs.NotifyPollWakeupOut.SIZE, 8);
                OutHeader.write(message, (int) message.byteSize(), Structs.Notify.POLL, 0);
                u64(message, OutHeader.SIZE + Structs.NotifyPollWakeupOut.KH, kernelHandle);
                channel.write(message, MemorySegment.NULL);
            }
        }
    }
}
