package io.javafuse.path;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs shell tools against a mount, as a user would. */
final class Shell {
    private Shell() {}

    record Result(int status, String out) {}

    /** Runs {@code command} in {@code directory}; stdout and stderr together. */
    static Result run(Path directory, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(List.of(command)).directory(directory.toFile())
                .redirectErrorStream(true).start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", command));
        }
        return new Result(process.exitValue(), out);
    }

    /** Runs {@code command} and answers its output; fails unless it exits 0. */
    static String ok(Path directory, String... command) throws IOException, InterruptedException {
        Result result = run(directory, command);
        if (result.status() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + result.status() + ": " + result.out());
        }
        return result.out();
    }

    /** Runs a {@code sh -c} script. */
    static String sh(Path directory, String script) throws IOException, InterruptedException {
        return ok(directory, "sh", "-c", script);
    }
}
