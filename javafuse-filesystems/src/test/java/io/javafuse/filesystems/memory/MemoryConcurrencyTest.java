package io.javafuse.filesystems.memory;

import io.javafuse.api.Attr;
import io.javafuse.api.Created;
import io.javafuse.api.Entry;
import io.javafuse.api.FileMode;
import io.javafuse.api.FuseException;
import io.javafuse.api.StatFs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class MemoryConcurrencyTest extends FileSystemFixture {
    private static final int THREADS = 8;

    /** Runs {@code task(thread)} on {@link #THREADS} threads started together; rethrows the first failure. */
    private static void onThreads(ThreadTask task) throws Exception {
        CyclicBarrier start = new CyclicBarrier(THREADS);
        try (ExecutorService pool = Executors.newFixedThreadPool(THREADS)) {
            List<Future<Void>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                Callable<Void> call = () -> {
                    start.await();
                    task.run(thread);
                    return null;
                };
                results.add(pool.submit(call));
            }
            for (Future<Void> result : results) {
                result.get();
            }
        }
    }

    @FunctionalInterface
    private interface ThreadTask {
        void run(int thread) throws Exception;
    }

    @Test
    void writersOnSeparateFilesDoNotInterfere() throws Exception {
        int size = 2 << 20;
        onThreads(thread -> {
            long node = file(ROOT, "file" + thread);
            long fh = open(node, O_RDWR);
            Random random = new Random(thread);
            byte[] expected = new byte[size];
            random.nextBytes(expected);
            // Out-of-order chunks of odd sizes, as a parallel writer would send them.
            List<int[]> chunks = new ArrayList<>();
            for (int offset = 0; offset < size; ) {
                int length = Math.min(size - offset, 1 + random.nextInt(70_000));
                chunks.add(new int[] {offset, length});
                offset += length;
            }
            Collections.shuffle(chunks, random);
            for (int[] chunk : chunks) {
                MemorySegment data = MemorySegment.ofArray(expected).asSlice(chunk[0], chunk[1]).asReadOnly();
                assertThat(fs.write(AS_ROOT, node, fh, chunk[0], data, 0)).isEqualTo(chunk[1]);
            }
            assertThat(attr(node).size()).isEqualTo(size);
            assertThat(read(node, fh, 0, size)).isEqualTo(expected);
            fs.release(AS_ROOT, node, fh, 0);
        });
        StatFs statfs = fs.statfs(AS_ROOT, ROOT);
        assertThat(statfs.blocks() - statfs.blocksFree()).isEqualTo((long) THREADS * size / 4096);
    }

    @Test
    void writersAndReadersOnOneFileSeeWholeWrites() throws Exception {
        long node = file(ROOT, "shared");
        long fh = open(node, O_RDWR);
        int slot = 8192;
        onThreads(thread -> {
            for (int i = 0; i < 200; i++) {
                if (thread % 2 == 0) {
                    // Each write fills one slot with one byte value; slots never mix values.
                    write(node, fh, (long) (i % 16) * slot, filled(slot, thread * 31 + i));
                } else {
                    byte[] contents = read(node, fh, (long) (i % 16) * slot, slot);
                    for (byte b : contents) {
                        assertThat(b).isEqualTo(contents[0]);
                    }
                }
            }
        });
    }

    @Test
    void namespaceChangesFromManyThreadsKeepCountsRight() throws Exception {
        long shared = mkdir(ROOT, "shared");
        AtomicLong finished = new AtomicLong();
        onThreads(thread -> {
            long own = mkdir(shared, "dir" + thread);
            for (int i = 0; i < 300; i++) {
                String name = "n" + i;
                Created first = fs.create(AS_ROOT, own, name, 0644, 0, O_RDWR);
                Entry file = first.entry();
                long fh = fs.create(AS_ROOT, own, name, 0644, 0, O_RDWR).open().fh();
                write(file.nodeId(), fh, 0, "x");
                fs.rename(AS_ROOT, own, name, shared, "t" + thread + "-" + i, 0);
                Entry sub = fs.mkdir(AS_ROOT, own, "sub" + i, 0755, 0);
                fs.rename(AS_ROOT, own, "sub" + i, shared, "s" + thread + "-" + i, 0);
                list(shared);
                fs.unlink(AS_ROOT, shared, "t" + thread + "-" + i);
                fs.rmdir(AS_ROOT, shared, "s" + thread + "-" + i);
                fs.release(AS_ROOT, file.nodeId(), first.open().fh(), 0);
                fs.release(AS_ROOT, file.nodeId(), fh, 0);
                // The kernel gives back what it was handed: two for the file (two creates), one for the directory.
                fs.forget(file.nodeId(), 2);
                fs.forget(sub.nodeId(), 1);
            }
            finished.incrementAndGet();
        });
        assertThat(finished.get()).isEqualTo(THREADS);
        Attr dir = attr(shared);
        assertThat(dir.nlink()).isEqualTo(2 + THREADS);
        assertThat(list(shared)).hasSize(2 + THREADS);
        // root, shared, and the per-thread directories; every file and subdirectory is gone.
        assertThat(fs.nodeCount()).isEqualTo(2 + THREADS);
        assertThat(fs.statfs(AS_ROOT, ROOT).blocksFree()).isEqualTo(fs.statfs(AS_ROOT, ROOT).blocks());
    }

    @Test
    void opposingCopiesDoNotDeadlock() throws Exception {
        long[] a = fileWith(ROOT, "a", "a".repeat(100_000));
        long[] b = fileWith(ROOT, "b", "b".repeat(100_000));
        onThreads(thread -> {
            for (int i = 0; i < 200; i++) {
                if (thread % 2 == 0) {
                    fs.copyFileRange(AS_ROOT, a[0], a[1], 0, b[0], b[1], 0, 50_000, 0);
                } else {
                    fs.copyFileRange(AS_ROOT, b[0], b[1], 50_000, a[0], a[1], 50_000, 50_000, 0);
                }
            }
        });
        assertThat(attr(a[0]).size()).isEqualTo(100_000);
    }

    @Test
    void lookupsRacingWithUnlinkAndForgetLeaveNoNodesBehind() throws Exception {
        onThreads(thread -> {
            for (int i = 0; i < 500; i++) {
                String name = "race" + (i % 10);
                try {
                    long node = fs.mknod(AS_ROOT, ROOT, name, FileMode.S_IFREG | 0644, 0, 0).nodeId();
                    fs.forget(node, 1);
                } catch (FuseException exists) {
                    // another thread made it first
                }
                try {
                    long node = lookup(ROOT, name);
                    fs.getattr(AS_ROOT, node, -1);
                    fs.forget(node, 1);
                } catch (FuseException gone) {
                    // another thread removed it first
                }
                try {
                    fs.unlink(AS_ROOT, ROOT, name);
                } catch (FuseException gone) {
                    // another thread removed it first
                }
            }
        });
        assertThat(fs.nodeCount()).isEqualTo(1);
    }
}
