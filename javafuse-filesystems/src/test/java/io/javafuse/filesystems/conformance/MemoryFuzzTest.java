package io.javafuse.filesystems.conformance;

import io.javafuse.api.Mount;
import io.javafuse.api.MountOptions;
import io.javafuse.filesystems.memory.MemoryFileSystem;
import io.javafuse.testing.MountExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The randomized differential fuzzer against the in-memory filesystem and a native tmpfs
 * directory. {@code -Djavafuse.fuzz.ops=N} and {@code -Djavafuse.fuzz.seed=S} reproduce or extend
 * a run; {@code bench/fuzz-soak.sh} runs ten million operations.
 */
class MemoryFuzzTest {
    static final int OPS = Integer.getInteger("javafuse.fuzz.ops", 100_000);
    static final long SEED = Long.getLong("javafuse.fuzz.seed", System.nanoTime());
    /** A run is split into segments on fresh trees so that a failure shrinks quickly. */
    static final int SEGMENT = 5_000;

    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    private Path shm;

    @Test
    @Timeout(900)
    void theMountBehavesLikeTmpfsUnderRandomOperations() throws Exception {
        shm = Files.createTempDirectory(Path.of("/dev/shm"), "javafuse-fuzz-");
        Mount mount = mounts.mount(new MemoryFileSystem(), MountOptions.defaults().withDefaultPermissions(true)
                .withHandleSignals(false));
        long checks = 0;
        int segments = (OPS + SEGMENT - 1) / SEGMENT;
        for (int s = 0; s < segments; s++) {
            long seed = SEED + s;
            List<Fuzzer.Op> ops = Fuzzer.generate(seed, Math.min(SEGMENT, OPS - s * SEGMENT));
            Path[] roots = freshRoots(mount, s);
            try {
                checks += Fuzzer.run(ops, roots[0], roots[1]);
            } catch (Fuzzer.Divergence d) {
                int segment = s;
                List<Fuzzer.Op> shortest = Fuzzer.shrink(ops.subList(0, d.step + 1),
                        () -> freshRoots(mount, segment * 1000 + (int) (System.nanoTime() % 1000)));
                throw new AssertionError("seed " + seed + " (run with -Djavafuse.fuzz.seed=" + seed
                        + " -Djavafuse.fuzz.ops=" + SEGMENT + "): " + d.getMessage() + "\nshrunk to " + shortest.size()
                        + " steps: " + shortest, d);
            }
        }
        deleteRecursively(shm);
        System.out.printf("fuzz: %d operations from seed %d, %d checks, no difference%n", OPS, SEED, checks);
        assertThat(checks).isGreaterThanOrEqualTo(OPS);
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (var walk = Files.walk(root)) {
            for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private Path[] freshRoots(Mount mount, int tag) throws IOException {
        // tmpfs, which the in-memory filesystem imitates
        Path nativeRoot = Files.createDirectories(shm.resolve("t" + tag));
        Path mountRoot = Files.createDirectories(mount.mountpoint().resolve("t" + tag));
        return new Path[] {nativeRoot, mountRoot};
    }
}
