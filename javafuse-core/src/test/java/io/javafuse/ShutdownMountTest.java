package io.javafuse;

import io.javafuse.EngineMountTest.FilesFs;
import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.api.Request;
import io.javafuse.api.ShutdownCallback;
import io.javafuse.api.ShutdownState;
import io.javafuse.api.ShutdownStats;
import io.javafuse.testing.MountExtension;
import io.javafuse.testing.RestoreFusectl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.javafuse.EngineMountTest.inProcMounts;
import static io.javafuse.EngineMountTest.procMounts;
import static io.javafuse.EngineMountTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shutdown of a real mount through the API, where it is hard: a handler that never returns,
 * and several threads asking for the shutdown at once.
 */
@ExtendWith(RestoreFusectl.class)
class ShutdownMountTest {
    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    private static final MountOptions NO_SIGNALS = MountOptions.defaults().withHandleSignals(false);


    @Test
    @Timeout(60)
    void aHandlerThatNeverReturnsMakesTheShutdownForcedAfterTheDrainingTimeout() throws Exception {
        CountDownLatch readStarted = new CountDownLatch(1);
        AtomicBoolean release = new AtomicBoolean();
        FilesFs fs = new FilesFs() {
            @Override
            public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
                    throws IOException {
                if (name(nodeId).equals("hang")) {
                    readStarted.countDown();
                    // Deaf to interrupts and to the caller giving up; only the test lets it go, at the very end.
                    while (!release.get()) {
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException ignored) {
                            // keep hanging
                        }
                    }
                }
                return super.read(request, nodeId, fh, offset, destination);
            }
        }.file("hang", "never read").directIo("hang");
        Mount mount = mounts.mount(fs, NO_SIGNALS);
        Path mountpoint = mount.mountpoint();
        Process cat = new ProcessBuilder("cat", mountpoint.resolve("hang").toString()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        CompletableFuture<String> catOutput = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        });
        try {
            assertThat(readStarted.await(20, TimeUnit.SECONDS)).as("cat's read reached the handler").isTrue();
            mount.configureShutdownTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(2));

            long start = System.nanoTime();
            ShutdownStats stats = mount.initiateGracefulShutdown("test", Duration.ofSeconds(15)).get(15, TimeUnit.SECONDS);
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            // 1 s of draining, then an abort and a few seconds at most for the session to notice.
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(900)).isLessThan(Duration.ofSeconds(8));
            assertThat(stats.finalState()).isEqualTo(ShutdownState.CLOSED);
            assertThat(stats.gracefulCompletion()).as("%s", stats).isFalse();
            assertThat(stats.failureReason()).contains("draining").contains("1 requests");
            assertThat(stats.phaseDurations()).containsKeys(ShutdownState.DRAINING, ShutdownState.UNMOUNTING);
            assertThat(stats.phaseDurations().get(ShutdownState.DRAINING)).isBetween(900L, 3000L);
            assertThat(inProcMounts(mountpoint)).as("the mount is gone").isFalse();
            assertThat(mount.isAlive()).as("CLOSED: the session has ended, its descriptors are closed").isFalse();
            assertThat(openFuseDescriptors()).as("descriptors on /dev/fuse after CLOSED").isZero();

            assertThat(cat.waitFor(10, TimeUnit.SECONDS)).as("cat is let go").isTrue();
            String output = catOutput.get(5, TimeUnit.SECONDS);
            assertThat(cat.exitValue()).as(output).isNotZero();
            assertThat(output).containsAnyOf("Transport endpoint is not connected", "Software caused connection abort");
        } finally {
            release.set(true);
            cat.destroyForcibly();
        }
    }

    @Test
    @Timeout(60)
    void aForcedShutdownAbortsAtOnceAndCompletesOnlyOnceTheSessionHasEnded() throws Exception {
        CountDownLatch readStarted = new CountDownLatch(1);
        AtomicBoolean release = new AtomicBoolean();
        FilesFs fs = new FilesFs() {
            @Override
            public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
                    throws IOException {
                readStarted.countDown();
                while (!release.get()) {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException ignored) {
                        // keep hanging
                    }
                }
                return super.read(request, nodeId, fh, offset, destination);
            }
        }.file("slow", "slow").directIo("slow");
        Mount mount = mounts.mount(fs, NO_SIGNALS);
        Path mountpoint = mount.mountpoint();
        Process cat = new ProcessBuilder("cat", mountpoint.resolve("slow").toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        List<Boolean> aliveWhenClosed = Collections.synchronizedList(new ArrayList<>());
        mount.registerShutdownCallback(new ShutdownCallback() {
            @Override
            public void onStateChange(ShutdownState from, ShutdownState to) {
                if (to == ShutdownState.CLOSED) {
                    aliveWhenClosed.add(mount.isAlive());
                }
            }
        });
        try {
            assertThat(readStarted.await(20, TimeUnit.SECONDS)).isTrue();

            long start = System.nanoTime();
            ShutdownStats stats = mount.forceImmediateShutdown("test").get(15, TimeUnit.SECONDS);
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(took).isLessThan(Duration.ofSeconds(3));
            assertThat(stats.gracefulCompletion()).isFalse();
            assertThat(stats.failureReason()).isEqualTo("forced: test");
            assertThat(inProcMounts(mountpoint)).isFalse();
            assertThat(aliveWhenClosed).as("the session was alive when the state became CLOSED").containsExactly(false);
            assertThat(mount.isAlive()).as("CLOSED: the session has ended").isFalse();
            assertThat(openFuseDescriptors()).as("descriptors on /dev/fuse after CLOSED").isZero();
            assertThat(cat.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(cat.exitValue()).isNotZero();
        } finally {
            release.set(true);
            cat.destroyForcibly();
        }
    }

    /**
     * A handler that returns after a forced shutdown closed the session's descriptors must not
     * write its answer anywhere: the descriptor numbers may by then name other files (the kernel
     * hands out the lowest free number), and the answer would land in them.
     */
    @Test
    @Timeout(60)
    void aHandlerReturningAfterAForcedShutdownWritesIntoNoOtherFile() throws Exception {
        CountDownLatch readStarted = new CountDownLatch(1);
        CountDownLatch readReturned = new CountDownLatch(1);
        AtomicBoolean release = new AtomicBoolean();
        FilesFs fs = new FilesFs() {
            @Override
            public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination)
                    throws IOException {
                readStarted.countDown();
                while (!release.get()) {
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException ignored) {
                        // keep hanging
                    }
                }
                try {
                    return super.read(request, nodeId, fh, offset, destination);
                } finally {
                    readReturned.countDown();
                }
            }
        }.file("late", "AN ANSWER THAT CAME TOO LATE").directIo("late");
        Mount mount = mounts.mount(fs, NO_SIGNALS.withReaders(1));
        Process cat = new ProcessBuilder("cat", mount.mountpoint().resolve("late").toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        Path scratch = mounts.newDirectory("javafuse-fd-reuse-");
        List<java.nio.channels.FileChannel> files = new ArrayList<>();
        try {
            assertThat(readStarted.await(20, TimeUnit.SECONDS)).isTrue();
            mount.forceImmediateShutdown("test").get(15, TimeUnit.SECONDS);
            assertThat(openFuseDescriptors()).isZero();

            // Take the lowest free descriptor numbers, the ones /dev/fuse had, for files of our own.
            for (int i = 0; i < 16; i++) {
                files.add(java.nio.channels.FileChannel.open(scratch.resolve("file-" + i),
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE));
            }
            release.set(true);
            assertThat(readReturned.await(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(200); // the answer is sent after the handler returns
            for (int i = 0; i < 16; i++) {
                assertThat(Files.size(scratch.resolve("file-" + i))).as("bytes written into file-%d", i).isZero();
            }
        } finally {
            release.set(true);
            cat.destroyForcibly();
            for (var file : files) {
                file.close();
            }
        }
    }

    private static long openFuseDescriptors() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("/dev/fuse");
                } catch (IOException closedMeanwhile) {
                    return false;
                }
            }).count();
        }
    }

    @Test
    @Timeout(60)
    void threeThreadsAskingAtOnceGetOneShutdown() throws Exception {
        Mount mount = mounts.mount(new FilesFs().file("a", "A"), NO_SIGNALS);
        assertThat(Files.readString(mount.mountpoint().resolve("a"))).isEqualTo("A");
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        mount.registerShutdownCallback(new ShutdownCallback() {
            @Override
            public void onShutdownBegin(String reason) {
                events.add("begin " + reason);
            }

            @Override
            public void onStateChange(ShutdownState from, ShutdownState to) {
                events.add(from + " -> " + to);
            }

            @Override
            public void onShutdownComplete(ShutdownStats stats) {
                events.add("complete " + stats.reason());
            }
        });

        List<String> reasons = List.of("first", "second", "third");
        CountDownLatch ready = new CountDownLatch(reasons.size());
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<CompletableFuture<ShutdownStats>>> calls = new ArrayList<>();
        for (String reason : reasons) {
            CompletableFuture<CompletableFuture<ShutdownStats>> call = new CompletableFuture<>();
            calls.add(call);
            Thread.ofPlatform().name("shutdown-caller-" + reason).start(() -> {
                ready.countDown();
                try {
                    go.await();
                    call.complete(mount.initiateGracefulShutdown(reason, Duration.ofSeconds(15)));
                } catch (Throwable t) {
                    call.completeExceptionally(t);
                }
            });
        }
        assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
        go.countDown();

        CompletableFuture<ShutdownStats> first = calls.getFirst().get(10, TimeUnit.SECONDS);
        for (var call : calls) {
            assertThat(call.get(10, TimeUnit.SECONDS)).as("every caller gets the same future").isSameAs(first);
        }
        ShutdownStats stats = first.get(20, TimeUnit.SECONDS);
        for (var call : calls) {
            assertThat(call.get().get()).isSameAs(stats);
        }
        assertThat(stats.reason()).isIn(reasons);
        assertThat(stats.gracefulCompletion()).as("%s", stats).isTrue();
        assertThat(mount.shutdownStats()).isSameAs(stats);
        assertThat(events).containsExactly("begin " + stats.reason(), "RUNNING -> DRAINING",
                "DRAINING -> UNMOUNTING", "UNMOUNTING -> CLOSED", "complete " + stats.reason());
        assertThat(inProcMounts(mount.mountpoint())).isFalse();

        // Asking again, in either way, changes nothing.
        assertThat(mount.initiateGracefulShutdown("late", Duration.ofSeconds(1))).isSameAs(first);
        assertThat(mount.forceImmediateShutdown("late").get(1, TimeUnit.SECONDS)).isSameAs(stats);
        assertThat(events).hasSize(5);
    }

    /**
     * A forced shutdown asked for after the mount closed (a cleanup in a finally block) must leave
     * alone whatever now lives where the mount was: another mount on the same directory, or a
     * connection that got the same id (the kernel hands out the lowest free device number).
     */
    @Test
    @Timeout(60)
    void aForcedShutdownAfterCloseLeavesTheNextMountAlone() throws Exception {
        Mount first = mounts.mount(new FilesFs().file("a", "first"), NO_SIGNALS);
        Path mountpoint = first.mountpoint();
        ShutdownStats closed = first.initiateGracefulShutdown("done", Duration.ofSeconds(15)).get(20, TimeUnit.SECONDS);
        assertThat(closed.gracefulCompletion()).as("%s", closed).isTrue();
        assertThat(inProcMounts(mountpoint)).isFalse();

        Mount second = Fuse.mount(new FilesFs().file("a", "second"), mountpoint, NO_SIGNALS);
        try {
            assertThat(Files.readString(mountpoint.resolve("a"))).isEqualTo("second");

            assertThat(first.forceImmediateShutdown("late cleanup").get(5, TimeUnit.SECONDS)).isSameAs(closed);

            assertThat(inProcMounts(mountpoint)).as("the second mount is still there").isTrue();
            assertThat(second.isAlive()).isTrue();
            assertThat(Files.readString(mountpoint.resolve("a"))).isEqualTo("second");
            ShutdownStats secondStats = second.initiateGracefulShutdown("test", Duration.ofSeconds(15))
                    .get(20, TimeUnit.SECONDS);
            assertThat(secondStats.gracefulCompletion()).as("%s", secondStats).isTrue();
        } finally {
            second.forceImmediateShutdown("cleanup").get(20, TimeUnit.SECONDS);
            MountExtension.forceUnmount(mountpoint);
        }
        assertThat(inProcMounts(mountpoint)).isFalse();
    }
}
