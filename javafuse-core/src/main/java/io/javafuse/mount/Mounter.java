package io.javafuse.mount;

import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FuseException;
import io.javafuse.api.MountOptions;
import io.javafuse.sys.Syscalls;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Mounts a FUSE filesystem: with mount(2) when this process may (root), otherwise through
 * fusermount3, which opens /dev/fuse, mounts, and hands the descriptor back over a socket.
 * Checks the mountpoint first, so that a mistake is named plainly instead of as a bare errno.
 */
public final class Mounter {
    private static final String DEVICE = "/dev/fuse";

    private Mounter() {}

    public static MountedDevice mount(Path mountpoint, MountOptions options) throws FuseException {
        Path target;
        try {
            target = checkMountpoint(mountpoint);
        } catch (FuseException e) {
            if (e.errno() != Errno.ENOTCONN || !options.clearStaleMount()) {
                throw e;
            }
            clearStale(mountpoint.toAbsolutePath().normalize());
            target = checkMountpoint(mountpoint);
        }
        boolean root = Syscalls.getuid() == 0;
        if (root && !options.useFusermount() && !options.autoUnmount()) {
            return mountDirectly(target, options);
        }
        return mountWithFusermount(target, options);
    }

    /** Unmounts whatever FUSE filesystem is mounted at {@code mountpoint}. */
    public static void unmount(Path mountpoint, boolean lazy) throws FuseException {
        Path absolute = mountpoint.toAbsolutePath().normalize();
        MountTable.MountEntry entry = MountTable.at(absolute)
                .orElseThrow(() -> new FuseException(Errno.EINVAL, absolute + " is not a mount point"));
        if (!entry.isFuse()) {
            throw new FuseException(Errno.EINVAL, absolute + " is not a FUSE mount (it is " + entry.fstype() + ")");
        }
        if (Syscalls.getuid() != 0) {
            if (Fusermount.unmount(absolute, lazy) != 0) {
                throw new FuseException(Errno.EBUSY, "fusermount3 could not unmount " + absolute
                        + (lazy ? "" : " (is it busy? try --lazy)"));
            }
            return;
        }
        try {
            Syscalls.umount2(absolute.toString(), lazy ? Syscalls.MNT_DETACH : 0);
        } catch (FuseException e) {
            throw new FuseException(e.errno(), "cannot unmount " + absolute + ": " + Errno.name(e.errno())
                    + (e.errno() == Errno.EBUSY ? " (it is busy: a process has a file or its working directory there;"
                    + " --lazy detaches it now and finishes when they are done)" : ""));
        }
    }

    /** Why a directory cannot be mounted on, said so that the user knows what to do. */
    static Path checkMountpoint(Path mountpoint) throws FuseException {
        Path absolute = mountpoint.toAbsolutePath().normalize();
        try {
            // The JDK's own stat: a downcall linked here, at startup, would cost more than the call.
            if (Files.readAttributes(absolute, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isDirectory()) {
                return realMountpoint(absolute);
            }
        } catch (java.io.IOException | UnsupportedOperationException e) {
            // stat(2) itself, below, for the errno that says what to do.
        }
        Syscalls.FileStatus status;
        try {
            status = Syscalls.stat(absolute.toString());
        } catch (FuseException e) {
            throw switch (e.errno()) {
                case Errno.ENOENT -> new FuseException(Errno.ENOENT, "mountpoint " + absolute + " does not exist");
                case Errno.ENOTCONN -> new FuseException(Errno.ENOTCONN, staleMessage(absolute));
                case Errno.EACCES -> new FuseException(Errno.EACCES, "no permission to reach mountpoint " + absolute);
                default -> new FuseException(e.errno(), "cannot use mountpoint " + absolute + ": " + Errno.name(e.errno()));
            };
        }
        if (!FileMode.isDirectory(status.mode())) {
            throw new FuseException(Errno.ENOTDIR, "mountpoint " + absolute + " is not a directory");
        }
        return realMountpoint(absolute);
    }

    /** The mountpoint without symbolic links, provided nothing is mounted there yet. */
    private static Path realMountpoint(Path absolute) throws FuseException {
        Path real;
        try {
            real = absolute.toRealPath();
        } catch (java.io.IOException e) {
            throw new FuseException(Errno.ENOENT, "cannot resolve mountpoint " + absolute + ": " + e.getMessage());
        }
        Optional<MountTable.MountEntry> existing = MountTable.at(real);
        if (existing.isPresent()) {
            MountTable.MountEntry entry = existing.get();
            throw new FuseException(Errno.EBUSY, "mountpoint " + real + " is already mounted (" + entry.fstype() + " "
                    + entry.source() + "); unmount it first: " + unmountCommand(real));
        }
        return real;
    }

    /** Detaches a dead mount whose process is gone, so that a new one can take its place. */
    private static void clearStale(Path mountpoint) throws FuseException {
        System.getLogger(Mounter.class.getName()).log(System.Logger.Level.WARNING, "clearing a stale FUSE mount at "
                + mountpoint + ": the process that served it is gone (killed?), so it answered every call with "
                + "'Transport endpoint is not connected'");
        if (Syscalls.getuid() == 0) {
            Syscalls.umount2(mountpoint.toString(), Syscalls.MNT_DETACH);
        } else if (Fusermount.unmount(mountpoint, true) != 0) {
            throw new FuseException(Errno.EBUSY, "could not clear the stale mount at " + mountpoint);
        }
    }

    /** The message for a mount whose filesystem process died ("Transport endpoint is not connected"). */
    public static String staleMessage(Path mountpoint) {
        return "mountpoint " + mountpoint + " is a stale FUSE mount (Transport endpoint is not connected): "
                + "the process that served it is gone. Clear it with: " + unmountCommand(mountpoint)
                + " (or mount with --force)";
    }

    private static String unmountCommand(Path mountpoint) {
        return Syscalls.getuid() == 0 ? "umount -l " + mountpoint : "fusermount3 -uz " + mountpoint;
    }

    private static MountedDevice mountDirectly(Path target, MountOptions options) throws FuseException {
        int fd = openDevice();
        StringBuilder data = new StringBuilder()
                .append("fd=").append(fd)
                .append(",rootmode=").append(Integer.toOctalString(FileMode.S_IFDIR))
                .append(",user_id=").append(Syscalls.getuid())
                .append(",group_id=").append(Syscalls.getgid());
        if (options.defaultPermissions()) {
            data.append(",default_permissions");
        }
        if (options.allowOther()) {
            data.append(",allow_other");
        }
        if (options.maxRead() > 0) {
            data.append(",max_read=").append(options.maxRead());
        }
        try {
            Syscalls.mount(options.fsname(), target.toString(), "fuse." + options.subtype(), mountFlags(options),
                    data.toString());
        } catch (FuseException e) {
            Syscalls.close(fd);
            throw new FuseException(e.errno(), "mount " + target + " failed: " + Errno.name(e.errno())
                    + (e.errno() == Errno.EINVAL ? " (the kernel rejected the options: " + data + ")" : ""));
        }
        return new MountedDevice(fd, target, false, -1, -1);
    }

    private static int openDevice() throws FuseException {
        if (!Files.exists(Path.of(DEVICE))) {
            throw new FuseException(Errno.ENODEV, "no " + DEVICE + ": the fuse kernel module is not loaded "
                    + "(modprobe fuse), or this container was started without the device");
        }
        try {
            return Syscalls.open(DEVICE, Syscalls.O_RDWR | Syscalls.O_CLOEXEC);
        } catch (FuseException e) {
            throw new FuseException(e.errno(), "cannot open " + DEVICE + ": " + Errno.name(e.errno())
                    + (e.errno() == Errno.EACCES || e.errno() == Errno.EPERM ? " (no permission)" : ""));
        }
    }

    static long mountFlags(MountOptions options) {
        long flags = options.readOnly() ? Syscalls.MS_RDONLY : 0;
        for (String flag : options.mountFlags()) {
            switch (flag) {
                case "nosuid" -> flags |= Syscalls.MS_NOSUID;
                case "suid" -> flags &= ~Syscalls.MS_NOSUID;
                case "nodev" -> flags |= Syscalls.MS_NODEV;
                case "dev" -> flags &= ~Syscalls.MS_NODEV;
                case "noexec" -> flags |= Syscalls.MS_NOEXEC;
                case "exec" -> flags &= ~Syscalls.MS_NOEXEC;
                case "noatime" -> flags |= Syscalls.MS_NOATIME;
                case "atime" -> flags &= ~Syscalls.MS_NOATIME;
                case "nodiratime" -> flags |= Syscalls.MS_NODIRATIME;
                case "diratime" -> flags &= ~Syscalls.MS_NODIRATIME;
                case "relatime" -> flags |= Syscalls.MS_RELATIME;
                case "norelatime" -> flags &= ~Syscalls.MS_RELATIME;
                case "strictatime" -> flags |= Syscalls.MS_STRICTATIME;
                case "sync" -> flags |= Syscalls.MS_SYNCHRONOUS;
                case "async" -> flags &= ~Syscalls.MS_SYNCHRONOUS;
                case "dirsync" -> flags |= Syscalls.MS_DIRSYNC;
                case "lazytime" -> flags |= Syscalls.MS_LAZYTIME;
                default -> throw new IllegalArgumentException("unknown mount flag " + flag);
            }
        }
        return flags;
    }

    private static MountedDevice mountWithFusermount(Path target, MountOptions options) throws FuseException {
        String fusermount = Fusermount.find();
        List<String> opts = new ArrayList<>(List.of("fsname=" + options.fsname(), "subtype=" + options.subtype()));
        opts.add(options.readOnly() ? "ro" : "rw");
        opts.addAll(options.mountFlags());
        if (options.defaultPermissions()) {
            opts.add("default_permissions");
        }
        if (options.allowOther()) {
            opts.add("allow_other");
        }
        if (options.maxRead() > 0) {
            opts.add("max_read=" + options.maxRead());
        }
        if (options.autoUnmount()) {
            opts.add("auto_unmount");
        }
        int[] sockets = Syscalls.socketpair();
        int ours = sockets[0];
        int theirs = sockets[1];
        int pid;
        try {
            Syscalls.setCloseOnExec(theirs, false);
            pid = Syscalls.spawn(fusermount, new String[] {"fusermount3", "-o", String.join(",", opts), "--",
                    target.toString()}, new String[] {"_FUSE_COMMFD=" + theirs, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
        } catch (FuseException e) {
            Syscalls.close(ours);
            throw e;
        } finally {
            Syscalls.close(theirs);
        }
        int fd = Syscalls.receiveFd(ours);
        if (!options.autoUnmount() || fd < 0) {
            int status = Syscalls.waitFor(pid);
            Syscalls.close(ours);
            if (fd < 0) {
                throw new FuseException(Errno.EIO, "fusermount3 could not mount " + target + " (exit status " + status
                        + "; its message is above)");
            }
            return new MountedDevice(fd, target, true, -1, -1);
        }
        // auto_unmount: fusermount3 stays, and unmounts once this socket closes, however this process ends.
        return new MountedDevice(fd, target, true, ours, pid);
    }
}
