package io.javafuse.filesystems.conformance;

import io.javafuse.api.Mount;
import io.javafuse.testing.MountExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The randomized differential fuzzer against a mount and a native tmpfs directory; one concrete
 * class per filesystem says how to mount it. {@code -Djavafuse.fuzz.ops=N} and
 * {@code -Djavafuse.fuzz.seed=S} reproduce or extend a run; {@code bench/fuzz-soak.sh} runs ten
 * million operations.
 */
abstract class FuzzTestBase {
    static final int OPS = Integer.getInteger("javafuse.fuzz.ops", 100_000);
    static final long SEED = Long.getLong("javafuse.fuzz.seed", System.nanoTime());
    /** A run is split into segments on fresh trees so that a failure shrinks quickly. */
    static final int SEGMENT = 5_000;

    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    /** Directories on tmpfs to remove after the run. */
    final List<Path> temporary = new ArrayList<>();
    private Path shm;

    /** Mounts the filesystem under test through {@code mounts}; the mount's root must start empty. */
    abstract Mount mount() throws IOException;

    /** A new directory on tmpfs, removed after the run. */
    Path shmDirectory(String prefix) throws IOException {
        Path directory = Differential.newShmDirectory(prefix);
        temporary.add(directory);
        return directory;
    }

    @Test
    @Timeout(900)
    void theMountBehavesLikeTmpfsUnderRandomOperations() throws Exception {
        try {
            shm = shmDirectory("javafuse-fuzz-");
            Mount mount = mount();
            long start = System.nanoTime();
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
                            + " -Djavafuse.fuzz.ops=" + SEGMENT + "): " + d.getMessage() + "\nshrunk to "
                            + shortest.size() + " steps: " + shortest, d);
                }
            }
            System.out.printf("fuzz: %s: %d operations from seed %d, %d checks, no difference, %.1f s%n",
                    getClass().getSimpleName(), OPS, SEED, checks, (System.nanoTime() - start) / 1e9);
            assertThat(checks).isGreaterThanOrEqualTo(OPS);
        } finally {
            for (Path path : temporary.reversed()) {
                Differential.deleteRecursively(path);
            }
        }
    }

    private Path[] freshRoots(Mount mount, int tag) throws IOException {
        Path nativeRoot = Files.createDirectories(shm.resolve("t" + tag));
        Path mountRoot = Files.createDirectories(mount.mountpoint().resolve("t" + tag));
        return new Path[] {nativeRoot, mountRoot};
    }
}
