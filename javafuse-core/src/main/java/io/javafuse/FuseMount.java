package io.javafuse;

import io.javafuse.api.ConnectionInfo;
import io.javafuse.api.DispatcherConfig;
import io.javafuse.api.DispatcherStats;
import io.javafuse.api.Errno;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.api.Operation;
import io.javafuse.api.ShutdownCallback;
import io.javafuse.api.ShutdownState;
import io.javafuse.api.ShutdownStats;
import io.javafuse.api.WriteQueueConfig;
import io.javafuse.api.WriteQueueStats;
import io.javafuse.mount.MountTable;
import io.javafuse.mount.MountedDevice;
import io.javafuse.mount.Mounter;
import io.javafuse.session.DevFuseChannel;
import io.javafuse.session.Session;
import io.javafuse.shutdown.ShutdownManager;
import io.javafuse.shutdown.SignalHandling;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A mounted filesystem: the kernel mount, the session that serves it, and its shutdown. */
final class FuseMount implements Mount, ShutdownManager.Target {
    /** close() takes at most this long: the default draining and unmounting timeouts, and some slack. */
    private static final Duration CLOSE_BUDGET = Duration.ofSeconds(15);

    private final MountedDevice device;
    private final Session session;
    private final long connectionId;
    private final ShutdownManager shutdown;

    private FuseMount(MountedDevice device, Session session, long connectionId) {
        this.device = device;
        this.session = session;
        this.connectionId = connectionId;
        this.shutdown = new ShutdownManager(this);
    }

    static FuseMount mount(FileSystem fs, Path mountpoint, MountOptions options) throws IOException {
        if (options.handleSignals()) {
            // Before mounting, so that a signal during the mount is not lost.
            SignalHandling.install();
        }
        MountedDevice device = Mounter.mount(mountpoint, options);
        DevFuseChannel channel = new DevFuseChannel(device.fd());
        CompletableFuture<FuseMount> mounted = new CompletableFuture<>();
        Session session = new Session(fs, options, channel, () -> {
            device.release();
            mounted.thenAccept(m -> m.shutdown.sessionEnded());
        });
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
        FuseMount mount = new FuseMount(device, session, connectionId);
        mounted.complete(mount);
        if (options.handleSignals()) {
            SignalHandling.register(mount.shutdown);
        }
        return mount;
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

    // ---- dispatcher

    @Override
    public void setOperationHandler(Operation operation, FileSystem handler) {
        session.setOperationHandler(operation, Objects.requireNonNull(handler, "handler"));
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

    // ---- write queues

    @Override
    public void configureWriteQueues(WriteQueueConfig config) {
        session.writeQueues().configure(config);
    }

    @Override
    public WriteQueueConfig writeQueueConfig() {
        return session.writeQueues().config();
    }

    @Override
    public WriteQueueStats writeQueueStats() {
        return session.writeQueues().stats();
    }

    @Override
    public void flushWriteQueue(long fh, Duration timeout) throws InterruptedException, TimeoutException {
        session.writeQueues().flushWriteQueue(fh, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void flushAllWriteQueues(Duration timeout) throws InterruptedException, TimeoutException {
        session.writeQueues().flushAllWriteQueues(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    // ---- shutdown

    @Override
    public ShutdownState shutdownState() {
        return shutdown.state();
    }

    @Override
    public CompletableFuture<ShutdownStats> initiateGracefulShutdown(String reason, Duration timeout) {
        return shutdown.initiateGraceful(reason, timeout);
    }

    @Override
    public CompletableFuture<ShutdownStats> forceImmediateShutdown(String reason) {
        return shutdown.forceImmediate(reason);
    }

    @Override
    public void configureShutdownTimeouts(Duration draining, Duration unmounting) {
        shutdown.configureTimeouts(draining, unmounting);
    }

    @Override
    public void registerShutdownCallback(ShutdownCallback callback) {
        shutdown.register(Objects.requireNonNull(callback, "callback"));
    }

    @Override
    public ShutdownStats shutdownStats() {
        return shutdown.stats();
    }

    @Override
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        try {
            shutdown.completion().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    /** A graceful shutdown: drain, unmount, wait; forced past the timeouts. */
    @Override
    public void close() throws IOException {
        ShutdownStats stats;
        try {
            stats = shutdown.initiateGraceful("close()", CLOSE_BUDGET).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FuseException(Errno.EINTR, "interrupted while unmounting " + mountpoint());
        } catch (ExecutionException e) {
            throw new FuseException(Errno.EIO, "shutting down " + mountpoint() + " failed: " + e.getCause(), e);
        }
        SignalHandling.unregister(shutdown);
        if (!stats.gracefulCompletion()) {
            System.getLogger(FuseMount.class.getName()).log(System.Logger.Level.WARNING,
                    "the mount at " + mountpoint() + " was closed by force: " + stats.failureReason());
        }
    }

    // ---- what the shutdown manager does to this mount

    @Override
    public void beginDraining() {
        device.releaseSpareDescriptors();
        session.dispatcher().beginDraining();
    }

    @Override
    public boolean isDrained() {
        return session.dispatcher().pending() == 0 && session.writeQueues().pending() == 0;
    }

    @Override
    public String pending() {
        return session.dispatcher().pending() + " requests and " + session.writeQueues().pending()
                + " queued writes still pending";
    }

    @Override
    public void unmount() throws FuseException {
        device.unmount();
    }

    @Override
    public void abort() {
        device.releaseSpareDescriptors();
        session.writeQueues().abandon();
        session.abandonRunningHandlers();
        if (!device.abort(connectionId)) {
            System.getLogger(FuseMount.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot abort the connection of " + mountpoint() + " (no fusectl); detaching it");
        }
        device.detach();
    }

    @Override
    public boolean isClosed() {
        return !session.isAlive();
    }

    @Override
    public long requestsCompleted() {
        return session.dispatcher().stats().totalCompleted();
    }

    @Override
    public long requestsRefused() {
        return session.dispatcher().refused();
    }

    @Override
    public long writesApplied() {
        WriteQueueStats.Counts all = session.writeQueues().stats().aggregate();
        return all.completedOperations() + all.failedOperations();
    }

    @Override
    public long writesLost() {
        return session.writeQueues().stats().lostWrites();
    }

    @Override
    public String toString() {
        return "Mount[" + mountpoint() + "]";
    }
}
