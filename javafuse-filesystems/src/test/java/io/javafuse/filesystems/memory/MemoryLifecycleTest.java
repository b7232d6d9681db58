package io.javafuse.filesystems.memory;

import io.javafuse.api.Created;
import io.javafuse.api.DirectoryPlusFiller;
import io.javafuse.api.Entry;
import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.StatFs;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Lookup counting, forget, and how long nodes live. */
class MemoryLifecycleTest extends FileSystemFixture {
    /** Lookups handed to the "kernel" per node id, to give back at the end. */
    private final Map<Long, Long> held = new HashMap<>();

    private long hold(Entry entry) {
        held.merge(entry.nodeId(), 1L, Long::sum);
        return entry.nodeId();
    }

    private void forgetAll() {
        held.forEach(fs::forget);
        held.clear();
    }

    @Test
    void everyOperationThatReturnsAnEntryCountsOneLookup() throws Exception {
        long dir = hold(fs.mkdir(AS_ROOT, ROOT, "dir", 0755, 0));
        long file = hold(fs.mknod(AS_ROOT, dir, "file", FileMode.S_IFREG | 0644, 0, 0));
        hold(fs.symlink(AS_ROOT, dir, "link", "file"));
        hold(fs.link(AS_ROOT, file, ROOT, "hard"));
        Created created = fs.create(AS_ROOT, dir, "created", 0644, 0, O_RDWR);
        hold(created.entry());
        Created tmp = fs.tmpfile(AS_ROOT, dir, 0600, 0, O_RDWR);
        hold(tmp.entry());
        hold(fs.lookup(AS_ROOT, dir, "file"));
        hold(fs.lookup(AS_ROOT, ROOT, "dir"));
        hold(fs.lookup(AS_ROOT, dir, "."));
        readdirplusAll(dir);
        // root, dir, file (two names), link, created, tmp
        assertThat(fs.nodeCount()).isEqualTo(6);

        fs.release(AS_ROOT, created.entry().nodeId(), created.open().fh(), 0);
        fs.release(AS_ROOT, tmp.entry().nodeId(), tmp.open().fh(), 0);
        fs.unlink(AS_ROOT, ROOT, "hard");
        for (String name : new String[] {"file", "link", "created"}) {
            fs.unlink(AS_ROOT, dir, name);
        }
        fs.rmdir(AS_ROOT, ROOT, "dir");
        // Unlinked, but the kernel still knows them.
        assertThat(fs.nodeCount()).isEqualTo(6);
        assertThat(attr(file).nlink()).isZero();

        forgetAll();
        assertThat(fs.nodeCount()).isEqualTo(1);
        assertErrno(Errno.ENOENT, () -> attr(file));
    }

    private void readdirplusAll(long dir) throws Exception {
        fs.readdirplus(AS_ROOT, dir, 0, 0, new DirectoryPlusFiller() {
            @Override
            public boolean add(String name, Entry entry, long nextOffset) {
                if (!name.equals(".") && !name.equals("..")) {
                    hold(entry);
                }
                return true;
            }

            @Override
            public boolean fits(String name) {
                return true;
            }
        });
    }

    @Test
    void aNodeLivesUntilTheLastLookupIsForgotten() throws Exception {
        long file = file(ROOT, "f");
        lookup(ROOT, "f");
        lookup(ROOT, "f");
        fs.unlink(AS_ROOT, ROOT, "f");
        fs.forget(file, 2);
        assertThat(attr(file).nlink()).isZero();
        fs.forget(file, 1);
        assertThat(fs.nodeCount()).isEqualTo(1);
        // Forgetting what is gone, or too much, is harmless.
        fs.forget(file, 5);
        fs.forget(ROOT, 100);
        assertThat(attr(ROOT).nlink()).isEqualTo(2);
    }

    @Test
    void forgettingANamedNodeKeepsIt() throws Exception {
        long file = file(ROOT, "f");
        fs.forget(file, 1);
        assertThat(fs.nodeCount()).isEqualTo(2);
        assertThat(lookup(ROOT, "f")).isEqualTo(file);
    }

    @Test
    void anUnlinkedFileStaysUsableWhileOpen() throws Exception {
        long[] file = fileWith(ROOT, "f", "still here");
        StatFs full = fs.statfs(AS_ROOT, ROOT);
        fs.unlink(AS_ROOT, ROOT, "f");
        fs.forget(file[0], 1);
        assertThat(fs.nodeCount()).isEqualTo(2);
        assertThat(readString(file[0], file[1], 0, 100)).isEqualTo("still here");
        write(file[0], file[1], 10, "!");
        assertThat(readString(file[0], file[1], 0, 100)).isEqualTo("still here!");
        assertThat(fs.getattr(AS_ROOT, file[0], file[1]).nlink()).isZero();

        fs.release(AS_ROOT, file[0], file[1], 0);
        assertThat(fs.nodeCount()).isEqualTo(1);
        StatFs empty = fs.statfs(AS_ROOT, ROOT);
        assertThat(empty.blocksFree()).isEqualTo(full.blocksFree() + 1);
        assertThat(empty.blocksFree()).isEqualTo(empty.blocks());
        assertErrno(Errno.EBADF, () -> read(file[0], file[1], 0, 1));
    }

    @Test
    void aTmpfileHasNoNameAndGoesAwayWhenClosed() throws Exception {
        long dir = mkdir(ROOT, "dir");
        file(dir, "existing");
        var before = attr(dir);
        Created tmp = fs.tmpfile(AS_USER, dir, 0600, 0, O_RDWR);
        assertThat(tmp.entry().attr().nlink()).isZero();
        assertThat(tmp.entry().attr().mode()).isEqualTo(FileMode.S_IFREG | 0600);
        assertThat(tmp.entry().attr().uid()).isEqualTo(1000);
        assertThat(list(dir)).containsExactly(".", "..", "existing");
        assertThat(attr(dir).mtime()).isEqualTo(before.mtime());

        long node = tmp.entry().nodeId();
        write(node, tmp.open().fh(), 0, "scratch");
        assertThat(readString(node, tmp.open().fh(), 0, 10)).isEqualTo("scratch");
        fs.forget(node, 1);
        assertThat(fs.nodeCount()).isEqualTo(4);
        fs.release(AS_ROOT, node, tmp.open().fh(), 0);
        assertThat(fs.nodeCount()).isEqualTo(3);
    }

    @Test
    void aTmpfileThatGetsLinkedStays() throws Exception {
        Created tmp = fs.tmpfile(AS_ROOT, ROOT, 0644, 0, O_RDWR);
        long node = tmp.entry().nodeId();
        write(node, tmp.open().fh(), 0, "kept");
        fs.link(AS_ROOT, node, ROOT, "kept");
        fs.release(AS_ROOT, node, tmp.open().fh(), 0);
        fs.forget(node, 2);
        assertThat(fs.nodeCount()).isEqualTo(2);
        long fh = open(lookup(ROOT, "kept"), O_RDONLY);
        assertThat(readString(node, fh, 0, 10)).isEqualTo("kept");
    }

    @Test
    void createOpensAnExistingFileUnlessExclusive() throws Exception {
        long[] file = fileWith(ROOT, "f", "contents");
        Created again = fs.create(AS_ROOT, ROOT, "f", 0600, 0, O_RDWR);
        assertThat(again.entry().nodeId()).isEqualTo(file[0]);
        assertThat(again.entry().attr().mode()).isEqualTo(FileMode.S_IFREG | 0644);
        assertThat(readString(file[0], again.open().fh(), 0, 100)).isEqualTo("contents");

        Created truncated = fs.create(AS_ROOT, ROOT, "f", 0600, 0, O_RDWR | O_TRUNC);
        assertThat(truncated.entry().attr().size()).isZero();

        assertErrno(Errno.EEXIST, () -> fs.create(AS_ROOT, ROOT, "f", 0600, 0, O_RDWR | O_EXCL));
        mkdir(ROOT, "dir");
        assertErrno(Errno.EISDIR, () -> fs.create(AS_ROOT, ROOT, "dir", 0600, 0, O_RDWR));
        assertErrno(Errno.ENOTDIR, () -> fs.create(AS_ROOT, file[0], "x", 0600, 0, O_RDWR));
    }

    @Test
    void createMakesAnOpenRegularFile() throws Exception {
        long dir = mkdir(ROOT, "dir");
        age(dir);
        Created created = fs.create(AS_ROOT, dir, "new", 0640, 0, O_WRONLY | O_EXCL);
        assertThat(created.entry().attr().mode()).isEqualTo(FileMode.S_IFREG | 0640);
        assertThat(created.entry().attr().nlink()).isEqualTo(1);
        assertThat(attr(dir).mtime()).isAfter(LONG_AGO);
        assertThat(write(created.entry().nodeId(), created.open().fh(), 0, "x")).isEqualTo(1);
        assertThat(lookup(dir, "new")).isEqualTo(created.entry().nodeId());
    }

    @Test
    void openRefusesDirectoriesAndReleaseOfUnknownHandlesIsHarmless() throws Exception {
        long dir = mkdir(ROOT, "dir");
        assertErrno(Errno.EISDIR, () -> fs.open(AS_ROOT, dir, O_RDONLY));
        assertThat(fs.opendir(AS_ROOT, dir, 0).fh()).isZero();
        assertErrno(Errno.ENOTDIR, () -> fs.opendir(AS_ROOT, file(ROOT, "f"), 0));
        fs.releasedir(AS_ROOT, dir, 0);
        fs.fsyncdir(AS_ROOT, dir, 0, false);
        fs.release(AS_ROOT, dir, 987654, 0);
        assertThat(fs.nodeCount()).isEqualTo(3);
    }

    @Test
    void handlesAreCheckedAgainstTheirNode() throws Exception {
        long[] a = fileWith(ROOT, "a", "a");
        long b = file(ROOT, "b");
        assertErrno(Errno.EBADF, () -> read(b, a[1], 0, 1));
        assertErrno(Errno.EBADF, () -> write(b, a[1], 0, "x"));
        assertErrno(Errno.EBADF, () -> read(a[0], 999, 0, 1));
    }

    @Test
    void specialFilesCanBeOpenedButHoldNoData() throws Exception {
        long fifo = fs.mknod(AS_ROOT, ROOT, "fifo", FileMode.S_IFIFO | 0600, 0, 0).nodeId();
        long fh = open(fifo, O_RDWR);
        assertErrno(Errno.EINVAL, () -> read(fifo, fh, 0, 1));
        assertErrno(Errno.EINVAL, () -> write(fifo, fh, 0, "x"));
        fs.release(AS_ROOT, fifo, fh, 0);
    }
}
