package io.javafuse.cli;

import io.javafuse.Fuse;
import io.javafuse.api.ConnectionInfo;
import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.filesystems.memory.MemoryFileSystem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sun.misc.Signal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "mount", description = {"Mount the in-memory filesystem in the foreground.",
        "Prints one line once mounted; SIGINT or SIGTERM unmounts and exits 0."})
final class MountCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "An existing, empty directory.")
    Path mountpoint;

    @Option(names = "-o", paramLabel = "OPT[,OPT...]", split = ",",
            description = "Mount options: ro, allow_other, default_permissions, fsname=, subtype=, max_read=, "
                    + "max_write=, blksize=, writeback_cache, posix_locks, flock_locks, entry_timeout=, "
                    + "attr_timeout=, auto_unmount, nosuid, nodev, noexec, noatime, ...")
    List<String> mountOptions = List.of();

    @Option(names = "--readers", paramLabel = "N", description = "Reader threads (default: cores, at least 2).")
    Integer readers;

    @Override
    public Integer call() throws Exception {
        // The kernel checks permissions from the modes the filesystem reports, as on a native filesystem.
        MountOptions options = MountOptions.defaults().withDefaultPermissions(true)
                .parse(String.join(",", mountOptions));
        if (readers != null) {
            options = options.withReaders(readers);
        }
        try (Mount mount = Fuse.mount(new MemoryFileSystem(), mountpoint, options)) {
            ConnectionInfo c = mount.connection();
            Thread main = Thread.currentThread();
            Signal.handle(new Signal("INT"), signal -> main.interrupt());
            Signal.handle(new Signal("TERM"), signal -> main.interrupt());
            System.out.println("javafuse: mounted " + mount.mountpoint() + " (FUSE 7." + c.protocolMinor()
                    + ", max_write " + c.maxWrite() + ")");
            System.out.flush();
            try {
                while (!mount.awaitTermination(Duration.ofDays(1))) {
                    // keep serving until a signal or an unmount from outside
                }
                System.err.println("javafuse: " + mount.mountpoint() + " was unmounted");
            } catch (InterruptedException signalled) {
                // SIGINT or SIGTERM: unmount below
            }
        }
        return 0;
    }
}
