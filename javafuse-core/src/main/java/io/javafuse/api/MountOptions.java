package io.javafuse.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * How to mount: the kernel's mount options, what to ask for at INIT, and the engine's own settings.
 * Immutable; start from {@link #defaults()} and change what you need, or {@link #parse} a
 * {@code -o} list such as {@code "ro,allow_other,fsname=data"}.
 *
 * @param mountFlags         extra {@code mount(8)} flags by name: nosuid, nodev, noexec, noatime, ...
 * @param maxWrite           the largest WRITE the kernel may send, in bytes (at most 1 MiB unless
 *                           {@code /proc/sys/fs/fuse/max_pages_limit} was raised)
 * @param blksize            the st_blksize reported for nodes whose {@link Attr#blksize()} is 0
 * @param maxRead            the kernel's max_read mount option; 0 leaves it unset
 * @param readers            reader threads, each on its own cloned /dev/fuse descriptor
 * @param useFusermount      mount through fusermount3 even as root (non-root users always do)
 * @param autoUnmount        with fusermount3: unmount when this process dies, however it dies
 * @param dispatcher         how requests reach the handlers: queue, workers, priorities
 * @param writeQueues        per-handle write ordering, barriers, write-behind, flow control
 * @param handleSignals      SIGINT and SIGTERM shut the mount down gracefully (a second SIGINT forces
 *                           it) and then end the process, 0 if graceful; off for programs that
 *                           handle signals themselves and call {@link Mount#initiateGracefulShutdown}
 * @param clearStaleMount    a dead FUSE mount left on the mountpoint by a killed process is
 *                           detached (and logged) instead of failing the mount
 * @param handleKillpriv     the filesystem clears set-user-id and set-group-id bits (and
 *                           security.capability) itself on write, truncate and chown, when the
 *                           kernel flags the request (FUSE_HANDLE_KILLPRIV_V2); in return the
 *                           kernel stops asking GETXATTR security.capability before every write.
 *                           The kernel does not learn of the new mode, though: stat may show the
 *                           old one until the attribute cache expires, so it is off by default
 * @param kernelPassthrough  offer FUSE passthrough (Linux 6.9+) at INIT, with a stack depth of 1:
 *                           a filesystem may then hand the kernel an open descriptor per file
 *                           ({@link Request#openBacking}, {@link Open#withPassthrough}) and reads,
 *                           writes and mmap of that file go to it without reaching this process.
 *                           Registering needs CAP_SYS_ADMIN. Excludes {@link #writebackCache()}
 *                           (the kernel would drop passthrough) and {@link #handleKillpriv()} (the
 *                           kernel would leave set-id bits to the filesystem on writes it never sees)
 * @param splice             READ answers of 32 to 128 KiB whose data a filesystem names as a
 *                           range of a file ({@link FileSystem#readSource}) go from that file to
 *                           /dev/fuse through a pipe with splice(2) instead of being copied through
 *                           the request's buffer; on by default ({@code nosplice} turns it off; see
 *                           docs/performance.md for the figures)
 * @param birthTimes         STATX reaches the filesystem, so stat can show birth times. The kernel
 *                           keeps no birth time from LOOKUP, so a stat that asks for one (Java's
 *                           {@code readAttributes}, coreutils' {@code stat}) costs a STATX round trip
 *                           on top of the LOOKUP, even with the attributes cached. Off ({@code nobtime}),
 *                           STATX is answered ENOSYS at the first call, the kernel serves such a stat
 *                           from its attribute cache and reports no birth time, as with libfuse
 *                           filesystems that have no statx handler. On by default
 */
public record MountOptions(String fsname, String subtype, boolean allowOther, boolean defaultPermissions,
                           boolean readOnly, List<String> mountFlags, int maxWrite, int maxRead, int blksize,
                           int readers, boolean writebackCache, boolean posixLocks, boolean flockLocks,
                           Duration entryTimeout, Duration attrTimeout, int maxBackground,
                           boolean useFusermount, boolean autoUnmount, DispatcherConfig dispatcher,
                           WriteQueueConfig writeQueues, boolean handleSignals, boolean clearStaleMount,
                           boolean handleKillpriv, boolean kernelPassthrough, boolean splice,
                           boolean birthTimes) {

    public static final int MAX_WRITE_DEFAULT = 1 << 20;
    private static final List<String> KNOWN_FLAGS = List.of("nosuid", "suid", "nodev", "dev", "noexec", "exec",
            "noatime", "atime", "nodiratime", "diratime", "relatime", "norelatime", "strictatime", "sync",
            "async", "dirsync", "lazytime");

    public MountOptions {
        mountFlags = List.copyOf(mountFlags);
        if (maxWrite < 4096) {
            throw new IllegalArgumentException("max_write must be at least 4096: " + maxWrite);
        }
        if (writebackCache && kernelPassthrough) {
            throw new IllegalArgumentException("kernel passthrough and the writeback cache exclude each other:"
                    + " the kernel turns passthrough off when both are asked for; choose one");
        }
        if (handleKillpriv && kernelPassthrough) {
            throw new IllegalArgumentException("kernel passthrough and handle_killpriv exclude each other: with"
                    + " passthrough, writes never reach the filesystem, which could then not clear set-id bits");
        }
        if (readers < 1) {
            throw new IllegalArgumentException("readers must be at least 1: " + readers);
        }
        if (blksize <= 0 || Integer.bitCount(blksize) != 1) {
            throw new IllegalArgumentException("blksize must be a power of two: " + blksize);
        }
        for (String name : List.of(fsname, subtype)) {
            if (name.isEmpty() || name.chars().anyMatch(c -> c == ',' || c == ' ' || c < 32)) {
                throw new IllegalArgumentException("fsname and subtype must be non-empty, without commas or spaces: '" + name + "'");
            }
        }
    }

    /** Defaults: fsname and subtype "javafuse", 1 MiB writes, one reader per core (at least 2), 1 s caches, splice. */
    public static MountOptions defaults() {
        return new MountOptions("javafuse", "javafuse", false, false, false, List.of("nosuid", "nodev"),
                MAX_WRITE_DEFAULT, 0, 4096, Math.max(2, Runtime.getRuntime().availableProcessors()),
                false, false, false, Duration.ofSeconds(1), Duration.ofSeconds(1), 64, false, false,
                DispatcherConfig.defaults(), WriteQueueConfig.defaults(), true, false, false, false, true, true);
    }

    /**
     * Applies a comma-separated {@code -o} list to these options. Unknown options are an error, so
     * that a typo never mounts something other than what was asked.
     */
    public MountOptions parse(String list) {
        MountOptions o = this;
        for (String item : list.split(",")) {
            String option = item.strip();
            if (option.isEmpty()) {
                continue;
            }
            int eq = option.indexOf('=');
            String key = (eq < 0 ? option : option.substring(0, eq)).toLowerCase(Locale.ROOT);
            String value = eq < 0 ? null : option.substring(eq + 1);
            o = switch (key) {
                case "ro" -> o.withReadOnly(true);
                case "rw" -> o.withReadOnly(false);
                case "allow_other" -> o.withAllowOther(true);
                case "default_permissions" -> o.withDefaultPermissions(true);
                case "writeback_cache" -> o.withWritebackCache(true);
                case "posix_locks" -> o.withPosixLocks(true);
                case "flock_locks" -> o.withFlockLocks(true);
                case "auto_unmount" -> o.withAutoUnmount(true);
                case "clear_stale" -> o.withClearStaleMount(true);
                case "handle_killpriv" -> o.withHandleKillpriv(true);
                case "kernel_passthrough" -> o.withKernelPassthrough(true);
                case "splice" -> o.withSplice(true);
                case "nosplice" -> o.withSplice(false);
                case "btime" -> o.withBirthTimes(true);
                case "nobtime" -> o.withBirthTimes(false);
                case "fsname" -> o.withFsname(required(key, value));
                case "subtype" -> o.withSubtype(required(key, value));
                case "max_write" -> o.withMaxWrite(number(key, value));
                case "max_read" -> o.withMaxRead(number(key, value));
                case "blksize" -> o.withBlksize(number(key, value));
                case "max_background" -> o.withMaxBackground(number(key, value));
                case "entry_timeout" -> o.withEntryTimeout(seconds(key, value));
                case "attr_timeout" -> o.withAttrTimeout(seconds(key, value));
                default -> {
                    if (value == null && KNOWN_FLAGS.contains(key)) {
                        yield o.withMountFlag(key);
                    }
                    throw new IllegalArgumentException("unknown mount option '" + option + "'");
                }
            };
        }
        return o;
    }

    private static String required(String key, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("mount option " + key + " needs a value (" + key + "=...)");
        }
        return value;
    }

    private static int number(String key, String value) {
        try {
            return Integer.parseInt(required(key, value));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("mount option " + key + " needs a number, not '" + value + "'");
        }
    }

    private static Duration seconds(String key, String value) {
        try {
            return Duration.ofNanos(Math.round(Double.parseDouble(required(key, value)) * 1e9));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("mount option " + key + " needs seconds, not '" + value + "'");
        }
    }

    public MountOptions withFsname(String value) {
        return edit(b -> b.fsname = value);
    }

    public MountOptions withSubtype(String value) {
        return edit(b -> b.subtype = value);
    }

    public MountOptions withAllowOther(boolean value) {
        return edit(b -> b.allowOther = value);
    }

    public MountOptions withDefaultPermissions(boolean value) {
        return edit(b -> b.defaultPermissions = value);
    }

    public MountOptions withReadOnly(boolean value) {
        return edit(b -> b.readOnly = value);
    }

    public MountOptions withMountFlag(String flag) {
        if (!KNOWN_FLAGS.contains(flag)) {
            throw new IllegalArgumentException("unknown mount flag '" + flag + "'");
        }
        List<String> flags = new ArrayList<>(mountFlags);
        flags.add(flag);
        return edit(b -> b.mountFlags = flags);
    }

    public MountOptions withMaxWrite(int value) {
        return edit(b -> b.maxWrite = value);
    }

    public MountOptions withMaxRead(int value) {
        return edit(b -> b.maxRead = value);
    }

    public MountOptions withBlksize(int value) {
        return edit(b -> b.blksize = value);
    }

    public MountOptions withReaders(int value) {
        return edit(b -> b.readers = value);
    }

    public MountOptions withWritebackCache(boolean value) {
        return edit(b -> b.writebackCache = value);
    }

    public MountOptions withPosixLocks(boolean value) {
        return edit(b -> b.posixLocks = value);
    }

    public MountOptions withFlockLocks(boolean value) {
        return edit(b -> b.flockLocks = value);
    }

    public MountOptions withEntryTimeout(Duration value) {
        return edit(b -> b.entryTimeout = value);
    }

    public MountOptions withAttrTimeout(Duration value) {
        return edit(b -> b.attrTimeout = value);
    }

    public MountOptions withMaxBackground(int value) {
        return edit(b -> b.maxBackground = value);
    }

    public MountOptions withUseFusermount(boolean value) {
        return edit(b -> b.useFusermount = value);
    }

    public MountOptions withAutoUnmount(boolean value) {
        return edit(b -> b.autoUnmount = value);
    }

    public MountOptions withDispatcher(DispatcherConfig value) {
        return edit(b -> b.dispatcher = value);
    }

    public MountOptions withWriteQueues(WriteQueueConfig value) {
        return edit(b -> b.writeQueues = value);
    }

    public MountOptions withHandleSignals(boolean value) {
        return edit(b -> b.handleSignals = value);
    }

    public MountOptions withClearStaleMount(boolean value) {
        return edit(b -> b.clearStaleMount = value);
    }

    public MountOptions withHandleKillpriv(boolean value) {
        return edit(b -> b.handleKillpriv = value);
    }

    /**
     * Offers the kernel FUSE passthrough at INIT (see {@link #kernelPassthrough()}). Cannot be
     * combined with {@link #withWritebackCache} or {@link #withHandleKillpriv}: the constructor
     * rejects either pair being on.
     */
    public MountOptions withKernelPassthrough(boolean value) {
        return edit(b -> b.kernelPassthrough = value);
    }

    public MountOptions withSplice(boolean value) {
        return edit(b -> b.splice = value);
    }

    public MountOptions withBirthTimes(boolean value) {
        return edit(b -> b.birthTimes = value);
    }

    /** A copy with some components changed: each wither changes one. */
    private MountOptions edit(Consumer<Fields> change) {
        Fields fields = new Fields(this);
        change.accept(fields);
        return fields.build();
    }

    /** The components, mutable, for {@link #edit}. */
    private static final class Fields {
        String fsname;
        String subtype;
        boolean allowOther;
        boolean defaultPermissions;
        boolean readOnly;
        List<String> mountFlags;
        int maxWrite;
        int maxRead;
        int blksize;
        int readers;
        boolean writebackCache;
        boolean posixLocks;
        boolean flockLocks;
        Duration entryTimeout;
        Duration attrTimeout;
        int maxBackground;
        boolean useFusermount;
        boolean autoUnmount;
        DispatcherConfig dispatcher;
        WriteQueueConfig writeQueues;
        boolean handleSignals;
        boolean clearStaleMount;
        boolean handleKillpriv;
        boolean kernelPassthrough;
        boolean splice;
        boolean birthTimes;

        Fields(MountOptions o) {
            fsname = o.fsname;
            subtype = o.subtype;
            allowOther = o.allowOther;
            defaultPermissions = o.defaultPermissions;
            readOnly = o.readOnly;
            mountFlags = o.mountFlags;
            maxWrite = o.maxWrite;
            maxRead = o.maxRead;
            blksize = o.blksize;
            readers = o.readers;
            writebackCache = o.writebackCache;
            posixLocks = o.posixLocks;
            flockLocks = o.flockLocks;
            entryTimeout = o.entryTimeout;
            attrTimeout = o.attrTimeout;
            maxBackground = o.maxBackground;
            useFusermount = o.useFusermount;
            autoUnmount = o.autoUnmount;
            dispatcher = o.dispatcher;
            writeQueues = o.writeQueues;
            handleSignals = o.handleSignals;
            clearStaleMount = o.clearStaleMount;
            handleKillpriv = o.handleKillpriv;
            kernelPassthrough = o.kernelPassthrough;
            splice = o.splice;
            birthTimes = o.birthTimes;
        }

        MountOptions build() {
            return new MountOptions(fsname, subtype, allowOther, defaultPermissions, readOnly,
                    mountFlags, maxWrite, maxRead, blksize, readers, writebackCache, posixLocks,
                    flockLocks, entryTimeout, attrTimeout, maxBackground, useFusermount, autoUnmount,
                    dispatcher, writeQueues, handleSignals, clearStaleMount, handleKillpriv,
                    kernelPassthrough, splice, birthTimes);
        }
    }
}
