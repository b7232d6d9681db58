package io.javafuse.filesystems.passthrough;

import io.javafuse.api.Errno;
import io.javafuse.api.FuseException;
import io.javafuse.api.Open;
import io.javafuse.api.Request;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Kernel passthrough for the open files of a {@link PassthroughFileSystem}: each inode open
 * through the mount has one backing id, registered from the descriptor of its first open and
 * shared by every later open of that inode, and closed after the last of them is released.
 *
 * <p>The kernel insists on this: all passthrough opens of one inode must name the same backing
 * file (another fails with EIO), and an inode is either open with passthrough or open served by
 * the daemon, never both at once (the open that would mix them fails with EIO). So an inode
 * whose registration failed is served by this process until its last open is released, and
 * every open of an inode follows the mode of the opens it already has.
 *
 * <p>A registration refused for a reason that holds for every file (EPERM: no CAP_SYS_ADMIN;
 * ELOOP: the source is on a stacked filesystem; EOPNOTSUPP, EINVAL) turns passthrough off for
 * the rest of the mount, and is logged once. Other failures (out of memory or descriptors) leave
 * only that inode served by this process.
 */
final class BackingFiles {
    private static final System.Logger LOG = System.getLogger(BackingFiles.class.getName());
    /** Backing id of an inode whose opens this process serves. */
    private static final int SERVED_HERE = 0;

    /** The mode of an inode with open files, and how many it has. */
    private static final class OpenInode {
        final int backingId;
        int opens;

        OpenInode(int backingId) {
            this.backingId = backingId;
        }
    }

    private final Map<Long, OpenInode> inodes = new HashMap<>();
    /** The inode of each open handle counted here. */
    private final Map<Long, Long> handles = new HashMap<>();
    private volatile boolean enabled;
    private volatile String disabledBecause = "not negotiated";

    /** Called at INIT: whether the kernel agreed to passthrough. */
    void negotiated(boolean passthrough) {
        enabled = passthrough;
        disabledBecause = passthrough ? null : "the kernel did not agree to passthrough at INIT";
    }

    boolean enabled() {
        return enabled;
    }

    /** Why passthrough is off, or null while it is on. */
    String disabledBecause() {
        return disabledBecause;
    }

    /** Inodes open with passthrough: backing ids registered and not yet closed. */
    synchronized int registered() {
        return (int) inodes.values().stream().filter(i -> i.backingId != SERVED_HERE).count();
    }

    /**
     * The answer to an open of {@code nodeId} on descriptor {@code fd}: with passthrough if the
     * inode already has it or its registration succeeds now, else served by this process.
     */
    Open opened(Request request, long nodeId, int fd) {
        Open plain = Open.handle(fd);
        if (!enabled) {
            synchronized (this) {
                // Opens of inodes already in passthrough must go on with it, or the kernel fails them.
                OpenInode inode = inodes.get(nodeId);
                return inode == null ? plain : count(inode, nodeId, fd, plain);
            }
        }
        synchronized (this) {
            OpenInode inode = inodes.get(nodeId);
            if (inode == null) {
                inode = new OpenInode(register(request, fd));
                inodes.put(nodeId, inode);
            }
            return count(inode, nodeId, fd, plain);
        }
    }

    private Open count(OpenInode inode, long nodeId, int fd, Open plain) {
        inode.opens++;
        handles.put((long) fd, nodeId);
        return inode.backingId == SERVED_HERE ? plain : plain.withPassthrough(inode.backingId);
    }

    private int register(Request request, int fd) {
        try {
            return request.openBacking(fd);
        } catch (IOException e) {
            int errno = e instanceof FuseException f ? f.errno() : Errno.EIO;
            if (errno == Errno.EPERM || errno == Errno.ELOOP || errno == Errno.EOPNOTSUPP || errno == Errno.EINVAL) {
                // No privilege, a stacked source, or a kernel that refuses: the same for every file.
                enabled = false;
                disabledBecause = e.getMessage();
                LOG.log(System.Logger.Level.WARNING, "kernel passthrough is off for this mount, reads and writes"
                        + " go through this process: " + e.getMessage());
            } else {
                LOG.log(System.Logger.Level.DEBUG, "no kernel passthrough for this inode until it is closed: "
                        + e.getMessage());
            }
            return SERVED_HERE;
        }
    }

    /** Called before handle {@code fh} is closed: the last release of an inode drops its backing id. */
    synchronized void released(Request request, long fh) {
        if (handles.isEmpty()) {
            return; // no handle counted (passthrough off): nothing to box the handle for
        }
        Long nodeId = handles.remove(fh);
        if (nodeId == null) {
            return;
        }
        OpenInode inode = inodes.get(nodeId);
        if (--inode.opens > 0) {
            return;
        }
        inodes.remove(nodeId);
        if (inode.backingId != SERVED_HERE) {
            // Closed under the lock: an open of the same inode must not be handed the id meanwhile.
            try {
                request.closeBacking(inode.backingId);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "closing backing id " + inode.backingId + ": " + e.getMessage());
            }
        }
    }
}
