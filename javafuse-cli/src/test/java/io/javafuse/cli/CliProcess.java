package io.javafuse.cli;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code javafuse ARGS...} running in a JVM of its own, on the tests' class path: its stdout line
 * by line as it comes, its stderr once it ends. Stderr goes to a file, because a pipe read while
 * the process exits may report "Stream closed".
 */
final class CliProcess {
    private static final String END = "\0end of stdout";
    /** How long {@link #stderr} waits for the process to end. */
    private static final Duration EXIT_WAIT = Duration.ofSeconds(15);

    final Process process;
    private final Path stderr;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder stdout = new StringBuilder();

    /** Starts the command line; its stderr file goes into {@code scratch}. */
    static CliProcess start(Path scratch, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(args));
        Path stderr = Files.createTempFile(scratch, "stderr-", ".txt");
        Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(stderr.toFile()).start();
        return new CliProcess(process, stderr);
    }

    private CliProcess(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        Thread.ofVirtual().start(() -> {
            try (BufferedReader reader = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    synchronized (this.stdout) {
                        this.stdout.append(line).append('\n');
                    }
                    lines.add(line);
                }
            } catch (IOException e) {
                // the process is gone
            } finally {
                lines.add(END);
            }
        });
    }

    /** The next line on stdout (a mount prints one once it is live). */
    String firstLine(Duration within) throws InterruptedException, IOException {
        String line = lines.poll(within.toMillis(), TimeUnit.MILLISECONDS);
        if (line == null || line.equals(END)) {
            throw new AssertionError("no line on stdout within " + within + (process.isAlive() ? ""
                    : "; exit status " + process.exitValue() + ", stderr: " + Files.readString(stderr)));
        }
        return line;
    }

    int exitCode(Duration within) throws InterruptedException {
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("still running after " + within);
        }
        return process.exitValue();
    }

    /** Everything on stderr; waits for the process to end. */
    String stderr() throws InterruptedException, IOException {
        exitCode(EXIT_WAIT);
        return Files.readString(stderr);
    }

    String stdout() {
        synchronized (stdout) {
            return stdout.toString();
        }
    }

    /** Runs a command, expecting it to succeed within {@code timeout}; returns its stdout. */
    static String run(Duration timeout, String... command) throws Exception {
        Process process = new ProcessBuilder(command).start();
        try {
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
            }
            assertThat(process.exitValue()).as("%s: %s", String.join(" ", command), err.get()).isZero();
            return out.get();
        } finally {
            process.destroyForcibly();
        }
    }

    private static String readAll(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
