package io.javafuse.filesystems.conformance;

import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A differential harness: every step runs first on a native directory on tmpfs (/dev/shm, the
 * filesystem the in-memory filesystem imitates and the one the passthrough filesystem mirrors in
 * the tests), then on a real mount, and the two outcomes must be equal. An outcome is the step's value,
 * or for a failure the exception's class and reason (the errno's text), never a path; shell
 * tools report their exit status, output and error output with the root's path replaced.
 *
 * <p>Differences are collected rather than thrown at once, so that one run shows all of them;
 * {@link #assertNoDifferences()} fails the test with the list.
 */
public final class Differential implements AutoCloseable {
    /** Where native comparison directories go: tmpfs. */
    public static final Path SHM = Path.of("/dev/shm");
    /** How the CLI mounts the in-memory filesystem. */
    public static final MountOptions OPTIONS = MountOptions.defaults().withDefaultPermissions(true);

    /** With -Dconformance.verbose=true every step's outcome is printed, not only the differences. */
    private static final boolean VERBOSE = Boolean.getBoolean("conformance.verbose");

    /** A step: something done to the tree under {@code root}, with a result that does not depend on root's path. */
    @FunctionalInterface
    interface Step<T> {
        T run(Path root) throws Exception;
    }

    /** What a step came to: a value, or a failure as exception class and errno text. */
    record Outcome(Object value, String failure) {
        @Override
        public String toString() {
            return failure != null ? "failed " + failure : "ok " + value;
        }
    }

    /** A shell command's outcome; the root's path in its output is replaced by "ROOT". */
    record Shell(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + (out.isEmpty() ? "" : ", out [" + out.strip() + "]")
                    + (err.isEmpty() ? "" : ", err [" + err.strip() + "]");
        }
    }

    private final Path nativeRoot;
    private final Mount mount;
    private final List<Path> alsoRemoved;
    private final List<String> differences = new ArrayList<>();
    private int steps;
    private long checks;

    /**
     * Compares {@code mount} (mounted through a MountExtension, so that it is always unmounted)
     * with the native directory {@code nativeRoot}; closing removes {@code nativeRoot} and
     * {@code alsoRemoved} (a passthrough filesystem's source, say).
     */
    public Differential(Path nativeRoot, Mount mount, Path... alsoRemoved) {
        this.nativeRoot = nativeRoot;
        this.mount = mount;
        this.alsoRemoved = List.of(alsoRemoved);
    }

    public static Path newShmDirectory(String prefix) throws IOException {
        return Files.createTempDirectory(SHM, prefix);
    }

    Path nativeRoot() {
        return nativeRoot;
    }

    Path mountRoot() {
        return mount.mountpoint();
    }

    int steps() {
        return steps;
    }

    /**
     * The values compared so far: one for each step's outcome (its value or its error), plus one
     * for each element of a list, each field of a {@link Meta}, and each line a shell step printed
     * on its output and its error output.
     */
    long checks() {
        return checks;
    }

    private static long checksIn(Object value) {
        return switch (value) {
            case null -> 0;
            case Outcome o -> 1 + checksIn(o.value());
            case List<?> list -> list.stream().mapToLong(e -> Math.max(1, checksIn(e))).sum();
            case Meta _ -> 6;
            case Shell s -> 1 + s.out().lines().count() + s.err().lines().count();
            default -> 1;
        };
    }

    /** Runs {@code step} on both trees and records a difference if the outcomes differ; returns the mount's outcome. */
    Outcome step(String description, Step<?> step) {
        long start = System.nanoTime();
        Outcome expected = run(nativeRoot, step);
        long middle = System.nanoTime();
        Outcome actual = run(mountRoot(), step);
        long end = System.nanoTime();
        steps++;
        checks += checksIn(expected);
        if (VERBOSE) {
            System.out.printf("STEP %s%n      native (%d ms): %s%n      mount (%d ms):  %s%n", description,
                    (middle - start) / 1_000_000, expected, (end - middle) / 1_000_000, actual);
        }
        if (!Objects.equals(expected, actual)) {
            differences.add(description + "\n      native: " + expected + "\n      mount:  " + actual);
        }
        return actual;
    }

    /** Runs a bash command with each root as its working directory and compares status and output. */
    Outcome sh(String command) {
        return step("$ " + command, root -> shell(root, command));
    }

    /** The same, for steps whose output changes nothing: prepares both trees alike, and must succeed. */
    void prepare(String description, Step<?> step) {
        Outcome outcome = step("prepare: " + description, step);
        if (outcome.failure() != null) {
            throw new AssertionError("preparing failed: " + description + ": " + outcome);
        }
    }

    void assertNoDifferences() {
        assertThat(differences).as("steps whose outcome on the mount differs from tmpfs (of %d compared)", steps)
                .isEmpty();
    }

    private static Outcome run(Path root, Step<?> step) {
        try {
            return new Outcome(relative(root, step.run(root)), null);
        } catch (FileSystemException e) {
            // The reason is the errno's text; the message would hold the path.
            return new Outcome(null, e.getClass().getSimpleName() + (e.getReason() != null ? ": " + e.getReason() : ""));
        } catch (IOException e) {
            return new Outcome(null, e.getClass().getSimpleName() + ": " + withoutRoot(root, String.valueOf(e.getMessage())));
        } catch (Exception e) {
            throw new AssertionError("step failed in an unexpected way on " + root, e);
        }
    }

    /** A path in a step's value is made relative to the root, so that it compares between the trees. */
    private static Object relative(Path root, Object value) {
        return value instanceof Path path && path.startsWith(root) ? root.relativize(path).toString() : value;
    }

    public static String withoutRoot(Path root, String text) {
        return text.replace(root.toString(), "ROOT");
    }

    /** Runs {@code command} with bash in {@code directory}, in the C locale and UTC. */
    public static Shell shell(Path directory, String command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", command).directory(directory.toFile());
        builder.environment().put("LC_ALL", "C");
        builder.environment().put("TZ", "UTC");
        Process process = builder.start();
        process.getOutputStream().close();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
        String out = readAll(process.getInputStream());
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new Shell(process.exitValue(), withoutRoot(directory, out), withoutRoot(directory, err.join()));
    }

    /** Runs a command that must succeed and returns its output. */
    public static String check(Path directory, String command) throws IOException, InterruptedException {
        Shell result = shell(directory, command);
        if (result.exit() != 0) {
            throw new AssertionError("in " + directory + ": " + command + ": " + result);
        }
        return result.out();
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- what a step may return

    /**
     * The attributes POSIX fixes for a node, from lstat. Left out: inode and device numbers (each
     * filesystem numbers its own), st_blocks and st_blksize (allocation details the FUSE kernel
     * side reports in its own way), and atime (relatime updates it lazily and at different moments).
     */
    record Meta(String type, String mode, long size, int nlink, int uid, int gid) {}

    static Meta meta(Path path) throws IOException {
        Map<String, Object> a = Files.readAttributes(path, "unix:mode,size,nlink,uid,gid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        String type = switch (mode & 0170000) {
            case 0100000 -> "file";
            case 0040000 -> "directory";
            case 0120000 -> "symlink";
            case 0010000 -> "fifo";
            default -> "other " + Integer.toOctalString(mode & 0170000);
        };
        return new Meta(type, Integer.toOctalString(mode & 07777), (Long) a.get("size"), (Integer) a.get("nlink"),
                (Integer) a.get("uid"), (Integer) a.get("gid"));
    }

    static FileTime mtime(Path path) throws IOException {
        return Files.getLastModifiedTime(path, LinkOption.NOFOLLOW_LINKS);
    }

    static FileTime ctime(Path path) throws IOException {
        return (FileTime) Files.getAttribute(path, "unix:ctime", LinkOption.NOFOLLOW_LINKS);
    }

    static FileTime atime(Path path) throws IOException {
        return (FileTime) Files.getAttribute(path, "lastAccessTime", LinkOption.NOFOLLOW_LINKS);
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** The names in a directory, sorted. */
    public static List<String> list(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    public static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** Removes the native twin (and what else was named); the mount goes with the MountExtension. */
    @Override
    public void close() throws IOException {
        deleteRecursively(nativeRoot);
        for (Path path : alsoRemoved) {
            deleteRecursively(path);
        }
    }
}
