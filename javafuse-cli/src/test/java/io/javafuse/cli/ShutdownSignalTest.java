package io.javafuse.cli;

import io.javafuse.Fuse;
import io.javafuse.api.FuseException;
import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.api.ShutdownStats;
import io.javafuse.filesystems.memory.MemoryFileSystem;
import io.javafuse.testing.MountExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.javafuse.cli.MountPoints.isMounted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The shutdown of the javafuse command by real signals, in a child JVM, while real processes use
 * the mount: SIGTERM mid-stream under a writer that fsyncs, SIGTERM and SIGINT while idle, SIGTERM
 * while the mount is being set up and under heavy reads, two SIGINTs in a row, and a stale mount
 * left by kill -9 that --force (or {@link MountOptions#withClearStaleMount}) clears. Every child
 * process is killed after each test and every mountpoint is detached if still mounted.
 */
class ShutdownSignalTest {
    /** What the CLI promises: a graceful shutdown within 15 s of SIGINT or SIGTERM. */
    private static final Duration BUDGET = Duration.ofSeconds(15);
    private static final Duration MOUNTED_WITHIN = Duration.ofSeconds(20);
    private static final Path FUSECTL = Path.of("/sys/fs/fuse/connections");
    /** Appends and fsyncs records, logging each one durable only after its fsync; see ShutdownDurabilityTest. */
    private static final String WRITER = """
            i=0
            while :; do
              i=$((i+1))
              /usr/bin/printf 'record %s\\n' $i >> "$1/d/log" && sync "$1/d/log" && echo $i >> "$2" || exit 1
            done
            """;

    private static boolean fusectlMountedBefore;

    private final List<Process> processes = new ArrayList<>();
    private final List<Path> directories = new ArrayList<>();

    @BeforeAll
    static void noteFusectl() throws IOException {
        fusectlMountedBefore = Files.readString(Path.of("/proc/mounts")).contains(FUSECTL.toString());
    }

    /** A forced shutdown aborts through fusectl, mounting it if nobody had; put the machine back as it was. */
    @AfterAll
    static void restoreFusectl() throws Exception {
        if (!fusectlMountedBefore && Files.readString(Path.of("/proc/mounts")).contains(FUSECTL.toString())) {
            new ProcessBuilder("umount", FUSECTL.toString()).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Process process : processes) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        AssertionError leftovers = null;
        for (Path directory : directories.reversed()) {
            try {
                if (isMounted(directory)) {
                    leftovers = leftovers != null ? leftovers : new AssertionError("a mount was left behind");
                    leftovers.addSuppressed(new AssertionError(directory + " was still mounted after the test"));
                    MountExtension.forceUnmount(directory);
                }
                if (isMounted(directory)) {
                    new ProcessBuilder("umount", "-l", directory.toString()).inheritIO().start()
                            .waitFor(10, TimeUnit.SECONDS);
                }
                try (var paths = Files.walk(directory)) {
                    for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(path);
                    }
                }
            } catch (IOException e) {
                leftovers = leftovers != null ? leftovers : new AssertionError("cleaning up after the test failed");
                leftovers.addSuppressed(e);
            }
        }
        if (leftovers != null) {
            throw leftovers;
        }
    }

    // ---- SIGTERM while a writer fsyncs records

    @Test
    @Timeout(90)
    void sigtermMidStreamDrainsUnmountsAndExitsZero() throws Exception {
        Path mountpoint = newDirectory("javafuse-mnt-");
        Path scratch = newDirectory("javafuse-scratch-");
        Path statsJson = scratch.resolve("stats.json");
        CliProcess cli = start("mount", "--stats-json", statsJson.toString(), mountpoint.toString());
        awaitMounted(cli, mountpoint);
        Files.createDirectory(mountpoint.resolve("d"));

        Path durable = Files.createFile(scratch.resolve("durable"));
        Path writerErrors = scratch.resolve("writer.err");
        Process writer = startProcess(new ProcessBuilder("sh", "-c", WRITER, "writer", mountpoint.toString(),
                durable.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(writerErrors.toFile()));
        awaitLines(durable, 3, Duration.ofSeconds(10));
        Thread.sleep(200);
        assertThat(writer.isAlive()).as("the writer is still writing: %s", read(writerErrors)).isTrue();

        long start = System.nanoTime();
        cli.process.destroy(); // SIGTERM
        int exitCode = cli.exitCode(BUDGET);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        System.out.printf("SIGTERM mid-stream: exit %d after %d ms; %s%n", exitCode, took.toMillis(), cli.stderr().strip());
        assertThat(exitCode).as(cli.stderr()).isZero();
        assertThat(took).isLessThan(BUDGET);
        assertThat(isMounted(mountpoint)).as("the mount is gone").isFalse();
        String shutdown = shutdownSection(statsJson);
        assertThat(shutdown).contains("\"finalState\": \"CLOSED\"").contains("\"gracefulCompletion\": true")
                .contains("\"reason\": \"SIGTERM\"").contains("\"DRAINING\": ").contains("\"UNMOUNTING\": ");

        // The writer learned that its writes stopped: its next call failed, none vanished quietly.
        assertThat(writer.waitFor(10, TimeUnit.SECONDS)).as("the writer stops at its first failure").isTrue();
        String errors = read(writerErrors);
        assertThat(writer.exitValue()).as(errors).isNotZero();
        System.out.printf("the writer's last durable record: %s; its error: %s%n", Files.readAllLines(durable).getLast(),
                errors.strip());
        assertThat(errors).containsAnyOf("Transport endpoint is not connected", "nonexistent",
                "No such file or directory");
        assertThat(Files.readAllLines(durable)).hasSizeGreaterThanOrEqualTo(3);
    }

    // ---- signals while idle

    @Test
    @Timeout(60)
    void sigtermWhileIdleExitsZero() throws Exception {
        Path mountpoint = newDirectory("javafuse-mnt-");
        Path statsJson = newDirectory("javafuse-scratch-").resolve("stats.json");
        CliProcess cli = start("mount", "--stats-json", statsJson.toString(), mountpoint.toString());
        awaitMounted(cli, mountpoint);

        cli.process.destroy();
        assertThat(cli.exitCode(BUDGET)).as(cli.stderr()).isZero();
        assertThat(isMounted(mountpoint)).isFalse();
        assertThat(shutdownSection(statsJson)).contains("\"gracefulCompletion\": true").contains("\"reason\": \"SIGTERM\"");
    }

    @Test
    @Timeout(60)
    void sigintWhileIdleExitsZero() throws Exception {
        Path mountpoint = newDirectory("javafuse-mnt-");
        CliProcess cli = start("mount", mountpoint.toString());
        awaitMounted(cli, mountpoint);

        signal("INT", cli.process);
        assertThat(cli.exitCode(BUDGET)).as(cli.stderr()).isZero();
        assertThat(isMounted(mountpoint)).isFalse();
        assertThat(cli.stderr()).contains("SIGINT").contains("unmounted cleanly");
    }

    // ---- SIGTERM while the mount is being set up

    /**
     * Whenever SIGTERM comes, the process ends within the budget and leaves no mount. Once the
     * library has taken over the signal (just before it mounts) it shuts down gracefully: 0, or 1
     * if forced. Earlier, the JVM's own handler ends the process before anything is mounted, with
     * the conventional 128 + 15.
     */
    @ParameterizedTest(name = "SIGTERM {0} ms after start")
    @ValueSource(ints = {0, 50, 150, 300, 450, 600})
    @Timeout(60)
    void sigtermDuringMountExitsAndLeavesNoMount(int delayMillis) throws Exception {
        Path mountpoint = newDirectory("javafuse-mnt-");
        CliProcess cli = start("mount", mountpoint.toString());
        Thread.sleep(delayMillis);
        cli.process.destroy();
        int exitCode = cli.exitCode(BUDGET);
        String stderr = cli.stderr();
        System.out.printf("SIGTERM %d ms after start: exit %d, stdout [%s], stderr [%s]%n", delayMillis, exitCode,
                cli.stdout().strip(), stderr.strip());
        assertThat(isMounted(mountpoint)).as("no mount is left; stderr: %s", stderr).isFalse();
        if (exitCode == 128 + 15) {
            assertThat(cli.stdout()).as("killed by the JVM's handler: before anything was mounted").isEmpty();
        } else {
            assertThat(exitCode).as("exit status; stderr: %s", stderr).isIn(0, 1);
        }
    }

    /**
     * The kernel mount exists but INIT may not be answered yet and the mount not yet registered
     * with the signal handling: the signal must not be lost, and the mount must not survive it.
     */
    @Test
    @Timeout(90)
    void sigtermAsSoonAsTheMountAppearsShutsItDownGracefully() throws Exception {
        for (int attempt = 0; attempt < 3; attempt++) {
            Path mountpoint = newDirectory("javafuse-mnt-");
            CliProcess cli = start("mount", mountpoint.toString());
            long deadline = System.nanoTime() + MOUNTED_WITHIN.toNanos();
            while (!isMounted(mountpoint) && cli.process.isAlive() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(isMounted(mountpoint)).as("the mount appeared").isTrue();
            cli.process.destroy();
            int exitCode = cli.exitCode(BUDGET);
            String stderr = cli.stderr();
            System.out.printf("SIGTERM as the mount appeared: exit %d, stdout [%s], stderr [%s]%n", exitCode,
                    cli.stdout().strip(), stderr.strip());
            assertThat(exitCode).as(stderr).isZero();
            assertThat(stderr).contains("unmounted cleanly");
            assertThat(isMounted(mountpoint)).isFalse();
        }
    }

    // ---- SIGTERM under heavy reads

    @Test
    @Timeout(120)
    void sigtermDuringHeavyReadsExitsZero() throws Exception {
        Path mountpoint = newDirectory("javafuse-mnt-");
        Path scratch = newDirectory("javafuse-scratch-");
        CliProcess cli = start("mount", mountpoint.toString());
        awaitMounted(cli, mountpoint);
        Path big = mountpoint.resolve("big");
        long writing = System.nanoTime();
        CliProcess.run(Duration.ofSeconds(60), "dd", "if=/dev/zero", "of=" + big, "bs=1M", "count=100", "status=none");
        System.out.printf("100 MiB written in %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - writing));
        assertThat(Files.size(big)).isEqualTo(100L << 20);

        Process readers = startReaders(big, scratch.resolve("readers.err"));
        Thread.sleep(500);
        assertThat(readers.isAlive()).as("reading: %s", read(scratch.resolve("readers.err"))).isTrue();

        long start = System.nanoTime();
        cli.process.destroy();
        int exitCode = cli.exitCode(BUDGET);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        System.out.printf("SIGTERM under reads: exit %d after %d ms; %s; readers: %s%n", exitCode, took.toMillis(),
                cli.stderr().strip(), read(scratch.resolve("readers.err")).strip());
        assertThat(exitCode).as(cli.stderr()).isZero();
        assertThat(took).isLessThan(BUDGET);
        assertThat(isMounted(mountpoint)).isFalse();
        assertThat(readers.waitFor(10, TimeUnit.SECONDS)).as("the readers stop").isTrue();
    }

    // ---- SIGINT twice

    /**
     * A process holds a file open, so the graceful shutdown can only detach the mount lazily and
     * then waits (up to the unmounting timeout) for the file to be closed; a second SIGINT 30 ms
     * after the first cuts that short: the connection is aborted and the process exits 1 at once.
     */
    @Test
    @Timeout(90)
    void aSecondSigintForcesTheShutdownAndTheProcessStillExits() throws Exception {
        Path mountpoint = newDirectory("javafuse-mnt-");
        CliProcess cli = start("mount", mountpoint.toString());
        awaitMounted(cli, mountpoint);
        Path file = mountpoint.resolve("file");
        Files.writeString(file, "held open\n");
        Process holder = startProcess(new ProcessBuilder("sh", "-c", "exec 3< \"$1\"; echo open; exec sleep 60",
                "holder", file.toString()).redirectError(ProcessBuilder.Redirect.DISCARD));
        assertThat(new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8)).readLine())
                .isEqualTo("open");

        long start = System.nanoTime();
        CliProcess.run(Duration.ofSeconds(10), "sh", "-c", "kill -INT $1; sleep 0.03; kill -INT $1", "sh",
                Long.toString(cli.process.pid()));
        int exitCode = cli.exitCode(BUDGET);
        String stderr = cli.stderr();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        System.out.printf("two SIGINTs: exit %d after %d ms; %s%n", exitCode, took.toMillis(), stderr.strip());
        assertThat(took).as("the second SIGINT does not wait for the unmounting timeout").isLessThan(Duration.ofSeconds(5));
        assertThat(isMounted(mountpoint)).as(stderr).isFalse();
        assertThat(exitCode).as(stderr).isEqualTo(1);
        assertThat(stderr).contains("SIGINT").contains("unmounted by force").contains("second SIGINT");
    }

    // ---- kill -9, then mount again

    @Test
    @Timeout(120)
    void aStaleMountAfterKill9IsReportedAndClearedByForce() throws Exception {
        Path mountpoint = newDirectory("javafuse-mnt-");
        killLeavingStaleMount(mountpoint);

        CliProcess refused = start("mount", mountpoint.toString());
        int exitCode = refused.exitCode(BUDGET);
        String message = refused.stderr();
        assertThat(exitCode).as(message).isEqualTo(2);
        assertThat(message).contains("Transport endpoint is not connected").contains("--force")
                .contains(mountpoint.toString());
        assertThat(isMounted(mountpoint)).as("a refused mount leaves the stale one as it was").isTrue();

        CliProcess forced = start("mount", "--force", mountpoint.toString());
        awaitMounted(forced, mountpoint);
        Files.writeString(mountpoint.resolve("hello"), "served after --force\n");
        assertThat(CliProcess.run(Duration.ofSeconds(10), "cat", mountpoint.resolve("hello").toString()))
                .isEqualTo("served after --force\n");

        forced.process.destroy();
        assertThat(forced.exitCode(BUDGET)).as(forced.stderr()).isZero();
        assertThat(forced.stderr()).contains("stale");
        assertThat(isMounted(mountpoint)).as("neither the stale mount nor the new one is left").isFalse();
    }

    @Test
    @Timeout(90)
    void theApiClearsAStaleMountWhenAskedTo() throws Exception {
        Path mountpoint = newDirectory("javafuse-mnt-");
        killLeavingStaleMount(mountpoint);
        MountOptions options = MountOptions.defaults().withHandleSignals(false);

        assertThatThrownBy(() -> Fuse.mount(new MemoryFileSystem(), mountpoint, options).close())
                .isInstanceOf(FuseException.class)
                .hasMessageContaining("Transport endpoint is not connected").hasMessageContaining("--force");

        Mount mount = Fuse.mount(new MemoryFileSystem(), mountpoint, options.withClearStaleMount(true));
        try {
            Files.writeString(mountpoint.resolve("hello"), "served after clearing\n");
            assertThat(Files.readString(mountpoint.resolve("hello"))).isEqualTo("served after clearing\n");
            ShutdownStats stats = mount.initiateGracefulShutdown("test", BUDGET).get(20, TimeUnit.SECONDS);
            assertThat(stats.gracefulCompletion()).as("%s", stats).isTrue();
        } finally {
            mount.forceImmediateShutdown("cleanup").get(20, TimeUnit.SECONDS);
        }
        assertThat(isMounted(mountpoint)).isFalse();
    }

    /** Mounts with the CLI and kills it with SIGKILL: nobody unmounts, the mount stays, dead. */
    private void killLeavingStaleMount(Path mountpoint) throws Exception {
        CliProcess killed = start("mount", mountpoint.toString());
        awaitMounted(killed, mountpoint);
        killed.process.destroyForcibly();
        assertThat(killed.process.waitFor(BUDGET.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(isMounted(mountpoint)).as("a killed server leaves its mount behind").isTrue();
        assertThatThrownBy(() -> Files.list(mountpoint).close()).hasMessageContaining("Transport endpoint is not connected");
    }

    // ---- helpers

    /** Reads {@code file} with O_DIRECT, so that every read reaches the filesystem, again and again until one fails. */
    private Process startReaders(Path file, Path errors) throws IOException {
        String loop = "while dd if=\"$1\" of=/dev/null bs=1M iflag=direct status=none; do :; done; exit 1";
        return startProcess(new ProcessBuilder("sh", "-c", loop, "readers", file.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(errors.toFile()));
    }

    private Process startProcess(ProcessBuilder builder) throws IOException {
        Process process = builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        processes.add(process);
        return process;
    }

    private static void signal(String name, Process process) throws Exception {
        CliProcess.run(Duration.ofSeconds(10), "kill", "-" + name, Long.toString(process.pid()));
    }

    private static String shutdownSection(Path statsJson) throws IOException {
        assertThat(statsJson).as("the statistics file").exists();
        String json = Files.readString(statsJson);
        int at = json.indexOf("\"shutdown\": {");
        assertThat(at).as("a shutdown section in %s", json).isNotNegative();
        return json.substring(at);
    }

    private static void awaitLines(Path file, int lines, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (Files.readAllLines(file).size() < lines) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("fewer than " + lines + " lines in " + file + " after " + within);
            }
            Thread.sleep(5);
        }
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "";
    }

    private Path newDirectory(String prefix) throws IOException {
        Path directory = Files.createTempDirectory(prefix);
        directories.add(directory);
        return directory;
    }

    /** Starts {@code javafuse ARGS...} in a JVM of its own, on this test's class path. */
    private CliProcess start(String... args) throws IOException {
        CliProcess cli = CliProcess.start(newDirectory("javafuse-cli-"), args);
        processes.add(cli.process);
        return cli;
    }

    /** Waits for the line a mount prints once it is live. */
    private static void awaitMounted(CliProcess cli, Path mountpoint) throws Exception {
        assertThat(cli.firstLine(MOUNTED_WITHIN)).startsWith("javafuse: mounted").contains(mountpoint.toString());
        assertThat(isMounted(mountpoint)).isTrue();
    }
}
