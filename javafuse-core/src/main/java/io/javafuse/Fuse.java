package io.javafuse;

import io.javafuse.api.FileSystem;
import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.mount.Mounter;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The entry point: mount a {@link FileSystem}.
 *
 * <pre>{@code
 * try (Mount mount = Fuse.mount(new MyFileSystem(), Path.of("/mnt/my"), MountOptions.defaults())) {
 *     mount.awaitTermination(Duration.ofDays(365));
 * }
 * }</pre>
 */
public final class Fuse {
    private Fuse() {}

    /**
     * Mounts {@code fs} on {@code mountpoint} and returns once the kernel's INIT has been answered,
     * so the filesystem is usable as soon as this returns.
     *
     * @throws io.javafuse.api.FuseException with a message that says what is wrong (no such
     *     mountpoint, already mounted, a stale mount, no /dev/fuse, no permission)
     */
    public static Mount mount(FileSystem fs, Path mountpoint, MountOptions options) throws IOException {
        return FuseMount.mount(fs, mountpoint, options);
    }

    public static Mount mount(FileSystem fs, Path mountpoint) throws IOException {
        return mount(fs, mountpoint, MountOptions.defaults());
    }

    /**
     * Unmounts the FUSE filesystem at {@code mountpoint}, served by this process or another one:
     * with umount2 as root, through fusermount3 otherwise. A stale mount (its process is gone)
     * is cleared as well. {@code lazy} detaches a busy mount instead of failing with EBUSY.
     */
    public static void unmount(Path mountpoint, boolean lazy) throws IOException {
        Mounter.unmount(mountpoint, lazy);
    }
}
