package io.javafuse.filesystems.memory;

import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.api.ShutdownState;
import io.javafuse.api.ShutdownStats;
import io.javafuse.testing.MountExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A graceful shutdown through the API while a writer process appends records and fsyncs each:
 * whatever the writer was told is durable is still in the filesystem afterwards, the writer
 * learns that its next write did not happen, and the mount leaves no thread, descriptor or
 * mount behind. Repeated, because the interesting moments (a write admitted just before
 * draining, an fsync during it, a file still open at unmount) come at random.
 */
class ShutdownDurabilityTest {
    private static final Duration BUDGET = Duration.ofSeconds(15);
    /**
     * Appends "record N", fsyncs the file (coreutils 9 {@code sync FILE}), and only then logs N as
     * durable; stops at the first failure. The log is in a directory made through the mount, so
     * that once the mount is gone a write fails instead of landing in the directory beneath.
     * coreutils' printf rather than dash's echo, which reports every failed write as "I/O error".
     */
    private static final String WRITER = """
            i=0
            while :; do
              i=$((i+1))
              /usr/bin/printf 'record %s\\n' $i >> "$1/d/log" && sync "$1/d/log" && echo $i >> "$2" || exit 1
            done
            """;

    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    private Path scratch;
    private Process writer;

    @BeforeEach
    void scratch() throws IOException {
        scratch = Files.createTempDirectory(Path.of("/dev/shm"), "javafuse-durable-");
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (writer != null) {
            writer.destroyForcibly();
            writer.waitFor(10, TimeUnit.SECONDS);
        }
        try (var paths = Files.walk(scratch)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    @RepeatedTest(20)
    @Timeout(30)
    void everyRecordFsyncedBeforeAGracefulShutdownSurvivesIt() throws Exception {
        Map<Integer, String> fdsBefore = openDescriptors();
        MemoryFileSystem fs = new MemoryFileSystem();
        MountOptions options = MountOptions.defaults().withHandleSignals(false);
        Mount mount = mounts.mount(fs, options);
        Path mountpoint = mount.mountpoint();
        Files.createDirectory(mountpoint.resolve("d"));
        Path durable = scratch.resolve("durable");
        Path writerErrors = scratch.resolve("writer.err");
        Files.createFile(durable);

        long started = System.nanoTime();
        writer = new ProcessBuilder("sh", "-c", WRITER, "writer", mountpoint.toString(), durable.toString())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(writerErrors.toFile()).start();
        // Mid-stream: some records are durable, and at least 200 ms have passed.
        awaitLines(durable, 3, Duration.ofSeconds(10));
        long sinceStart = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        if (sinceStart < 200) {
            Thread.sleep(200 - sinceStart);
        }
        assertThat(writer.isAlive()).as("the writer is still writing: %s", read(writerErrors)).isTrue();

        CompletableFuture<ShutdownStats> shutdown = CompletableFuture
                .supplyAsync(() -> mount.initiateGracefulShutdown("test", BUDGET),
                        runnable -> Thread.ofPlatform().name("test-shutdown-caller").start(runnable))
                .thenCompose(f -> f);
        ShutdownStats stats = shutdown.get(BUDGET.toSeconds() + 5, TimeUnit.SECONDS);

        assertThat(stats.finalState()).isEqualTo(ShutdownState.CLOSED);
        assertThat(mount.shutdownState()).isEqualTo(ShutdownState.CLOSED);
        assertThat(stats.gracefulCompletion()).as("%s", stats).isTrue();
        assertThat(stats.reason()).isEqualTo("test");
        assertThat(Duration.ofMillis(stats.totalDurationMs())).isLessThan(BUDGET);
        assertThat(isMounted(mountpoint)).as("the mount is gone").isFalse();

        assertThat(writer.waitFor(10, TimeUnit.SECONDS)).as("the writer stops at its first failure").isTrue();
        String errors = read(writerErrors);
        assertThat(writer.exitValue()).as("the writer saw an error: %s", errors).isNotZero();
        assertThat(errors).as("why the writer stopped")
                .containsAnyOf("Transport endpoint is not connected", "nonexistent", "No such file or directory");

        assertNoThreadsLeft();
        assertDescriptorsReleased(fdsBefore);

        // Every record logged as durable is in the filesystem: mount the same instance again and read it.
        List<Integer> durableRecords = Files.readAllLines(durable).stream().map(Integer::parseInt).toList();
        assertThat(durableRecords).isNotEmpty();
        Mount again = mounts.mount(fs, options);
        List<String> log = Files.readAllLines(again.mountpoint().resolve("d/log"));
        int lastDurable = durableRecords.getLast();
        assertThat(log.size()).as("records in the store vs the last durable one").isGreaterThanOrEqualTo(lastDurable);
        for (int i = 1; i <= log.size(); i++) {
            assertThat(log.get(i - 1)).as("line %d of the log", i).isEqualTo("record " + i);
        }
        again.close();
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

    /** No javafuse thread, platform or virtual, survives CLOSED (after a short grace period). */
    private void assertNoThreadsLeft() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        Set<String> left;
        do {
            left = javafuseThreads();
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        assertThat(left).as("javafuse threads left after CLOSED").isEmpty();
    }

    /** Every live thread's name starting with javafuse-, virtual ones included (from a thread dump). */
    private Set<String> javafuseThreads() throws Exception {
        Set<String> names = new TreeSet<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().startsWith("javafuse-")) {
                names.add(thread.getName() + " (" + thread.getState() + ")");
            }
        }
        Path dump = scratch.resolve("threads-" + System.nanoTime() + ".txt");
        dumpThreads(dump);
        Matcher m = Pattern.compile("\"(javafuse-[^\"]*)\"").matcher(Files.readString(dump));
        while (m.find()) {
            names.add(m.group(1));
        }
        Files.delete(dump);
        return names;
    }

    /** No /dev/fuse descriptor is left, and no more than a couple of others came and stayed. */
    private static void assertDescriptorsReleased(Map<Integer, String> before) throws Exception {
        Map<Integer, String> after = openDescriptors();
        assertThat(after.values()).as("descriptors on /dev/fuse after CLOSED").noneMatch(t -> t.startsWith("/dev/fuse"));
        List<String> added = new ArrayList<>();
        after.forEach((fd, target) -> {
            // The class loader opens jars as classes are first used: the JVM's, not the mount's.
            if (!target.equals(before.get(fd)) && !target.endsWith(".jar")) {
                added.add(fd + " -> " + target);
            }
        });
        assertThat(added).as("descriptors opened since before the mount and still open").hasSizeLessThanOrEqualTo(2);
    }

    private static Map<Integer, String> openDescriptors() throws IOException {
        Map<Integer, String> fds = new HashMap<>();
        try (var entries = Files.list(Path.of("/proc/self/fd"))) {
            for (Path entry : entries.toList()) {
                try {
                    fds.put(Integer.parseInt(entry.getFileName().toString()), Files.readSymbolicLink(entry).toString());
                } catch (IOException closedMeanwhile) {
                    // the directory stream's own descriptor, or one closed while listing
                }
            }
        }
        return fds;
    }

    /**
     * HotSpotDiagnosticMXBean.dumpThreads, which lists virtual threads too; by reflection, because
     * this test module does not read jdk.management (at run time everything is on the class path).
     */
    private static void dumpThreads(Path file) throws Exception {
        Class<?> bean = Class.forName("com.sun.management.HotSpotDiagnosticMXBean");
        @SuppressWarnings({"unchecked", "rawtypes"})
        Object format = Enum.valueOf((Class) Class.forName("com.sun.management.HotSpotDiagnosticMXBean$ThreadDumpFormat"),
                "TEXT_PLAIN");
        Object diagnostics = Class.forName("java.lang.management.ManagementFactory")
                .getMethod("getPlatformMXBean", Class.class).invoke(null, bean);
        bean.getMethod("dumpThreads", String.class, format.getClass()).invoke(diagnostics, file.toString(), format);
    }

    /** Whether /proc/self/mountinfo lists a mount at exactly this path. */
    static boolean isMounted(Path path) throws IOException {
        String wanted = path.toAbsolutePath().normalize().toString();
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(line -> line.split(" "))
                .anyMatch(fields -> fields.length > 4 && unescape(fields[4]).equals(wanted));
    }

    private static String unescape(String field) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "";
    }
}
