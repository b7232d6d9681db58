package io.javafuse.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.javafuse.cli.MountPoints.isMounted;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The javafuse command as users run it: a child JVM per command, real mounts, signals. Every
 * process a test starts is killed after it, and every mountpoint it used is detached with
 * {@code umount -l} if it is still mounted, so that no test leaves a mount or a process behind.
 */
class CliTest {
    private static final Duration MOUNTED_WITHIN = Duration.ofSeconds(15);
    private static final Duration EXITS_WITHIN = Duration.ofSeconds(10);

    private final List<CliProcess> started = new ArrayList<>();
    private final List<Path> directories = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (CliProcess cli : started) {
            cli.process.destroyForcibly();
            cli.process.waitFor(10, TimeUnit.SECONDS);
        }
        AssertionError leftovers = null;
        for (Path directory : directories.reversed()) {
            try {
                if (isMounted(directory)) {
                    new ProcessBuilder("umount", "-l", directory.toString()).inheritIO().start()
                            .waitFor(10, TimeUnit.SECONDS);
                }
                if (isMounted(directory)) {
                    throw new AssertionError(directory + " is still mounted after umount -l");
                }
                try (var paths = Files.walk(directory)) {
                    for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(path);
                    }
                }
            } catch (IOException | AssertionError e) {
                if (leftovers == null) {
                    leftovers = new AssertionError("cleaning up after the test failed");
                }
                leftovers.addSuppressed(e);
            }
        }
        if (leftovers != null) {
            throw leftovers;
        }
    }

    // ---- mount

    @Test
    @Timeout(90)
    void mountServesTheFilesystemUntilSigterm() throws Exception {
        Path mountpoint = newDirectory();
        CliProcess cli = start("mount", mountpoint.toString());
        String mounted = cli.firstLine(MOUNTED_WITHIN);
        assertThat(mounted).contains(mountpoint.toString()).contains("7.").contains("max_write");
        assertThat(isMounted(mountpoint)).isTrue();

        Path file = mountpoint.resolve("hello.txt");
        Files.writeString(file, "hello from the test\n");
        assertThat(Files.readString(file)).isEqualTo("hello from the test\n");
        assertThat(CliProcess.run(EXITS_WITHIN, "ls", mountpoint.toString())).isEqualTo("hello.txt\n");
        CliProcess.run(EXITS_WITHIN, "mkdir", mountpoint.resolve("dir").toString());
        assertThat(Files.isDirectory(mountpoint.resolve("dir"))).isTrue();
        CliProcess.run(EXITS_WITHIN, "mv", file.toString(), mountpoint.resolve("dir/moved.txt").toString());
        assertThat(Files.exists(file)).isFalse();
        assertThat(Files.readString(mountpoint.resolve("dir/moved.txt"))).isEqualTo("hello from the test\n");

        cli.process.destroy(); // SIGTERM
        assertThat(cli.exitCode(EXITS_WITHIN)).as(cli.stderr()).isZero();
        assertThat(isMounted(mountpoint)).isFalse();
    }

    @Test
    @Timeout(60)
    void mountUnmountsAndExitsZeroOnSigint() throws Exception {
        Path mountpoint = newDirectory();
        CliProcess cli = start("mount", mountpoint.toString());
        assertThat(cli.firstLine(MOUNTED_WITHIN)).contains(mountpoint.toString());
        Files.writeString(mountpoint.resolve("f"), "x");

        CliProcess.run(EXITS_WITHIN, "kill", "-INT", Long.toString(cli.process.pid()));
        assertThat(cli.exitCode(EXITS_WITHIN)).as(cli.stderr()).isZero();
        assertThat(isMounted(mountpoint)).isFalse();
    }

    // ---- bad input: exit status 2, one line, no stack trace

    @Test
    @Timeout(60)
    void aMissingMountpointIsAUsageError() throws Exception {
        Path missing = newDirectory().resolve("no-such-dir");
        assertUsageError(start("mount", missing.toString()), missing.toString(), "does not exist");
    }

    @Test
    @Timeout(60)
    void aRegularFileAsMountpointIsAUsageError() throws Exception {
        Path file = Files.writeString(newDirectory().resolve("plain-file"), "x");
        assertUsageError(start("mount", file.toString()), file.toString(), "not a directory");
    }

    @Test
    @Timeout(60)
    void anUnknownMountOptionIsAUsageError() throws Exception {
        Path mountpoint = newDirectory();
        assertUsageError(start("mount", "-o", "ro,no_such_option", mountpoint.toString()), "no_such_option");
        assertThat(isMounted(mountpoint)).isFalse();
    }

    @Test
    @Timeout(60)
    void writeBehindWithoutWriteQueuesIsAUsageError() throws Exception {
        Path mountpoint = newDirectory();
        assertUsageError(start("mount", "--no-write-queues", "--write-behind", mountpoint.toString()),
                "--write-behind", "--no-write-queues");
        assertThat(isMounted(mountpoint)).isFalse();
    }

    @Test
    @Timeout(60)
    void mountHelpPrintsTheOptions() throws Exception {
        CliProcess cli = start("mount", "--help");
        assertThat(cli.exitCode(EXITS_WITHIN)).as(cli.stderr()).isZero();
        assertThat(cli.stdout()).contains("Usage: javafuse mount").contains("--write-behind")
                .contains("--no-write-queues");
    }

    @Test
    @Timeout(60)
    void noArgumentsIsAUsageError() throws Exception {
        assertUsageError(start(), "--help");
        assertUsageError(start("mount"), "MOUNTPOINT", "javafuse mount --help");
    }

    @Test
    @Timeout(90)
    void aMountpointThatIsAlreadyMountedIsAUsageError() throws Exception {
        Path mountpoint = newDirectory();
        CliProcess first = start("mount", mountpoint.toString());
        assertThat(first.firstLine(MOUNTED_WITHIN)).contains(mountpoint.toString());
        Files.writeString(mountpoint.resolve("mine"), "first");

        assertUsageError(start("mount", mountpoint.toString()), mountpoint.toString(), "already mounted");

        assertThat(Files.readString(mountpoint.resolve("mine"))).as("the first mount is untouched").isEqualTo("first");
        first.process.destroy();
        assertThat(first.exitCode(EXITS_WITHIN)).as(first.stderr()).isZero();
        assertThat(isMounted(mountpoint)).isFalse();
    }

    @Test
    @Timeout(90)
    void aStaleMountIsAUsageErrorThatSaysHowToClearIt() throws Exception {
        Path mountpoint = newDirectory();
        CliProcess killed = start("mount", mountpoint.toString());
        assertThat(killed.firstLine(MOUNTED_WITHIN)).contains(mountpoint.toString());
        killed.process.destroyForcibly(); // SIGKILL: nobody unmounts
        assertThat(killed.process.waitFor(EXITS_WITHIN.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(isMounted(mountpoint)).as("a killed server leaves its mount behind").isTrue();

        assertUsageError(start("mount", mountpoint.toString()), "Transport endpoint is not connected", "umount -l");

        CliProcess.run(EXITS_WITHIN, "umount", "-l", mountpoint.toString());
        assertThat(isMounted(mountpoint)).isFalse();
    }

    // ---- unmount

    @Test
    @Timeout(90)
    void unmountEndsAMountServedByAnotherProcess() throws Exception {
        Path mountpoint = newDirectory();
        CliProcess server = start("mount", mountpoint.toString());
        assertThat(server.firstLine(MOUNTED_WITHIN)).contains(mountpoint.toString());

        CliProcess unmount = start("unmount", mountpoint.toString());
        assertThat(unmount.exitCode(EXITS_WITHIN)).as(unmount.stderr()).isZero();
        assertThat(isMounted(mountpoint)).isFalse();

        assertThat(server.exitCode(EXITS_WITHIN)).as(server.stderr()).isZero();
        assertThat(server.stdout() + server.stderr()).contains(mountpoint.toString()).contains("unmounted from outside");
    }

    @Test
    @Timeout(60)
    void unmountOfAPlainDirectoryIsAUsageError() throws Exception {
        Path directory = newDirectory();
        assertUsageError(start("unmount", directory.toString()), directory.toString(), "not a mount point");
    }

    // ---- helpers

    private void assertUsageError(CliProcess cli, String... mentions) throws Exception {
        int exitCode = cli.exitCode(EXITS_WITHIN);
        String stderr = cli.stderr();
        assertThat(exitCode).as("exit status; stderr: %s", stderr).isEqualTo(2);
        assertThat(stderr.lines().toList()).as("stderr is one line").hasSize(1);
        assertThat(stderr).startsWith("javafuse: ").doesNotContain("at io.").doesNotContain("Exception");
        for (String mention : mentions) {
            assertThat(stderr).contains(mention);
        }
        assertThat(cli.stdout()).isEmpty();
    }

    private Path newDirectory() throws IOException {
        Path directory = Files.createTempDirectory("javafuse-cli-");
        directories.add(directory);
        return directory;
    }

    /** Starts {@code javafuse ARGS...} in a JVM of its own, on this test's class path. */
    private CliProcess start(String... args) throws IOException {
        CliProcess cli = CliProcess.start(newDirectory(), args);
        started.add(cli);
        return cli;
    }
}
