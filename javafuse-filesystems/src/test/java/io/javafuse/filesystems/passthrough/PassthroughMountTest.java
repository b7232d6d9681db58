package io.javafuse.filesystems.passthrough;

import io.javafuse.api.Entry;
import io.javafuse.api.FileSystem;
import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.api.Operation;
import io.javafuse.api.Request;
import io.javafuse.testing.MountExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The passthrough filesystem on real mounts: what is done through the mount is done to the
 * source, byte for byte and attribute for attribute, and what others do to the source is seen
 * through the mount. Checked with java.nio, shell tools and small python3 programs, each a
 * process of its own as a user's would be.
 */
class PassthroughMountTest {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    /** A user and group that exist nowhere, as a caller other than root. */
    private static final int OTHER_USER = 1234;

    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    private Path source;
    private Path mnt;
    private PassthroughFileSystem fs;

    @BeforeEach
    void mountSource() throws IOException {
        source = mounts.newDirectory("javafuse-src-");
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rwxr-xr-x"));
        fs = new PassthroughFileSystem(source);
        mnt = mount(fs).mountpoint();
    }

    /**
     * As root serving other users: allow_other with default_permissions, locks passed through,
     * and no caching of names or attributes, so that changes made in the source show at once.
     */
    private Mount mount(FileSystem filesystem) throws IOException {
        MountOptions options = MountOptions.defaults().withAllowOther(true).withDefaultPermissions(true)
                .withPosixLocks(true).withFlockLocks(true)
                .withEntryTimeout(Duration.ZERO).withAttrTimeout(Duration.ZERO);
        return mounts.mount(filesystem, options);
    }

    // ---- data

    @Test
    @Timeout(60)
    void filesWrittenThroughTheMountAppearInTheSourceByteForByteAndViceVersa() throws Exception {
        byte[] data = randomBytes(300_000, 1);
        Files.write(mnt.resolve("a.bin"), data);
        assertThat(Files.readAllBytes(source.resolve("a.bin"))).isEqualTo(data);

        byte[] other = randomBytes(123_457, 2);
        Files.write(source.resolve("b.bin"), other);
        assertThat(Files.readAllBytes(mnt.resolve("b.bin"))).isEqualTo(other);

        // In place: a write in the middle, and an append.
        try (FileChannel channel = FileChannel.open(mnt.resolve("a.bin"), StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap("middle".getBytes(StandardCharsets.US_ASCII)), 1000);
        }
        Files.writeString(mnt.resolve("a.bin"), "tail", StandardOpenOption.APPEND);
        byte[] expected = new byte[data.length + 4];
        System.arraycopy(data, 0, expected, 0, data.length);
        System.arraycopy("middle".getBytes(StandardCharsets.US_ASCII), 0, expected, 1000, 6);
        System.arraycopy("tail".getBytes(StandardCharsets.US_ASCII), 0, expected, data.length, 4);
        assertThat(Files.readAllBytes(source.resolve("a.bin"))).isEqualTo(expected);

        // Changed in the source after the mount read it: the mount reads the new contents.
        Files.writeString(source.resolve("b.bin"), "replaced");
        assertThat(Files.readString(mnt.resolve("b.bin"))).isEqualTo("replaced");
    }

    // ---- helpers

    private static byte[] randomBytes(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** Runs a command and returns its stdout; fails the test if it exits non-zero. */
    private static String run(String... command) throws Exception {
        Result result = runStatus(command);
        assertThat(result.status()).as("%s failed: %s", String.join(" ", command), result.stderr()).isZero();
        return result.stdout();
    }

    private record Result(int status, String stdout, String stderr) {}

    private static Result runStatus(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        var stderr = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish");
        }
        return new Result(process.exitValue(), stdout, stderr.get());
    }
}
