package io.javafuse.filesystems.passthrough;

import io.javafuse.api.Errno;
import io.javafuse.api.FuseException;
import io.javafuse.api.Request;
import io.javafuse.sys.FileSyscalls;
import io.javafuse.sys.FileSyscalls.Capabilities;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Runs the system calls that create nodes (open with O_CREAT, mkdirat, mknodat, symlinkat,
 * O_TMPFILE) as the user who asked, so that the new node belongs to the caller exactly as on a
 * native filesystem: the caller's fsuid and fsgid, or the directory's group (and, for a
 * directory, its set-group-id bit) when the parent is set-group-id, all decided by the kernel.
 *
 * <p>Why a pool of platform threads: the filesystem user and group ids and the capabilities are
 * attributes of a kernel thread. Handlers run on virtual threads, which may move to another
 * carrier between two native calls, so switching identity on them could leave a carrier (and
 * whatever runs on it next) with the caller's identity, or run the creation as root. Here each
 * call runs on a thread of its own that switches, creates and switches back, and nothing else
 * ever runs on it in between.
 *
 * <p>A platform thread (a reader thread running a quick request itself) needs no hand-off: it
 * switches, creates and switches back on its own, which saves a thread wake-up per creation.
 *
 * <p>Each such thread has its own umask ({@code unshare(CLONE_FS)}), 0 while it creates: the
 * kernel already applied the caller's umask to the mode it sends, and the JVM's umask must not be
 * applied a second time.
 *
 * <p>When the filesystem runs as root, a thread working for another user keeps
 * CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (which changing fsuid drops): the permission to
 * create was already checked by the kernel ({@code default_permissions}) with all of the
 * caller's groups, which this thread cannot take on. The capabilities that would change what is
 * created (CAP_FSETID, CAP_MKNOD, CAP_CHOWN, CAP_FOWNER) stay dropped, so the kernel strips a
 * set-group-id bit and refuses device nodes exactly as it would for the caller. A filesystem not
 * running as root creates everything as itself, like any mount through fusermount3.
 */
final class Creator implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Creator.class.getName());
    private static final long KEPT_CAPABILITIES =
            (1L << FileSyscalls.CAP_DAC_OVERRIDE) | (1L << FileSyscalls.CAP_DAC_READ_SEARCH);

    /** A creating system call. */
    @FunctionalInterface
    interface Call<T> {
        T run() throws IOException;
    }

    /** What a creator thread was before it ever switched, to go back to after each call. */
    private record Identity(int fsuid, int fsgid, Capabilities capabilities) {}

    private static final ThreadLocal<Identity> ORIGINAL = new ThreadLocal<>();
    /** Set on a thread that could not become itself again; it refuses all further work. */
    private static final ThreadLocal<Boolean> BROKEN = ThreadLocal.withInitial(() -> false);
    /** Whether this platform thread has a umask of its own, so that it can create without the pool. */
    private static final ThreadLocal<Boolean> OWN_UMASK = ThreadLocal.withInitial(Creator::unshareUmask);

    private final boolean switchUsers;
    private final ExecutorService threads;

    Creator(int threadCount) {
        switchUsers = FileSyscalls.geteuid() == 0;
        ThreadFactory platform = Thread.ofPlatform().daemon(true).name("javafuse-passthrough-create-", 0).factory();
        threads = Executors.newFixedThreadPool(threadCount, task -> platform.newThread(() -> {
            prepareThread();
            task.run();
        }));
    }

    /** Whether created nodes belong to the caller (the filesystem runs as root), or to this process's user. */
    boolean switchesUsers() {
        return switchUsers;
    }

    private void prepareThread() {
        if (OWN_UMASK.get()) {
            FileSyscalls.umask(0);
        } else {
            // Without a umask of its own the thread must not change the process's: modes lose
            // what the JVM's umask masks (the kernel applied the caller's already).
            LOG.log(System.Logger.Level.WARNING, "passthrough: no umask per thread; new nodes get the "
                    + "process's umask applied as well");
        }
        rememberIdentity();
    }

    private static boolean unshareUmask() {
        try {
            FileSyscalls.unshare(FileSyscalls.CLONE_FS);
            return true;
        } catch (FuseException e) {
            LOG.log(System.Logger.Level.DEBUG, "passthrough: unshare(CLONE_FS) failed: " + e.getMessage());
            return false;
        }
    }

    private void rememberIdentity() {
        Capabilities capabilities = null;
        if (switchUsers) {
            try {
                capabilities = FileSyscalls.capget();
            } catch (FuseException e) {
                LOG.log(System.Logger.Level.WARNING, "passthrough: capget failed: " + e.getMessage());
            }
        }
        ORIGINAL.set(new Identity(FileSyscalls.setfsuid(-1), FileSyscalls.setfsgid(-1), capabilities));
    }

    /**
     * Runs {@code call}, whose permission the kernel has checked, as the user and group of
     * {@code request}, and waits for it (uninterruptibly: it is short).
     */
    <T> T asCaller(Request request, Call<T> call) throws IOException {
        return run(request, true, call);
    }

    /**
     * Like {@link #asCaller}, for a call the kernel has not checked: the source checks it, with
     * the caller's user and group (but not its supplementary groups).
     */
    <T> T asCallerChecked(Request request, Call<T> call) throws IOException {
        return run(request, false, call);
    }

    private <T> T run(Request request, boolean checkedByKernel, Call<T> call) throws IOException {
        int uid = request.uid();
        int gid = request.gid();
        if (!Thread.currentThread().isVirtual() && OWN_UMASK.get()) {
            if (ORIGINAL.get() == null) {
                rememberIdentity();
            }
            int previous = FileSyscalls.umask(0);
            try {
                return runAs(uid, gid, checkedByKernel, call);
            } finally {
                FileSyscalls.umask(previous);
            }
        }
        Future<T> result = threads.submit(() -> runAs(uid, gid, checkedByKernel, call));
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return result.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private <T> T runAs(int uid, int gid, boolean checkedByKernel, Call<T> call) throws IOException {
        if (BROKEN.get()) {
            throw new FuseException(Errno.EIO, "passthrough: this creator thread lost its identity");
        }
        Identity original = ORIGINAL.get();
        if (!switchUsers || (uid == original.fsuid() && gid == original.fsgid())) {
            return call.run();
        }
        try {
            become(uid, gid, checkedByKernel);
            return call.run();
        } finally {
            restore(original);
        }
    }

    private static void become(int uid, int gid, boolean keepDacCapabilities) throws FuseException {
        // Changing the fsuid away from 0 drops the filesystem capabilities (CAP_DAC_OVERRIDE,
        // CAP_FOWNER, CAP_FSETID, CAP_MKNOD, ...) from the effective set; setting it back restores them.
        FileSyscalls.setfsgid(gid);
        FileSyscalls.setfsuid(uid);
        // setfsuid and setfsgid report no errors: ask again, and never create as someone else.
        if (FileSyscalls.setfsuid(-1) != uid || FileSyscalls.setfsgid(-1) != gid) {
            throw new FuseException(Errno.EPERM, "cannot act as uid " + uid + " gid " + gid);
        }
        if (keepDacCapabilities) {
            Capabilities now = FileSyscalls.capget();
            long wanted = now.effective() | (KEPT_CAPABILITIES & now.permitted());
            if (wanted != now.effective()) {
                FileSyscalls.capset(now.withEffective(wanted));
            }
        }
    }

    private static void restore(Identity original) {
        FileSyscalls.setfsuid(original.fsuid());
        FileSyscalls.setfsgid(original.fsgid());
        boolean restored = FileSyscalls.setfsuid(-1) == original.fsuid() && FileSyscalls.setfsgid(-1) == original.fsgid();
        try {
            if (restored && original.capabilities() != null && !FileSyscalls.capget().equals(original.capabilities())) {
                FileSyscalls.capset(original.capabilities());
            }
        } catch (FuseException e) {
            restored = false;
        }
        if (!restored) {
            // A thread that cannot be itself again must not run anything else.
            BROKEN.set(true);
            LOG.log(System.Logger.Level.ERROR, "passthrough: a creator thread could not restore its identity");
        }
    }

    @Override
    public void close() {
        threads.shutdown();
        try {
            threads.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
