package io.javafuse.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.javafuse.cli.MountPoints.isMounted;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code javafuse mount --source DIR MOUNTPOINT} as users run it: a child JVM per command, as root
 * and as a plain user mounting through fusermount3. Every process a test starts is killed after
 * it, and every directory it used is detached with {@code umount -l} if still mounted.
 */
class PassthroughCliTest {
    /** fusermount3 wants a user with a name: nobody (65534) is in every passwd. */
    private static final int PLAIN_USER = 65534;

    private final List<Process> started = new ArrayList<>();
    private final List<Path> directories = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Process process : started) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        for (Path directory : directories.reversed()) {
            for (String mounted : MountPoints.under(directory)) {
                new ProcessBuilder("umount", "-l", mounted).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
            }
        }
        for (Path directory : directories.reversed()) {
            try (var paths = Files.walk(directory)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
        assertThat(directories).allMatch(directory -> MountPoints.under(directory).isEmpty());
    }

    @Test
    @Timeout(60)
    void aMissingSourceIsAUsageError() throws Exception {
        Path missing = newDirectory().resolve("no-such-dir");
        Path mountpoint = newDirectory();
        assertUsageError(start(List.of(), "mount", "--source", missing.toString(), mountpoint.toString()),
                missing.toString(), "does not exist");
        assertThat(isMounted(mountpoint)).isFalse();
    }

    @Test
    @Timeout(60)
    void aFileAsSourceIsAUsageError() throws Exception {
        Path file = Files.writeString(newDirectory().resolve("plain-file"), "x");
        Path mountpoint = newDirectory();
        assertUsageError(start(List.of(), "mount", "--source", file.toString(), mountpoint.toString()),
                file.toString(), "not a directory");
        assertThat(isMounted(mountpoint)).isFalse();
    }

    @Test
    @Timeout(90)
    void mountMirrorsTheSourceWithItsLocksUntilSigterm() throws Exception {
        Path source = newDirectory();
        Path mountpoint = newDirectory();
        Files.writeString(source.resolve("before"), "was there");
        Process cli = start(List.of(), "mount", "--source", source.toString(), mountpoint.toString());
        assertThat(firstLine(cli)).contains("mounted " + mountpoint);

        assertThat(Files.readString(mountpoint.resolve("before"))).isEqualTo("was there");
        Files.writeString(mountpoint.resolve("after"), "written through the mount");
        assertThat(Files.readString(source.resolve("after"))).isEqualTo("written through the mount");
        // Locks are passed through: one taken through the mount holds on the source.
        Process holder = new ProcessBuilder("flock", mountpoint.resolve("after").toString(), "-c", "echo locked; read x")
                .start();
        started.add(holder);
        assertThat(new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8)).readLine())
                .isEqualTo("locked");
        assertThat(status("flock", "-n", source.resolve("after").toString(), "true")).isEqualTo(1);
        holder.destroyForcibly();
        holder.waitFor(10, TimeUnit.SECONDS);

        stopAndExpectUnmounted(cli, mountpoint);
        assertThat(Files.readString(source.resolve("after"))).isEqualTo("written through the mount");
    }

    /**
     * The passthrough holds a descriptor per inode the kernel caches, so a process with a low
     * limit runs out: lookups fail with EMFILE, files already open keep working, and SIGTERM
     * still unmounts (reading the mount table and logging need descriptors of their own).
     */
    @Test
    @Timeout(90)
    void runningOutOfDescriptorsFailsLookupsButNotTheShutdown() throws Exception {
        Path source = newDirectory();
        Path mountpoint = newDirectory();
        int files = 400;
        for (int i = 0; i < files; i++) {
            Files.writeString(source.resolve("f" + i), "content " + i);
        }
        Process cli = start(List.of("prlimit", "--nofile=200:200", "--"), "mount", "--source", source.toString(),
                mountpoint.toString());
        assertThat(firstLine(cli)).contains("mounted " + mountpoint);
        try (var channel = Files.newByteChannel(mountpoint.resolve("f0"))) {
            assertThat(lookUpAll(mountpoint, files)).as("lookups past the limit").isGreaterThan(files / 2);
            // An open file still reads, and closes without error (FLUSH has no descriptor to dup).
            assertThat(channel.read(ByteBuffer.allocate(64))).isEqualTo("content 0".length());
        }
        // Its RELEASE gave a descriptor back: use it up again, so none is left when SIGTERM comes.
        assertThat(lookUpAll(mountpoint, files)).isPositive();
        stopAndExpectUnmounted(cli, mountpoint);
    }

    /** Looks up f1 .. f(files-1) through the mount; returns how many failed for want of descriptors. */
    private static int lookUpAll(Path mountpoint, int files) throws IOException {
        int failed = 0;
        for (int i = 1; i < files; i++) {
            try {
                Files.readAttributes(mountpoint.resolve("f" + i), "size");
            } catch (IOException e) {
                assertThat(e).hasMessageContaining("Too many open files");
                failed++;
            }
        }
        return failed;
    }

    @Test
    @Timeout(120)
    void aPlainUserMountsItsOwnDirectoryThroughFusermount3() throws Exception {
        Path home = plainUserHome();
        Path source = home.resolve("source");
        Path mountpoint = home.resolve("mnt");
        Files.writeString(source.resolve("theirs"), "from before\n");
        Files.setAttribute(source.resolve("theirs"), "unix:uid", PLAIN_USER);

        List<String> asUser = List.of("setpriv", "--reuid=" + PLAIN_USER, "--regid=" + PLAIN_USER, "--clear-groups");
        // fusermount3 opens /dev/fuse as the user: usually mode 0666, but some containers keep it 0600.
        Assumptions.assumeTrue(runAs(asUser, "test", "-r", "/dev/fuse", "-a", "-w", "/dev/fuse").status() == 0,
                "/dev/fuse is not open to plain users here");
        Process cli = start(asUser, "--class-path-readable-by-all", "mount", "--source", source.toString(),
                mountpoint.toString());
        assertThat(firstLine(cli)).contains("mounted " + mountpoint);
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).contains(mountpoint + " ")
                .contains("user_id=" + PLAIN_USER);

        // Without allow_other only the user may use the mount; what it creates is its own.
        String script = "cd " + mountpoint + " && cat theirs && echo new > made && mkdir dir && ln -s made link"
                + " && mv made dir/moved && cat dir/moved && ls";
        ProcessResult work = runAs(asUser, "sh", "-c", script);
        assertThat(work.status()).as(work.stderr()).isZero();
        assertThat(work.stdout()).isEqualTo("from before\nnew\ndir\nlink\ntheirs\n");
        assertThat(Files.readString(source.resolve("dir/moved"))).isEqualTo("new\n");
        assertThat(Files.getAttribute(source.resolve("dir/moved"), "unix:uid")).isEqualTo(PLAIN_USER);
        assertThat(Files.getAttribute(source.resolve("dir"), "unix:uid")).isEqualTo(PLAIN_USER);
        // It cannot give a file away, as on its own directory.
        assertThat(runAs(asUser, "chown", "0", mountpoint.resolve("dir/moved").toString()).status()).isNotZero();

        stopAndExpectUnmounted(cli, mountpoint);
    }

    /** --kernel-passthrough and --kernel-cache are the passthrough's: without --source, a usage error each. */
    @Test
    @Timeout(60)
    void passthroughOptionsWithoutSourceAreUsageErrors() throws Exception {
        for (String option : List.of("--kernel-passthrough", "--kernel-cache")) {
            Path mountpoint = newDirectory();
            assertUsageError(start(List.of(), "mount", option, mountpoint.toString()), option + " needs --source");
            assertThat(isMounted(mountpoint)).isFalse();
        }
    }

    /** With --kernel-cache, a file read twice through the mount is read from the source once. */
    @Test
    @Timeout(90)
    void kernelCacheServesARepeatedReadFromTheKernel() throws Exception {
        Path source = newDirectory();
        Path mountpoint = newDirectory();
        Path stats = newDirectory().resolve("stats.json");
        Files.writeString(source.resolve("file"), "read twice");
        Process cli = start(List.of(), "mount", "--source", source.toString(), "--kernel-cache",
                "--stats-json", stats.toString(), mountpoint.toString());
        assertThat(firstLine(cli)).contains("mounted " + mountpoint);
        for (int i = 0; i < 2; i++) {
            assertThat(Files.readString(mountpoint.resolve("file"))).isEqualTo("read twice");
        }
        stopAndExpectUnmounted(cli, mountpoint);
        java.util.regex.Matcher read = java.util.regex.Pattern.compile("\"READ\": \\{\\s*\"count\": (\\d+)")
                .matcher(Files.readString(stats));
        assertThat(read.find()).as(Files.readString(stats)).isTrue();
        assertThat(read.group(1)).isEqualTo("1");
    }

    @Test
    @Timeout(60)
    void kernelPassthroughWithTheWritebackCacheIsAUsageError() throws Exception {
        Path source = newDirectory();
        Path mountpoint = newDirectory();
        assertUsageError(start(List.of(), "mount", "--source", source.toString(), "--kernel-passthrough",
                "-o", "writeback_cache", mountpoint.toString()), "writeback_cache");
        assertThat(isMounted(mountpoint)).isFalse();
    }

    @Test
    @Timeout(90)
    void kernelPassthroughAsRootSaysSoAndServesTheSource() throws Exception {
        Path source = newDirectory();
        Path mountpoint = newDirectory();
        Files.writeString(source.resolve("before"), "was there");
        Process cli = start(List.of(), "mount", "--source", source.toString(), "--kernel-passthrough",
                mountpoint.toString());
        String first = firstLine(cli);
        assertThat(first).contains("mounted " + mountpoint);
        Assumptions.assumeTrue(first.contains("kernel passthrough"), "no kernel passthrough here: " + first);

        assertThat(Files.readString(mountpoint.resolve("before"))).isEqualTo("was there");
        Files.writeString(mountpoint.resolve("after"), "written by the kernel");
        assertThat(Files.readString(source.resolve("after"))).isEqualTo("written by the kernel");

        stopAndExpectUnmounted(cli, mountpoint);
    }

    @Test
    @Timeout(120)
    void aPlainUserAskingForKernelPassthroughMountsWithoutAndIsToldWhy() throws Exception {
        Path home = plainUserHome();
        Path source = home.resolve("source");
        Path mountpoint = home.resolve("mnt");
        List<String> asUser = List.of("setpriv", "--reuid=" + PLAIN_USER, "--regid=" + PLAIN_USER, "--clear-groups");
        Assumptions.assumeTrue(runAs(asUser, "test", "-r", "/dev/fuse", "-a", "-w", "/dev/fuse").status() == 0,
                "/dev/fuse is not open to plain users here");
        Process cli = start(asUser, "--class-path-readable-by-all", "mount", "--source", source.toString(),
                "--kernel-passthrough", mountpoint.toString());
        List<String> lines = lines(cli, 2);
        assertThat(lines.get(0)).contains("mounted " + mountpoint).doesNotContain("kernel passthrough");
        assertThat(lines.get(1)).startsWith("javafuse: kernel passthrough is off")
                .containsAnyOf("CAP_SYS_ADMIN", "did not agree");

        ProcessResult work = runAs(asUser, "sh", "-c", "cd " + mountpoint + " && echo data > f && cat f");
        assertThat(work.status()).as(work.stderr()).isZero();
        assertThat(work.stdout()).isEqualTo("data\n");
        assertThat(Files.readString(source.resolve("f"))).isEqualTo("data\n");

        stopAndExpectUnmounted(cli, mountpoint);
    }

    // ---- helpers

    /** SIGTERM: the CLI unmounts and exits 0. */
    private static void stopAndExpectUnmounted(Process cli, Path mountpoint) throws Exception {
        cli.destroy();
        assertThat(cli.waitFor(15, TimeUnit.SECONDS)).isTrue();
        assertThat(cli.exitValue()).as(stderr(cli)).isZero();
        assertThat(isMounted(mountpoint)).isFalse();
    }

    /** A directory any user may enter, holding "source" and "mnt", both owned by the plain user. */
    private Path plainUserHome() throws IOException {
        Path home = newDirectory();
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String name : List.of("source", "mnt")) {
            Path path = Files.createDirectory(home.resolve(name));
            Files.setAttribute(path, "unix:uid", PLAIN_USER);
            Files.setAttribute(path, "unix:gid", PLAIN_USER);
        }
        return home;
    }

    /** The first {@code count} lines on stdout, read with one reader so none is lost in its buffer. */
    private static List<String> lines(Process process, int count) throws Exception {
        CompletableFuture<List<String>> read = CompletableFuture.supplyAsync(() -> {
            List<String> lines = new ArrayList<>();
            try {
                BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8));
                for (int i = 0; i < count; i++) {
                    String line = reader.readLine();
                    if (line == null) {
                        break;
                    }
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add(e.toString());
            }
            return lines;
        });
        List<String> lines = read.get(30, TimeUnit.SECONDS);
        if (lines.size() < count) {
            throw new AssertionError("expected " + count + " lines on stdout, got " + lines + "; "
                    + (process.isAlive() ? "still running" : "exit status " + process.exitValue() + ", stderr: "
                    + stderr(process)));
        }
        return lines;
    }

    private void assertUsageError(Process cli, String... mentions) throws Exception {
        assertThat(cli.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String stderr = stderr(cli);
        assertThat(cli.exitValue()).as("exit status; stderr: %s", stderr).isEqualTo(2);
        assertThat(stderr.lines().toList()).as("stderr is one line").hasSize(1);
        assertThat(stderr).startsWith("javafuse: ").doesNotContain("Exception").doesNotContain("at io.");
        for (String mention : mentions) {
            assertThat(stderr).contains(mention);
        }
    }

    private Path newDirectory() throws IOException {
        Path directory = Files.createTempDirectory("javafuse-cli-pt-");
        directories.add(directory);
        return directory;
    }

    /**
     * Starts {@code javafuse ARGS...} in a JVM of its own, behind {@code prefix} (setpriv). With
     * "--class-path-readable-by-all" first, the class path is copied where any user can read it.
     */
    private Process start(List<String> prefix, String... args) throws IOException {
        List<String> arguments = new ArrayList<>(List.of(args));
        String classPath = System.getProperty("java.class.path");
        if (!arguments.isEmpty() && arguments.getFirst().equals("--class-path-readable-by-all")) {
            arguments.removeFirst();
            classPath = readableClassPath(classPath);
        }
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "--enable-native-access=ALL-UNNAMED",
                "-cp", classPath, Main.class.getName()));
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        started.add(process);
        return process;
    }

    /** The class path with each entry copied into a directory every user can read. */
    private String readableClassPath(String classPath) throws IOException {
        Path copies = newDirectory();
        Files.setPosixFilePermissions(copies, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String entry : classPath.split(File.pathSeparator)) {
            Path from = Path.of(entry);
            if (!Files.exists(from)) {
                continue;
            }
            Path to = copies.resolve(i++ + "-" + from.getFileName());
            try (var paths = Files.walk(from)) {
                for (Path path : paths.toList()) {
                    Path target = to.resolve(from.relativize(path).toString());
                    Files.copy(path, target);
                    Files.setPosixFilePermissions(target,
                            PosixFilePermissions.fromString(Files.isDirectory(path) ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
            entries.add(to.toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    private static String firstLine(Process process) throws Exception {
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)).readLine();
            } catch (IOException e) {
                return null;
            }
        });
        String first = line.get(30, TimeUnit.SECONDS);
        if (first == null) {
            throw new AssertionError("no line on stdout; " + (process.isAlive() ? "still running"
                    : "exit status " + process.exitValue() + ", stderr: " + stderr(process)));
        }
        return first;
    }

    private static String stderr(Process process) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        }).get(15, TimeUnit.SECONDS);
    }

    private record ProcessResult(int status, String stdout, String stderr) {}

    private static ProcessResult runAs(List<String> prefix, String... command) throws Exception {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(List.of(command));
        Process process = new ProcessBuilder(all).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(all + " did not finish");
        }
        return new ProcessResult(process.exitValue(), out, err.get());
    }

    private static int status(String... command) throws Exception {
        return runAs(List.of(), command).status();
    }
}
