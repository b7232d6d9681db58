package io.javafuse.cli;

import io.javafuse.Fuse;
import io.javafuse.api.ConnectionInfo;
import io.javafuse.api.DispatcherConfig;
import io.javafuse.api.FileSystem;
import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.api.ShutdownCallback;
import io.javafuse.api.ShutdownStats;
import io.javafuse.filesystems.memory.MemoryFileSystem;
import io.javafuse.filesystems.passthrough.PassthroughFileSystem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "mount", mixinStandardHelpOptions = true,
        description = {"Mount the in-memory filesystem (or, with --source, a directory) in the foreground.",
        "Prints one line once mounted. SIGINT or SIGTERM shuts it down gracefully (within 15 s) and exits 0;",
        "a second SIGINT forces it (exit 1)."})
final class MountCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "An existing, empty directory.")
    Path mountpoint;

    @Option(names = "--source", paramLabel = "DIR",
            description = "Mirror the directory DIR (passthrough, its locks included) instead of the in-memory filesystem.")
    Path source;

    @Option(names = "-o", paramLabel = "OPT[,OPT...]", split = ",",
            description = "Mount options: ro, allow_other, default_permissions, fsname=, subtype=, max_read=, "
                    + "max_write=, blksize=, writeback_cache, posix_locks, flock_locks, entry_timeout=, "
                    + "attr_timeout=, auto_unmount, kernel_passthrough, nosplice, nobtime, nosuid, nodev, noexec, noatime, ...")
    List<String> mountOptions = List.of();

    @Option(names = "--readers", paramLabel = "N", description = "Reader threads (default: cores, at least 2).")
    Integer readers;

    @Option(names = "--workers", paramLabel = "N|virtual",
            description = "Handler threads: a fixed pool of N platform threads, or virtual (the default).")
    String workers;

    @Option(names = "--max-queue", paramLabel = "N",
            description = "Requests queued for the handlers before the readers stop reading (default 256).")
    Integer maxQueue;

    @Option(names = "--no-priority", description = "Run requests first in, first out (no priorities).")
    boolean noPriority;

    @Option(names = "--no-inline",
            description = "Hand every request to a worker, even quick ones that a reader thread could answer itself.")
    boolean noInline;

    @Option(names = "--no-write-queues",
            description = "Run each write as soon as a handler takes it: no per-file ordering, barriers or write limits.")
    boolean noWriteQueues;

    @Option(names = "--write-behind",
            description = "Answer writes once queued and apply them in the background; a failure is reported "
                    + "by the next flush or fsync of the file.")
    boolean writeBehind;

    @Option(names = "--stats-interval", paramLabel = "SECONDS",
            description = "Print ops/s, MiB/s, queue depth and p99 latency on stderr every SECONDS.")
    Double statsInterval;

    @Option(names = "--stats-json", paramLabel = "FILE", description = "At exit, write the final statistics as JSON.")
    Path statsJson;

    @Option(names = "--kernel-passthrough",
            description = "With --source, as root on Linux 6.9+: open files are handed to the kernel (FUSE "
                    + "passthrough), which then reads and writes them without javafuse. Not with writeback_cache "
                    + "or handle_killpriv. "
                    + "Where the kernel or the privileges do not allow it, mounts anyway without it and says why.")
    boolean kernelPassthrough;

    @Option(names = "--kernel-cache",
            description = "With --source: the kernel keeps file pages and directory listings from one open to the "
                    + "next, so repeated reads and listings need no request; a change made to the source behind "
                    + "the mount is then not seen while the kernel keeps its copy.")
    boolean kernelCache;

    @Option(names = "--force", description = "Clear a stale mount left on MOUNTPOINT by a killed process, then mount.")
    boolean force;

    /**
     * The usual command lines without picocli, which costs about 150 ms at every start: its
     * classes are compiled for Java 5, which the JDK's AOT cache and CDS archive cannot hold
     * linked, so they are loaded and verified from the jar each time, and it reads the annotations
     * by reflection. Parses {@code args} from {@code from} on, and returns the command exactly as
     * picocli would fill it, or null for anything this does not know (help, version, an unknown or
     * repeated option, {@code --}, a value that looks like an option, a number picocli might read
     * otherwise, a missing or second mountpoint): picocli then parses it and names the mistake.
     */
    static MountCommand parseSimple(String[] args, int from) {
        MountCommand command = new MountCommand();
        List<String> options = null;
        java.util.Set<String> seen = new java.util.HashSet<>();
        try {
            for (int i = from; i < args.length; i++) {
                String arg = args[i];
                if (arg.isEmpty()) {
                    return null;
                }
                if (arg.charAt(0) != '-') {
                    if (command.mountpoint != null) {
                        return null;
                    }
                    command.mountpoint = Path.of(arg);
                    continue;
                }
                String name = arg;
                String value = null;
                int equals = arg.indexOf('=');
                if (arg.startsWith("--") && equals > 0) {
                    name = arg.substring(0, equals);
                    value = arg.substring(equals + 1);
                }
                if (!name.equals("-o") && !seen.add(name)) {
                    return null;
                }
                switch (name) {
                    case "--no-priority", "--no-inline", "--no-write-queues", "--write-behind", "--kernel-passthrough",
                         "--kernel-cache", "--force" -> {
                        if (value != null) {
                            return null;
                        }
                        switch (name) {
                            case "--no-priority" -> command.noPriority = true;
                            case "--no-inline" -> command.noInline = true;
                            case "--no-write-queues" -> command.noWriteQueues = true;
                            case "--write-behind" -> command.writeBehind = true;
                            case "--kernel-passthrough" -> command.kernelPassthrough = true;
                            case "--kernel-cache" -> command.kernelCache = true;
                            default -> command.force = true;
                        }
                        continue;
                    }
                    case "-o", "--source", "--readers", "--workers", "--max-queue", "--stats-interval", "--stats-json" -> {
                        if (value == null) {
                            if (++i == args.length) {
                                return null;
                            }
                            value = args[i];
                        }
                    }
                    default -> {
                        return null;
                    }
                }
                if (value.isEmpty() || value.charAt(0) == '-') {
                    return null;
                }
                switch (name) {
                    case "-o" -> {
                        if (value.indexOf('"') >= 0 || value.indexOf('\'') >= 0 || value.startsWith(",")
                                || value.endsWith(",") || value.contains(",,")) {
                            return null;
                        }
                        if (options == null) {
                            options = new java.util.ArrayList<>();
                        }
                        options.addAll(List.of(value.split(",")));
                    }
                    case "--source" -> command.source = Path.of(value);
                    case "--stats-json" -> command.statsJson = Path.of(value);
                    case "--workers" -> command.workers = value;
                    case "--stats-interval" -> {
                        if (!plainNumber(value, true)) {
                            return null;
                        }
                        command.statsInterval = Double.valueOf(value);
                    }
                    default -> {
                        if (!plainNumber(value, false)) {
                            return null;
                        }
                        Integer number = Integer.valueOf(value);
                        if (name.equals("--readers")) {
                            command.readers = number;
                        } else {
                            command.maxQueue = number;
                        }
                    }
                }
            }
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
        if (command.mountpoint == null) {
            return null;
        }
        if (options != null) {
            command.mountOptions = options;
        }
        return command;
    }

    /** Up to 9 digits, with a decimal point among them if {@code decimal}: read alike by picocli and here. */
    private static boolean plainNumber(String value, boolean decimal) {
        int points = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '.' && decimal && i > 0 && i < value.length() - 1) {
                points++;
            } else if (c < '0' || c > '9') {
                return false;
            }
        }
        return points <= 1 && value.length() <= 9;
    }

    @Override
    public Integer call() throws Exception {
        // The kernel checks permissions from the modes the filesystem reports, as on a native filesystem.
        MountOptions options = MountOptions.defaults().withDefaultPermissions(true)
                .parse(String.join(",", mountOptions)).withClearStaleMount(force);
        if (kernelPassthrough) {
            if (options.writebackCache()) {
                throw new IllegalArgumentException("--kernel-passthrough and -o writeback_cache exclude each other:"
                        + " the kernel turns passthrough off with the writeback cache");
            }
            if (options.handleKillpriv()) {
                throw new IllegalArgumentException("--kernel-passthrough and -o handle_killpriv exclude each other:"
                        + " writes no longer reach javafuse, which could then not clear set-id bits");
            }
            options = options.withKernelPassthrough(true);
        }
        if (kernelCache && source == null) {
            throw new IllegalArgumentException("--kernel-cache needs --source: it is an option of the passthrough"
                    + " filesystem");
        }
        if (options.kernelPassthrough() && source == null) {
            throw new IllegalArgumentException("--kernel-passthrough needs --source: the in-memory filesystem has"
                    + " no files for the kernel to read");
        }
        if (readers != null) {
            options = options.withReaders(readers);
        }
        options = options.withDispatcher(dispatcherConfig(options.dispatcher()));
        if (noWriteQueues && writeBehind) {
            throw new IllegalArgumentException("--write-behind needs the write queues; drop --no-write-queues");
        }
        options = options.withWriteQueues(options.writeQueues().withEnabled(!noWriteQueues)
                .withWriteBehind(writeBehind));
        // SIGINT and SIGTERM are the library's: a graceful shutdown, then exit 0 (1 if it had to be forced).
        FileSystem filesystem = filesystem();
        if (source != null) {
            // Locks taken through the mount are the source's, seen by everyone who uses it.
            options = options.withPosixLocks(true).withFlockLocks(true);
        }
        Mount mount = Fuse.mount(filesystem, mountpoint, options);
        StatsReport stats = new StatsReport(mount);
        mount.registerShutdownCallback(new ShutdownCallback() {
            @Override
            public void onShutdownBegin(String reason) {
                System.err.println("javafuse: shutting down " + mount.mountpoint() + " (" + reason + ")");
            }

            @Override
            public void onShutdownComplete(ShutdownStats result) {
                System.err.println("javafuse: " + (result.gracefulCompletion() ? "unmounted cleanly"
                        : "unmounted by force: " + result.failureReason()) + " in " + result.totalDurationMs() + " ms");
                if (statsJson != null) {
                    try {
                        Files.writeString(statsJson, Json.write(stats.json(result)));
                    } catch (IOException e) {
                        System.err.println("javafuse: cannot write " + statsJson + ": " + e.getMessage());
                    }
                }
            }
        });
        if (statsInterval != null) {
            startStatsLine(stats);
        }
        ConnectionInfo c = mount.connection();
        String passthroughOff = options.kernelPassthrough() ? passthroughOff(c) : null;
        System.out.println("javafuse: mounted " + mount.mountpoint() + " (FUSE 7." + c.protocolMinor()
                + ", max_write " + c.maxWrite() + (options.kernelPassthrough() && passthroughOff == null
                ? ", kernel passthrough" : "") + ")");
        if (passthroughOff != null) {
            System.out.println("javafuse: kernel passthrough is off, reads and writes go through javafuse: "
                    + passthroughOff);
        }
        System.out.flush();
        while (!mount.awaitTermination(Duration.ofDays(1))) {
            // serve until a signal, an unmount from outside, or `javafuse unmount`
        }
        ShutdownStats result = mount.shutdownStats();
        return result == null || result.gracefulCompletion() ? 0 : 1;
    }

    /** Why kernel passthrough cannot work on this mount, or null if it can. */
    private static String passthroughOff(ConnectionInfo connection) {
        if (!connection.passthrough()) {
            return "the kernel did not agree to it (it needs Linux 6.9+ built with CONFIG_FUSE_PASSTHROUGH)";
        }
        if (!hasCapSysAdmin()) {
            return "registering backing files needs CAP_SYS_ADMIN (run as root)";
        }
        return null;
    }

    /** CAP_SYS_ADMIN (bit 21) in this process's effective capabilities. */
    private static boolean hasCapSysAdmin() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << 21)) != 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown: let the first open find out (the filesystem falls back and logs it)
        }
        return true;
    }

    /** The in-memory filesystem, or with --source the passthrough filesystem of that directory. */
    private FileSystem filesystem() throws IOException {
        if (source == null) {
            return new MemoryFileSystem();
        }
        if (!Files.isDirectory(source)) {
            throw new IllegalArgumentException("--source " + source
                    + (Files.exists(source) ? " is not a directory" : " does not exist"));
        }
        return new PassthroughFileSystem(source).keepKernelCache(kernelCache);
    }

    private DispatcherConfig dispatcherConfig(DispatcherConfig config) {
        if (workers != null) {
            if (workers.equals("virtual")) {
                config = config.withWorkerThreads(0);
            } else {
                try {
                    config = config.withWorkerThreads(Integer.parseInt(workers));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--workers takes a number or 'virtual', not '" + workers + "'");
                }
                if (config.workerThreads() < 1) {
                    throw new IllegalArgumentException("--workers must be at least 1, or 'virtual'");
                }
            }
        }
        if (maxQueue != null) {
            config = config.withMaxQueueSize(maxQueue);
        }
        if (noInline) {
            config = config.withInline(false);
        }
        if (noPriority) {
            config = config.withPriorityOrdering(false);
        }
        return config;
    }

    private void startStatsLine(StatsReport stats) {
        if (statsInterval <= 0) {
            throw new IllegalArgumentException("--stats-interval must be positive");
        }
        long periodMillis = Math.max(1, Math.round(statsInterval * 1000));
        Thread.ofPlatform().daemon(true).name("javafuse-stats").start(() -> {
            while (true) {
                try {
                    Thread.sleep(periodMillis);
                } catch (InterruptedException e) {
                    return;
                }
                System.err.println(stats.line());
            }
        });
    }
}
