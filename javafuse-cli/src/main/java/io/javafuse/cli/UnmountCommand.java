package io.javafuse.cli;

import io.javafuse.Fuse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "unmount", aliases = "umount", mixinStandardHelpOptions = true,
        description = "Unmount a FUSE filesystem (also a stale one).")
final class UnmountCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MOUNTPOINT")
    Path mountpoint;

    @Option(names = {"-z", "--lazy"}, description = "Detach a busy mount now; it ends when its last file is closed.")
    boolean lazy;

    @Override
    public Integer call() throws Exception {
        Fuse.unmount(mountpoint, lazy);
        return 0;
    }
}
