package io.javafuse.testing;

import io.javafuse.Fuse;
import io.javafuse.api.FileSystem;
import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.mount.MountTable;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Mounts filesystems for a test and unmounts them after it, whatever its outcome: a normal
 * unmount first, and if that fails or hangs, an abort of the connection and a lazy unmount, so
 * that no test leaves a mount behind. Register it with {@code @RegisterExtension}.
 */
public final class MountExtension implements AfterEachCallback {
    private static final long CLOSE_TIMEOUT_SECONDS = 30;

    private final List<Mount> mounts = new ArrayList<>();
    private final List<Path> directories = new ArrayList<>();

    /** Mounts {@code fs} on a new temporary directory with default options. */
    public Mount mount(FileSystem fs) throws IOException {
        return mount(fs, MountOptions.defaults());
    }

    public synchronized Mount mount(FileSystem fs, MountOptions options) throws IOException {
        Path mountpoint = newDirectory("javafuse-mnt-");
        Mount mount = Fuse.mount(fs, mountpoint, options);
        mounts.add(mount);
        return mount;
    }

    /** A temporary directory removed after the test, for native comparisons or as a mountpoint. */
    public synchronized Path newDirectory(String prefix) throws IOException {
        Path directory = Files.createTempDirectory(prefix);
        directories.add(directory);
        return directory;
    }

    @Override
    public synchronized void afterEach(ExtensionContext context) throws Exception {
        List<Throwable> failures = new ArrayList<>();
        for (Mount mount : mounts.reversed()) {
            try {
                closeOrForce(mount);
            } catch (Throwable t) {
                failures.add(t);
            }
        }
        mounts.clear();
        for (Path directory : directories.reversed()) {
            deleteRecursively(directory);
        }
        directories.clear();
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("unmounting after the test failed");
            failures.forEach(error::addSuppressed);
            throw error;
        }
    }

    private static void closeOrForce(Mount mount) throws Exception {
        CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> {
            try {
                mount.close();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        try {
            closing.get(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            forceUnmount(mount.mountpoint());
            throw e;
        } finally {
            if (MountTable.at(mount.mountpoint()).filter(MountTable.MountEntry::isFuse).isPresent()) {
                forceUnmount(mount.mountpoint());
                throw new AssertionError("the mount at " + mount.mountpoint() + " survived close()");
            }
        }
    }

    /** The last resort: abort the connection so nothing blocks on it, then detach it. */
    public static void forceUnmount(Path mountpoint) {
        MountTable.at(mountpoint).filter(MountTable.MountEntry::isFuse).ifPresent(entry -> {
            Path abort = Path.of("/sys/fs/fuse/connections", Long.toString(entry.connectionId()), "abort");
            try {
                if (Files.exists(abort)) {
                    Files.writeString(abort, "1");
                }
                new ProcessBuilder("umount", "-l", mountpoint.toString()).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
            } catch (IOException e) {
                throw new RuntimeException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (var paths = Files.walk(directory)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
