package io.javafuse.filesystems.memory;

import io.javafuse.api.Attr;
import io.javafuse.api.Errno;
import io.javafuse.api.FileSystem;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MemoryRenameTest extends FileSystemFixture {

    private void rename(long parent, String name, long newParent, String newName, int flags) throws Exception {
        fs.rename(AS_ROOT, parent, name, newParent, newName, flags);
    }

    @Test
    void movesAFileWithinADirectoryAndStampsIt() throws Exception {
        long file = file(ROOT, "a");
        age(file);
        age(ROOT);
        rename(ROOT, "a", ROOT, "b", 0);
        assertErrno(Errno.ENOENT, () -> lookup(ROOT, "a"));
        assertThat(lookup(ROOT, "b")).isEqualTo(file);
        Attr moved = attr(file);
        assertThat(moved.ctime()).isAfter(LONG_AGO);
        assertThat(moved.mtime()).isEqualTo(LONG_AGO);
        assertThat(attr(ROOT).mtime()).isAfter(LONG_AGO);
        assertThat(attr(ROOT).ctime()).isAfter(LONG_AGO);
    }

    @Test
    void movesAcrossDirectoriesAndStampsBothParents() throws Exception {
        long from = mkdir(ROOT, "from");
        long to = mkdir(ROOT, "to");
        long file = file(from, "f");
        age(from);
        age(to);
        rename(from, "f", to, "g", 0);
        assertThat(lookup(to, "g")).isEqualTo(file);
        assertThat(list(from)).containsExactly(".", "..");
        assertThat(attr(from).mtime()).isAfter(LONG_AGO);
        assertThat(attr(to).mtime()).isAfter(LONG_AGO);
    }

    @Test
    void replacesAFileAndDropsTheReplacedOneOnceForgotten() throws Exception {
        long[] a = fileWith(ROOT, "a", "new");
        long b = file(ROOT, "b");
        rename(ROOT, "a", ROOT, "b", 0);
        assertThat(lookup(ROOT, "b")).isEqualTo(a[0]);
        assertThat(attr(b).nlink()).isZero();
        int before = fs.nodeCount();
        fs.forget(b, 1);
        assertThat(fs.nodeCount()).isEqualTo(before - 1);
        assertThat(readString(a[0], a[1], 0, 10)).isEqualTo("new");
    }

    @Test
    void replacesAnEmptyDirectoryAndKeepsLinkCountsRight() throws Exception {
        long from = mkdir(ROOT, "from");
        long to = mkdir(ROOT, "to");
        long moving = mkdir(from, "d");
        long victim = mkdir(to, "d");
        rename(from, "d", to, "d", 0);
        assertThat(lookup(to, "d")).isEqualTo(moving);
        assertThat(lookup(moving, "..")).isEqualTo(to);
        assertThat(attr(victim).nlink()).isZero();
        assertThat(attr(from).nlink()).isEqualTo(2);
        assertThat(attr(to).nlink()).isEqualTo(3);
        assertThat(attr(ROOT).nlink()).isEqualTo(4);
    }

    @Test
    void movingADirectoryMovesItsLinkToTheNewParent() throws Exception {
        long from = mkdir(ROOT, "from");
        long to = mkdir(ROOT, "to");
        long dir = mkdir(from, "d");
        rename(from, "d", to, "d", 0);
        assertThat(attr(from).nlink()).isEqualTo(2);
        assertThat(attr(to).nlink()).isEqualTo(3);
        assertThat(lookup(dir, "..")).isEqualTo(to);
        assertThat(list(dir)).startsWith(".", "..");
    }

    @Test
    void refusesToReplaceAcrossTypesOrNonEmptyDirectories() throws Exception {
        mkdir(ROOT, "dir");
        long full = mkdir(ROOT, "full");
        file(full, "x");
        file(ROOT, "file");
        assertErrno(Errno.ENOTDIR, () -> rename(ROOT, "dir", ROOT, "file", 0));
        assertErrno(Errno.EISDIR, () -> rename(ROOT, "file", ROOT, "dir", 0));
        assertErrno(Errno.ENOTEMPTY, () -> rename(ROOT, "dir", ROOT, "full", 0));
        assertErrno(Errno.ENOENT, () -> rename(ROOT, "missing", ROOT, "x", 0));
        assertErrno(Errno.ENOTDIR, () -> rename(lookup(ROOT, "file"), "x", ROOT, "y", 0));
        assertThat(list(ROOT)).containsExactlyInAnyOrder(".", "..", "dir", "full", "file");
    }

    @Test
    void refusesToMoveADirectoryIntoItself() throws Exception {
        long a = mkdir(ROOT, "a");
        long b = mkdir(a, "b");
        long c = mkdir(b, "c");
        assertErrno(Errno.EINVAL, () -> rename(ROOT, "a", c, "a", 0));
        assertErrno(Errno.EINVAL, () -> rename(ROOT, "a", a, "x", 0));
        assertErrno(Errno.EINVAL, () -> rename(ROOT, "a", c, "x", FileSystem.RENAME_NOREPLACE));
        // The target may not be an ancestor of the source either.
        assertErrno(Errno.ENOTEMPTY, () -> rename(b, "c", ROOT, "a", 0));
        assertErrno(Errno.EINVAL, () -> rename(b, "c", ROOT, "a", FileSystem.RENAME_EXCHANGE));
        assertErrno(Errno.EINVAL, () -> rename(ROOT, "a", b, "c", FileSystem.RENAME_EXCHANGE));
        // Sideways is fine.
        rename(b, "c", a, "c", 0);
        assertThat(lookup(c, "..")).isEqualTo(a);
    }

    @Test
    void twoNamesOfOneNodeLeaveEverythingAsItWas() throws Exception {
        long file = file(ROOT, "a");
        fs.link(AS_ROOT, file, ROOT, "b");
        age(file);
        rename(ROOT, "a", ROOT, "b", 0);
        assertThat(lookup(ROOT, "a")).isEqualTo(file);
        assertThat(lookup(ROOT, "b")).isEqualTo(file);
        assertThat(attr(file).nlink()).isEqualTo(2);
        assertThat(attr(file).ctime()).isEqualTo(LONG_AGO);
        rename(ROOT, "a", ROOT, "a", 0);
        rename(ROOT, "a", ROOT, "b", FileSystem.RENAME_EXCHANGE);
        assertThat(lookup(ROOT, "a")).isEqualTo(file);
    }

    @Test
    void noreplaceFailsWhenTheTargetExists() throws Exception {
        long a = file(ROOT, "a");
        long b = file(ROOT, "b");
        assertErrno(Errno.EEXIST, () -> rename(ROOT, "a", ROOT, "b", FileSystem.RENAME_NOREPLACE));
        fs.link(AS_ROOT, a, ROOT, "c");
        assertErrno(Errno.EEXIST, () -> rename(ROOT, "a", ROOT, "c", FileSystem.RENAME_NOREPLACE));
        assertThat(lookup(ROOT, "b")).isEqualTo(b);
        rename(ROOT, "a", ROOT, "d", FileSystem.RENAME_NOREPLACE);
        assertThat(lookup(ROOT, "d")).isEqualTo(a);
    }

    @Test
    void exchangeSwapsFilesAndDirectoriesAcrossParents() throws Exception {
        long left = mkdir(ROOT, "left");
        long right = mkdir(ROOT, "right");
        long file = file(left, "x");
        long dir = mkdir(right, "y");
        file(dir, "inside");
        age(file);
        age(dir);
        rename(left, "x", right, "y", FileSystem.RENAME_EXCHANGE);
        assertThat(lookup(left, "x")).isEqualTo(dir);
        assertThat(lookup(right, "y")).isEqualTo(file);
        assertThat(lookup(dir, "..")).isEqualTo(left);
        assertThat(attr(left).nlink()).isEqualTo(3);
        assertThat(attr(right).nlink()).isEqualTo(2);
        assertThat(attr(file).ctime()).isAfter(LONG_AGO);
        assertThat(attr(dir).ctime()).isAfter(LONG_AGO);
        assertThat(attr(file).nlink()).isEqualTo(1);
        assertThat(attr(dir).nlink()).isEqualTo(2);
    }

    @Test
    void exchangeInOneDirectoryKeepsLinkCounts() throws Exception {
        long dir = mkdir(ROOT, "d");
        long file = file(ROOT, "f");
        rename(ROOT, "d", ROOT, "f", FileSystem.RENAME_EXCHANGE);
        assertThat(lookup(ROOT, "d")).isEqualTo(file);
        assertThat(lookup(ROOT, "f")).isEqualTo(dir);
        assertThat(attr(ROOT).nlink()).isEqualTo(3);
    }

    @Test
    void exchangeNeedsBothNames() throws Exception {
        file(ROOT, "a");
        assertErrno(Errno.ENOENT, () -> rename(ROOT, "a", ROOT, "missing", FileSystem.RENAME_EXCHANGE));
        assertErrno(Errno.ENOENT, () -> rename(ROOT, "missing", ROOT, "a", FileSystem.RENAME_EXCHANGE));
    }

    @Test
    void invalidFlagsAreRejected() throws Exception {
        file(ROOT, "a");
        assertErrno(Errno.EINVAL, () -> rename(ROOT, "a", ROOT, "b", FileSystem.RENAME_WHITEOUT));
        assertErrno(Errno.EINVAL,
                () -> rename(ROOT, "a", ROOT, "b", FileSystem.RENAME_NOREPLACE | FileSystem.RENAME_EXCHANGE));
        assertErrno(Errno.EINVAL, () -> rename(ROOT, "a", ROOT, "b", 8));
        assertThat(lookup(ROOT, "a")).isPositive();
    }

    @Test
    void replacedNameKeepsItsPlaceInTheListing() throws Exception {
        file(ROOT, "first");
        file(ROOT, "second");
        file(ROOT, "third");
        rename(ROOT, "third", ROOT, "first", 0);
        assertThat(list(ROOT)).containsExactly(".", "..", "first", "second");
    }
}
