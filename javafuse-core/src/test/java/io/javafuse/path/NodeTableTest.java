package io.javafuse.path;

import io.javafuse.api.Attr;
import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FuseException;
import io.javafuse.path.NodeTable.Guard;
import io.javafuse.path.NodeTable.Node;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The node table on its own, without a kernel: names, paths, counts and path locks. */
@Timeout(30)
class NodeTableTest {
    private final NodeTable table = new NodeTable();

    private static Attr dir(long ino) {
        return new Attr(ino, FileMode.S_IFDIR | 0755, 2, 0, 0, 0, 0, 0, 0, Instant.EPOCH, Instant.EPOCH, Instant.EPOCH);
    }

    private static Attr file(long ino) {
        return new Attr(ino, FileMode.S_IFREG | 0644, 1, 0, 0, 0, 0, 0, 0, Instant.EPOCH, Instant.EPOCH, Instant.EPOCH);
    }

    @AfterEach
    void consistent() {
        assertThat(table.inconsistencies()).isEmpty();
    }

    @Test
    void pathsAreBuiltFromParentsAndNames() {
        Node a = table.lookedUp(table.root(), "a", dir(10));
        Node b = table.lookedUp(a, "b", dir(11));
        Node c = table.lookedUp(b, "c.txt", file(12));
        assertThat(table.path(table.root())).isEqualTo("/");
        assertThat(table.path(c)).isEqualTo("/a/b/c.txt");
        assertThat(table.path(b, "new")).isEqualTo("/a/b/new");
        assertThat(table.lookedUp(a, "b", dir(11))).isSameAs(b);
        assertThat(table.lookupsOf("/a/b")).isEqualTo(2);
        assertThat(table.size()).isEqualTo(4);
    }

    @Test
    void renamingADirectoryMovesItsWholeSubtree() {
        Node a = table.lookedUp(table.root(), "a", dir(10));
        Node b = table.lookedUp(a, "b", dir(11));
        Node c = table.lookedUp(b, "c", file(12));
        Node z = table.lookedUp(table.root(), "z", dir(13));
        table.renamed(table.root(), "a", z, "moved", false);
        assertThat(table.path(a)).isEqualTo("/z/moved");
        assertThat(table.path(c)).isEqualTo("/z/moved/b/c");
        assertThat(table.child(table.root(), "a")).isNull();
        assertThat(table.child(z, "moved")).isSameAs(a);
    }

    @Test
    void aRenameOverAnExistingNameDetachesItsNode() {
        Node x = table.lookedUp(table.root(), "x", file(10));
        Node y = table.lookedUp(table.root(), "y", file(11));
        table.renamed(table.root(), "x", table.root(), "y", false);
        assertThat(table.path(x)).isEqualTo("/y");
        assertThat(table.path(y)).isNull();
        // The kernel still holds y: it stays until forgotten.
        assertThat(table.size()).isEqualTo(3);
        table.forget(y.id, 1);
        assertThat(table.size()).isEqualTo(2);
    }

    @Test
    void anExchangeSwapsTheNames() {
        Node x = table.lookedUp(table.root(), "x", dir(10));
        Node inX = table.lookedUp(x, "inner", file(12));
        Node y = table.lookedUp(table.root(), "y", file(11));
        table.renamed(table.root(), "x", table.root(), "y", true);
        assertThat(table.path(x)).isEqualTo("/y");
        assertThat(table.path(inX)).isEqualTo("/y/inner");
        assertThat(table.path(y)).isEqualTo("/x");
    }

    @Test
    void forgetDropsNodesButKeepsParentsOfRemainingChildren() throws FuseException {
        Node a = table.lookedUp(table.root(), "a", dir(10));
        Node b = table.lookedUp(a, "b", file(11));
        table.forget(a.id, 1);
        assertThat(table.size()).isEqualTo(3); // a stays: b needs it for its path
        assertThat(table.path(b)).isEqualTo("/a/b");
        table.forget(b.id, 1);
        assertThat(table.size()).isEqualTo(1);
        assertThatThrownBy(() -> table.get(a.id)).isInstanceOfSatisfying(FuseException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ESTALE));
    }

    @Test
    void anUnlinkedOpenFileStaysUntilReleasedAndForgotten() {
        Node f = table.lookedUp(table.root(), "f", file(10));
        table.opened(f, 7);
        table.opened(f, 7);
        table.removed(table.root(), "f");
        assertThat(table.path(f)).isNull();
        assertThat(table.anyHandle(f)).isEqualTo(7);
        table.forget(f.id, 1);
        table.released(f, 7);
        assertThat(table.size()).isEqualTo(2);
        table.released(f, 7);
        assertThat(table.anyHandle(f)).isEqualTo(PathFileSystem.NO_HANDLE);
        assertThat(table.size()).isEqualTo(1);
        // A new file of that name is another node.
        assertThat(table.lookedUp(table.root(), "f", file(11))).isNotSameAs(f);
    }

    @Test
    void aNameWhoseTypeChangedGetsANewNode() {
        Node f = table.lookedUp(table.root(), "n", file(10));
        Node d = table.lookedUp(table.root(), "n", dir(11));
        assertThat(d).isNotSameAs(f);
        assertThat(table.path(f)).isNull();
        assertThat(table.path(d)).isEqualTo("/n");
    }

    @Test
    void aRenameWaitsForCallsBelowWhatItMoves() throws Exception {
        Node a = table.lookedUp(table.root(), "a", dir(10));
        Node f = table.lookedUp(a, "f", file(11));
        Guard reading = table.keep(f);
        CountDownLatch started = new CountDownLatch(1);
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<?> rename = executor.submit(() -> {
                started.countDown();
                try (Guard _ = table.rename(table.root(), "a", table.root(), "b")) {
                    table.renamed(table.root(), "a", table.root(), "b", false);
                }
                return null;
            });
            started.await();
            Thread.sleep(100);
            assertThat(rename).isNotDone();
            assertThat(table.path(f)).isEqualTo("/a/f");
            // Calls elsewhere go on meanwhile.
            Node other = table.lookedUp(table.root(), "other", file(12));
            table.keep(other).close();
            reading.close();
            rename.get(5, TimeUnit.SECONDS);
            assertThat(table.path(f)).isEqualTo("/b/f");
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void aWaitingRenameHoldsOffNewCallsOnItsNames() throws Exception {
        Node a = table.lookedUp(table.root(), "a", dir(10));
        Guard first = table.keep(a);
        ExecutorService executor = Executors.newFixedThreadPool(2);
        try {
            Future<?> rename = executor.submit(() -> {
                try (Guard _ = table.rename(table.root(), "a", table.root(), "b")) {
                    table.renamed(table.root(), "a", table.root(), "b", false);
                }
                return null;
            });
            Thread.sleep(100);
            Future<String> second = executor.submit(() -> {
                try (Guard _ = table.keep(a)) {
                    return table.path(a);
                }
            });
            Thread.sleep(100);
            assertThat(second).isNotDone();
            first.close();
            rename.get(5, TimeUnit.SECONDS);
            assertThat(second.get(5, TimeUnit.SECONDS)).isEqualTo("/b");
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void anInterruptedWaitGivesUpWithEintr() throws Exception {
        Node a = table.lookedUp(table.root(), "a", dir(10));
        Guard reading = table.keep(a);
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<?> rename = executor.submit(() -> table.rename(table.root(), "a", table.root(), "b"));
            Thread.sleep(100);
            executor.shutdownNow();
            assertThatThrownBy(() -> rename.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(FuseException.class);
            assertThat(executor.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        } finally {
            reading.close();
        }
        table.keep(a).close(); // no mark is left behind
    }

    @Test
    void parallelRenamesAndCallsKeepTheTableConsistent() throws Exception {
        int threads = 8;
        List<Node> dirs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Node d = table.lookedUp(table.root(), "d" + i, dir(100 + i));
            for (int j = 0; j < 4; j++) {
                table.lookedUp(d, "f" + j, file(1000 + i * 10 + j));
            }
            dirs.add(d);
        }
        AtomicBoolean failed = new AtomicBoolean();
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(executor.submit(() -> {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int i = 0; i < 2000 && !failed.get(); i++) {
                        Node from = dirs.get(random.nextInt(dirs.size()));
                        Node to = dirs.get(random.nextInt(dirs.size()));
                        String name = "f" + random.nextInt(4);
                        String newName = "f" + random.nextInt(4);
                        if (thread % 2 == 0) {
                            try (Guard _ = table.rename(from, name, to, newName)) {
                                table.renamed(from, name, to, newName, random.nextBoolean());
                            }
                        } else {
                            Node node = table.child(from, name);
                            if (node == null) {
                                node = table.lookedUp(from, name, file(5000 + i));
                            }
                            try (Guard _ = table.keep(node)) {
                                String path = table.path(node);
                                String again = table.path(node);
                                if (path != null && !path.equals(again)) {
                                    failed.set(true); // a path moved under a held guard
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get(30, TimeUnit.SECONDS);
            }
        } finally {
            executor.shutdownNow();
        }
        assertThat(failed).isFalse();
    }
}
