package io.javafuse.path;

import io.javafuse.api.MountOptions;
import io.javafuse.testing.MountExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static io.javafuse.path.PathLinksTest.assertConsistent;
import static org.assertj.core.api.Assertions.assertThat;

/** The kernel's FORGETs empty the node table again. */
@Timeout(90)
class PathForgetTest {
    private static final Path DROP_CACHES = Path.of("/proc/sys/vm/drop_caches");

    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    /** Asks the kernel to drop unused dentries and inodes until the table is down to {@code most} nodes. */
    private static void dropCachesUntil(PathAdapter adapter, int most) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (adapter.nodeCount() > most) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the table still holds " + adapter.nodeCount() + " nodes");
            }
            Files.writeString(DROP_CACHES, "2");
            Thread.sleep(200);
        }
    }

    @Test
    void forgottenNodesLeaveTheTable() throws Exception {
        ExamplePathFs fs = new ExamplePathFs();
        PathAdapter adapter = new PathAdapter(fs);
        Path mnt = mounts.mount(adapter, MountOptions.defaults()).mountpoint();
        for (int d = 0; d < 10; d++) {
            Path dir = Files.createDirectories(mnt.resolve("a/b" + d));
            for (int f = 0; f < 30; f++) {
                Files.writeString(dir.resolve("f" + f), "data");
            }
        }
        for (int d = 0; d < 10; d++) {
            for (int f = 0; f < 30; f++) {
                assertThat(Files.size(mnt.resolve("a/b" + d + "/f" + f))).isEqualTo(4);
            }
        }
        assertThat(adapter.nodeCount()).isGreaterThan(300);
        assertThat(adapter.table().lookupsOf("/a/b3/f7")).isPositive();

        // An open file keeps its node (and its directories) across the drop, even once unlinked.
        try (FileChannel open = FileChannel.open(mnt.resolve("a/b0/f0"), StandardOpenOption.READ)) {
            Files.delete(mnt.resolve("a/b0/f0"));
            dropCachesUntil(adapter, 5);
            assertThat(adapter.nodeCount()).isGreaterThanOrEqualTo(2);
            assertThat(open.size()).isEqualTo(4);
        }
        dropCachesUntil(adapter, 1);
        assertThat(adapter.table().lookupsOf("/a/b3/f7")).isZero();

        // Everything is still there, by new nodes.
        assertThat(Files.readString(mnt.resolve("a/b3/f7"))).isEqualTo("data");
        assertThat(Shell.ok(mnt, "find", ".", "-type", "f").lines().count()).isEqualTo(299);
        assertThat(adapter.nodeCount()).isGreaterThan(300);
        dropCachesUntil(adapter, 1);
        assertConsistent(adapter);
    }
}
