package io.javafuse;

import io.javafuse.api.ConnectionInfo;
import io.javafuse.api.DispatcherConfig;
import io.javafuse.api.DispatcherStats;
import io.javafuse.api.Operation;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.mount.MountTable;
import io.javafuse.mount.MountedDevice;
import io.javafuse.mount.Mounter;
import io.javafuse.session.DevFuseChannel;
import io.javafuse.session.Session;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** A mounted filesystem: the kernel mount plus the session that serves it. */
final class FuseMount implements Mount {
    private static final System.Logger LOG = System.getLogger(FuseMount.class.getName());
    /** How long close() lets a busy (lazily detached) mount finish before aborting the connection. */
    private static final Duration UNMOUNT_GRACE = Duration.ofSeconds(10);

    private final MountedDevice device;
    private final Session session;
    private final long connectionId;
    private final AtomicBoolean closed = new AtomicBoolean();

    private FuseMount(MountedDevice device, Session session, long connectionId) {
        this.device = device;
        this.session = session;
        this.connectionId = connectionId;
    }

    static FuseMount mount(FileSystem fs, Path mountpoint, MountOptions options) throws IOException {
        MountedDevice device = Mounter.mount(mountpoint, options);
        DevFuseChannel channel = new DevFuseChannel(device.fd());
        Session session = new Session(fs, options, channel, device::release);
        long connectionId = device.entry().map(MountTable.MountEntry::connectionId).orElse(-1L);
        try {
            session.start();
        } catch (IOException | RuntimeException e) {
            channel.close();
            try {
                device.unmount();
            } catch (FuseException unmountFailure) {
                e.addSuppressed(unmountFailure);
            }
            device.release();
            throw e;
        }
        return new FuseMount(device, session, connectionId);
    }

    @Override
    public Path mountpoint() {
        return device.mountpoint();
    }

    @Override
    public ConnectionInfo connection() {
        return session.connection();
    }

    @Override
    public boolean isAlive() {
        return session.isAlive();
    }

    @Override
    public void setOperationHandler(Operation operation, FileSystem handler) {
        session.setOperationHandler(operation, java.util.Objects.requireNonNull(handler, "handler"));
    }

    @Override
    public void removeOperationHandler(Operation operation) {
        session.removeOperationHandler(operation);
    }

    @Override
    public void restoreOperationHandler(Operation operation) {
        session.setOperationHandler(operation, null);
    }

    @Override
    public void setDispatcherConfig(DispatcherConfig config) {
        session.reconfigure(java.util.Objects.requireNonNull(config, "config"));
    }

    @Override
    public DispatcherConfig dispatcherConfig() {
        return session.dispatcher().config();
    }

    @Override
    public DispatcherStats dispatcherStats() {
        return session.dispatcher().stats();
    }

    @Override
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return session.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (session.isAlive()) {
                device.unmount();
            }
            if (!session.awaitTermination(UNMOUNT_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "the mount at " + mountpoint() + " is still busy after "
                        + UNMOUNT_GRACE.toSeconds() + " s; aborting its connection");
                device.abort(connectionId);
                session.awaitTermination(UNMOUNT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FuseException(io.javafuse.api.Errno.EINTR, "interrupted while unmounting " + mountpoint());
        }
    }

    @Override
    public String toString() {
        return "Mount[" + mountpoint() + "]";
    }
}
