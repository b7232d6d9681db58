package io.javafuse.mount;

import io.javafuse.api.Errno;
import io.javafuse.api.FuseException;
import io.javafuse.sys.Syscalls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A mounted FUSE connection: the /dev/fuse descriptor to serve it on, and the means to unmount
 * or abort it.
 */
public final class MountedDevice {
    private static final Path FUSECTL = Path.of("/sys/fs/fuse/connections");

    private final int fd;
    private final Path mountpoint;
    private final boolean viaFusermount;
    private final int autoUnmountSocket;
    private final int autoUnmountPid;
    private final SpareDescriptors spare = SpareDescriptors.reserve();

    MountedDevice(int fd, Path mountpoint, boolean viaFusermount, int autoUnmountSocket, int autoUnmountPid) {
        this.fd = fd;
        this.mountpoint = mountpoint;
        this.viaFusermount = viaFusermount;
        this.autoUnmountSocket = autoUnmountSocket;
        this.autoUnmountPid = autoUnmountPid;
    }

    /**
     * Gives back the descriptors held for shutting down, so that unmounting and aborting can open
     * what they need even when the filesystem used up the process's limit. Called when shutdown
     * begins; idempotent.
     */
    public void releaseSpareDescriptors() {
        spare.release();
    }

    public int fd() {
        return fd;
    }

    public Path mountpoint() {
        return mountpoint;
    }

    /** Our mount, if it is still in the mount table (a lazily unmounted or foreign one does not count). */
    public Optional<MountTable.MountEntry> entry() {
        return MountTable.at(mountpoint).filter(MountTable.MountEntry::isFuse);
    }

    /**
     * Unmounts. A busy mount (open files, a shell inside) is detached lazily: it disappears from
     * the namespace now and the connection ends when the last file is closed.
     */
    public void unmount() throws FuseException {
        if (knownGone()) {
            return;
        }
        if (viaFusermount) {
            if (Fusermount.unmount(mountpoint, false) != 0 && entry().isPresent()
                    && Fusermount.unmount(mountpoint, true) != 0 && entry().isPresent()) {
                throw new FuseException(Errno.EBUSY, "fusermount3 could not unmount " + mountpoint);
            }
            return;
        }
        try {
            Syscalls.umount2(mountpoint.toString(), 0);
        } catch (FuseException e) {
            if (e.errno() != Errno.EBUSY) {
                throwUnlessGone(e);
                return;
            }
            try {
                Syscalls.umount2(mountpoint.toString(), Syscalls.MNT_DETACH);
            } catch (FuseException again) {
                // A forced shutdown on another thread may have detached it in between.
                throwUnlessGone(again);
            }
        }
    }

    /** EINVAL (no longer a mount point) and ENOENT mean the mount is gone already: what was wanted. */
    private static void throwUnlessGone(FuseException e) throws FuseException {
        if (e.errno() != Errno.EINVAL && e.errno() != Errno.ENOENT) {
            throw e;
        }
    }

    /**
     * Aborts the connection through fusectl: every waiting caller gets ENOTCONN at once and the
     * readers see the device close. Used when an unmount does not end the session in time.
     */
    public boolean abort(long connectionId) {
        try {
            if (!Files.exists(FUSECTL.resolve(Long.toString(connectionId)))) {
                mountFusectl();
            }
            Path abort = FUSECTL.resolve(Long.toString(connectionId)).resolve("abort");
            if (Files.exists(abort)) {
                Files.writeString(abort, "1");
                return true;
            }
        } catch (IOException e) {
            System.getLogger(MountedDevice.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot abort FUSE connection " + connectionId, e);
        }
        return false;
    }

    private static void mountFusectl() {
        try {
            if (Files.isDirectory(FUSECTL) && MountTable.at(FUSECTL).isEmpty()) {
                Syscalls.mount("fusectl", FUSECTL.toString(), "fusectl", 0, "");
            }
        } catch (FuseException e) {
            // Not root, or fusectl is unavailable: abort is then not possible; the caller falls back.
        }
    }

    /** Detaches the mount at once, busy or not (after an abort, so that nothing waits on it). */
    public void detach() {
        if (knownGone()) {
            return;
        }
        try {
            if (viaFusermount) {
                Fusermount.unmount(mountpoint, true);
            } else {
                Syscalls.umount2(mountpoint.toString(), Syscalls.MNT_DETACH);
            }
        } catch (FuseException e) {
            System.getLogger(MountedDevice.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot detach " + mountpoint, e);
        }
    }

    /** True when the mount table shows the mount gone; false when it is there or cannot be read. */
    private boolean knownGone() {
        try {
            return entry().isEmpty();
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    /** Releases what mounting left behind: the auto_unmount helper's socket and process, the spare descriptors. */
    public void release() {
        spare.release();
        if (autoUnmountSocket >= 0) {
            try {
                Syscalls.close(autoUnmountSocket);
                Syscalls.waitFor(autoUnmountPid);
            } catch (FuseException e) {
                System.getLogger(MountedDevice.class.getName()).log(System.Logger.Level.DEBUG,
                        "releasing fusermount3 helper", e);
            }
        }
    }
}
