package io.javafuse.filesystems.memory;

import io.javafuse.api.Attr;
import io.javafuse.api.Entry;
import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FileSystem;
import io.javafuse.filesystems.testing.TestRequest;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class MemoryNamespaceTest extends FileSystemFixture {

    @Test
    void rootIsADirectoryWithTheGivenOwnerAndMode() throws Exception {
        MemoryFileSystem custom = new MemoryFileSystem(1000, 100, FileMode.S_IFDIR | 0700, 1 << 20);
        Attr root = custom.getattr(AS_ROOT, ROOT, FileSystem.NO_HANDLE);
        assertThat(root.ino()).isEqualTo(ROOT);
        assertThat(root.mode()).isEqualTo(FileMode.S_IFDIR | 0700);
        assertThat(root.uid()).isEqualTo(1000);
        assertThat(root.gid()).isEqualTo(100);
        assertThat(root.nlink()).isEqualTo(2);
        assertThat(custom.nodeCount()).isEqualTo(1);

        Attr defaults = new MemoryFileSystem().getattr(AS_ROOT, ROOT, FileSystem.NO_HANDLE);
        assertThat(defaults.mode()).isEqualTo(FileMode.S_IFDIR | 0755);
        assertThat(defaults.uid()).isZero();
    }

    @Test
    void mkdirCreatesADirectoryAndCountsItInTheParentsLinks() throws Exception {
        Entry entry = fs.mkdir(AS_USER, ROOT, "dir", 0750, 022);
        assertThat(entry.nodeId()).isGreaterThan(ROOT).isEqualTo(entry.attr().ino());
        assertThat(entry.attr().mode()).isEqualTo(FileMode.S_IFDIR | 0750);
        assertThat(entry.attr().nlink()).isEqualTo(2);
        assertThat(entry.attr().uid()).isEqualTo(1000);
        assertThat(entry.attr().gid()).isEqualTo(1000);
        assertThat(attr(ROOT).nlink()).isEqualTo(3);

        mkdir(entry.nodeId(), "sub");
        assertThat(attr(entry.nodeId()).nlink()).isEqualTo(3);
        assertThat(attr(ROOT).nlink()).isEqualTo(3);
    }

    @Test
    void mkdirDropsSetIdBitsOfTheCallerButKeepsSticky() throws Exception {
        Entry entry = fs.mkdir(AS_ROOT, ROOT, "tmp", FileMode.S_ISUID | FileMode.S_ISGID | FileMode.S_ISVTX | 0777, 0);
        assertThat(entry.attr().mode()).isEqualTo(FileMode.S_IFDIR | FileMode.S_ISVTX | 0777);
    }

    @Test
    void lookupFindsNamesAndCountsTheirAttributes() throws Exception {
        long dir = mkdir(ROOT, "dir");
        long file = file(dir, "file");
        assertThat(lookup(dir, "file")).isEqualTo(file);
        assertThat(lookup(ROOT, "dir")).isEqualTo(dir);
        assertThat(lookup(dir, ".")).isEqualTo(dir);
        assertThat(lookup(dir, "..")).isEqualTo(ROOT);
        assertThat(lookup(ROOT, "..")).isEqualTo(ROOT);
        assertErrno(Errno.ENOENT, () -> lookup(dir, "missing"));
        assertErrno(Errno.ENOTDIR, () -> lookup(file, "x"));
        assertErrno(Errno.ENOENT, () -> lookup(12345, "x"));
    }

    @Test
    void namesLongerThan255BytesAreTooLong() throws Exception {
        String longest = "n".repeat(255);
        file(ROOT, longest);
        assertThat(lookup(ROOT, longest)).isPositive();
        String tooLong = "n".repeat(256);
        // 128 two-byte characters: 128 chars but 256 bytes
        String tooLongInBytes = "é".repeat(128);
        assertErrno(Errno.ENAMETOOLONG, () -> lookup(ROOT, tooLong));
        assertErrno(Errno.ENAMETOOLONG, () -> lookup(ROOT, tooLongInBytes));
        assertErrno(Errno.ENAMETOOLONG, () -> file(ROOT, tooLong));
        assertErrno(Errno.ENAMETOOLONG, () -> mkdir(ROOT, tooLongInBytes));
        assertErrno(Errno.ENAMETOOLONG, () -> fs.symlink(AS_ROOT, ROOT, tooLong, "target"));
        assertErrno(Errno.ENAMETOOLONG, () -> fs.create(AS_ROOT, ROOT, tooLong, 0644, 0, O_RDWR));
        assertErrno(Errno.ENAMETOOLONG, () -> fs.rename(AS_ROOT, ROOT, longest, ROOT, tooLong, 0));
    }

    @Test
    void dotNamesCannotBeCreatedOrRemoved() {
        assertErrno(Errno.EINVAL, () -> mkdir(ROOT, "."));
        assertErrno(Errno.EINVAL, () -> file(ROOT, ".."));
        assertErrno(Errno.EINVAL, () -> fs.unlink(AS_ROOT, ROOT, "."));
        assertErrno(Errno.EINVAL, () -> fs.rmdir(AS_ROOT, ROOT, ".."));
        assertErrno(Errno.EINVAL, () -> file(ROOT, "a/b"));
    }

    @Test
    void creatingAnExistingNameFails() throws Exception {
        long dir = mkdir(ROOT, "dir");
        file(dir, "name");
        assertErrno(Errno.EEXIST, () -> file(dir, "name"));
        assertErrno(Errno.EEXIST, () -> mkdir(dir, "name"));
        assertErrno(Errno.EEXIST, () -> fs.symlink(AS_ROOT, dir, "name", "t"));
        assertErrno(Errno.EEXIST, () -> fs.create(AS_ROOT, dir, "name", 0644, 0, O_RDWR | O_EXCL));
        assertErrno(Errno.EEXIST, () -> fs.link(AS_ROOT, lookup(dir, "name"), dir, "name"));
    }

    @Test
    void creatingInANonDirectoryOrRemovedDirectoryFails() throws Exception {
        long file = file(ROOT, "file");
        assertErrno(Errno.ENOTDIR, () -> mkdir(file, "x"));
        assertErrno(Errno.ENOTDIR, () -> file(file, "x"));

        long gone = mkdir(ROOT, "gone");
        fs.rmdir(AS_ROOT, ROOT, "gone");
        assertErrno(Errno.ENOENT, () -> file(gone, "x"));
        assertErrno(Errno.ENOENT, () -> mkdir(gone, "x"));
        assertErrno(Errno.ENOENT, () -> fs.create(AS_ROOT, gone, "x", 0644, 0, O_RDWR));
        assertErrno(Errno.ENOENT, () -> fs.tmpfile(AS_ROOT, gone, 0644, 0, O_RDWR));
        assertErrno(Errno.ENOENT, () -> fs.rename(AS_ROOT, ROOT, "file", gone, "x", 0));
    }

    @Test
    void mknodMakesEveryFileType() throws Exception {
        Entry regular = fs.mknod(AS_ROOT, ROOT, "reg", FileMode.S_IFREG | 0640, 0, 0);
        Entry plain = fs.mknod(AS_ROOT, ROOT, "plain", 0600, 0, 0);
        Entry fifo = fs.mknod(AS_ROOT, ROOT, "fifo", FileMode.S_IFIFO | 0600, 0x0801, 0);
        Entry chr = fs.mknod(AS_ROOT, ROOT, "chr", FileMode.S_IFCHR | 0600, 0x0103, 0);
        Entry blk = fs.mknod(AS_ROOT, ROOT, "blk", FileMode.S_IFBLK | 0600, 0x0801, 0);
        Entry sock = fs.mknod(AS_ROOT, ROOT, "sock", FileMode.S_IFSOCK | 0600, 0, 0);
        assertThat(regular.attr().mode()).isEqualTo(FileMode.S_IFREG | 0640);
        assertThat(plain.attr().mode()).isEqualTo(FileMode.S_IFREG | 0600);
        assertThat(fifo.attr().mode()).isEqualTo(FileMode.S_IFIFO | 0600);
        assertThat(fifo.attr().rdev()).isZero();
        assertThat(chr.attr().mode()).isEqualTo(FileMode.S_IFCHR | 0600);
        assertThat(chr.attr().rdev()).isEqualTo(0x0103);
        assertThat(blk.attr().rdev()).isEqualTo(0x0801);
        assertThat(sock.attr().mode()).isEqualTo(FileMode.S_IFSOCK | 0600);
        assertThat(regular.attr().nlink()).isEqualTo(1);
        assertThat(regular.attr().size()).isZero();

        assertErrno(Errno.EPERM, () -> fs.mknod(AS_ROOT, ROOT, "dir", FileMode.S_IFDIR | 0755, 0, 0));
        assertErrno(Errno.EINVAL, () -> fs.mknod(AS_ROOT, ROOT, "lnk", FileMode.S_IFLNK | 0777, 0, 0));
    }

    @Test
    void symlinksStoreTheirTarget() throws Exception {
        Entry link = fs.symlink(AS_USER, ROOT, "link", "some/where/ü");
        assertThat(link.attr().mode()).isEqualTo(FileMode.S_IFLNK | 0777);
        assertThat(link.attr().size()).isEqualTo("some/where/ü".getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        assertThat(link.attr().uid()).isEqualTo(1000);
        assertThat(fs.readlink(AS_ROOT, link.nodeId())).isEqualTo("some/where/ü");

        fs.symlink(AS_ROOT, ROOT, "longest", "t".repeat(4095));
        assertErrno(Errno.ENAMETOOLONG, () -> fs.symlink(AS_ROOT, ROOT, "toolong", "t".repeat(4096)));
        assertErrno(Errno.EINVAL, () -> fs.readlink(AS_ROOT, file(ROOT, "regular")));
        assertErrno(Errno.EINVAL, () -> fs.readlink(AS_ROOT, ROOT));
    }

    @Test
    void hardLinksShareTheNodeAndCountLinks() throws Exception {
        long dir = mkdir(ROOT, "dir");
        long[] file = fileWith(ROOT, "file", "shared");
        age(file[0]);
        age(dir);
        Entry link = fs.link(AS_ROOT, file[0], dir, "link");
        assertThat(link.nodeId()).isEqualTo(file[0]);
        assertThat(link.attr().nlink()).isEqualTo(2);
        assertThat(link.attr().ctime()).isAfter(LONG_AGO);
        assertThat(link.attr().mtime()).isEqualTo(LONG_AGO);
        assertThat(attr(dir).mtime()).isAfter(LONG_AGO);
        assertThat(lookup(dir, "link")).isEqualTo(file[0]);

        fs.unlink(AS_ROOT, ROOT, "file");
        assertThat(attr(file[0]).nlink()).isEqualTo(1);
        assertThat(readString(file[0], file[1], 0, 100)).isEqualTo("shared");

        assertErrno(Errno.EPERM, () -> fs.link(AS_ROOT, dir, ROOT, "dirlink"));
        assertErrno(Errno.ENOENT, () -> fs.link(AS_ROOT, 999, ROOT, "x"));
        assertErrno(Errno.ENOTDIR, () -> fs.link(AS_ROOT, file[0], file[0], "x"));
    }

    @Test
    void linkingAFileWithoutNamesFailsUnlessItIsALinkableTmpfile() throws Exception {
        long[] file = fileWith(ROOT, "file", "x");
        fs.unlink(AS_ROOT, ROOT, "file");
        assertErrno(Errno.ENOENT, () -> fs.link(AS_ROOT, file[0], ROOT, "again"));

        long tmp = fs.tmpfile(AS_ROOT, ROOT, 0600, 0, O_RDWR).entry().nodeId();
        assertThat(fs.link(AS_ROOT, tmp, ROOT, "named").attr().nlink()).isEqualTo(1);
        fs.unlink(AS_ROOT, ROOT, "named");
        // I_LINKABLE is spent by the first link.
        assertErrno(Errno.ENOENT, () -> fs.link(AS_ROOT, tmp, ROOT, "twice"));

        long exclusive = fs.tmpfile(AS_ROOT, ROOT, 0600, 0, O_RDWR | O_EXCL).entry().nodeId();
        assertErrno(Errno.ENOENT, () -> fs.link(AS_ROOT, exclusive, ROOT, "never"));
    }

    @Test
    void unlinkRemovesNamesButNotDirectories() throws Exception {
        long dir = mkdir(ROOT, "dir");
        file(dir, "file");
        age(dir);
        fs.unlink(AS_ROOT, dir, "file");
        assertErrno(Errno.ENOENT, () -> lookup(dir, "file"));
        assertThat(attr(dir).mtime()).isAfter(LONG_AGO);
        assertThat(attr(dir).ctime()).isAfter(LONG_AGO);
        assertErrno(Errno.ENOENT, () -> fs.unlink(AS_ROOT, dir, "file"));
        assertErrno(Errno.EISDIR, () -> fs.unlink(AS_ROOT, ROOT, "dir"));
        assertErrno(Errno.ENOTDIR, () -> fs.unlink(AS_ROOT, file(ROOT, "f"), "x"));
    }

    @Test
    void rmdirRemovesEmptyDirectoriesOnly() throws Exception {
        long dir = mkdir(ROOT, "dir");
        mkdir(dir, "sub");
        file(ROOT, "file");
        assertErrno(Errno.ENOTEMPTY, () -> fs.rmdir(AS_ROOT, ROOT, "dir"));
        assertErrno(Errno.ENOTDIR, () -> fs.rmdir(AS_ROOT, ROOT, "file"));
        assertErrno(Errno.ENOENT, () -> fs.rmdir(AS_ROOT, ROOT, "missing"));

        fs.rmdir(AS_ROOT, dir, "sub");
        assertThat(attr(dir).nlink()).isEqualTo(2);
        fs.rmdir(AS_ROOT, ROOT, "dir");
        assertThat(attr(ROOT).nlink()).isEqualTo(2);
        // The kernel still holds its lookup: the removed directory is there, with no links.
        assertThat(attr(dir).nlink()).isZero();
        assertThat(list(dir)).containsExactly(".", "..");
    }

    @Test
    void newNodesBelongToTheCaller() throws Exception {
        Entry file = fs.mknod(AS_USER, ROOT, "f", FileMode.S_IFREG | 0644, 0, 022);
        assertThat(file.attr().uid()).isEqualTo(1000);
        assertThat(file.attr().gid()).isEqualTo(1000);
        Entry created = fs.create(new TestRequest(7, 8), ROOT, "c", 0600, 0, O_RDWR).entry();
        assertThat(created.attr().uid()).isEqualTo(7);
        assertThat(created.attr().gid()).isEqualTo(8);
        assertThat(created.attr().mode()).isEqualTo(FileMode.S_IFREG | 0600);
    }

    @Test
    void aSetgidDirectoryPassesItsGroupOnAndDirectoriesInheritTheBit() throws Exception {
        long shared = mkdir(ROOT, "shared");
        setattr(shared, owner(null, 500));
        setattr(shared, mode(FileMode.S_ISGID | 0775));

        Entry file = fs.mknod(AS_USER, shared, "file", FileMode.S_IFREG | 0644, 0, 0);
        assertThat(file.attr().gid()).isEqualTo(500);
        assertThat(file.attr().uid()).isEqualTo(1000);
        assertThat(file.attr().mode() & FileMode.S_ISGID).isZero();

        Entry dir = fs.mkdir(AS_USER, shared, "dir", 0755, 0);
        assertThat(dir.attr().gid()).isEqualTo(500);
        assertThat(dir.attr().mode()).isEqualTo(FileMode.S_IFDIR | FileMode.S_ISGID | 0755);
        // ...and passes it on again.
        assertThat(fs.mkdir(AS_USER, dir.nodeId(), "deeper", 0700, 0).attr().mode())
                .isEqualTo(FileMode.S_IFDIR | FileMode.S_ISGID | 0700);

        assertThat(fs.symlink(AS_USER, shared, "link", "x").attr().gid()).isEqualTo(500);
        assertThat(fs.create(AS_USER, shared, "created", 0644, 0, O_RDWR).entry().attr().gid()).isEqualTo(500);
        assertThat(fs.tmpfile(AS_USER, shared, 0644, 0, O_RDWR).entry().attr().gid()).isEqualTo(500);

        long plain = mkdir(ROOT, "plain");
        assertThat(fs.mknod(AS_USER, plain, "f", FileMode.S_IFREG | 0644, 0, 0).attr().gid()).isEqualTo(1000);
    }

    @Test
    void creatingANodeStampsItAndItsParent() throws Exception {
        long dir = mkdir(ROOT, "dir");
        age(dir);
        Instant before = Instant.now();
        Entry file = fs.mknod(AS_ROOT, dir, "file", FileMode.S_IFREG | 0644, 0, 0);
        Attr a = file.attr();
        assertThat(a.atime()).isEqualTo(a.mtime()).isEqualTo(a.ctime()).isAfterOrEqualTo(before);
        Attr parent = attr(dir);
        assertThat(parent.mtime()).isEqualTo(a.mtime());
        assertThat(parent.ctime()).isEqualTo(a.ctime());
        assertThat(parent.atime()).isEqualTo(LONG_AGO);
        assertThat(fs.statx(AS_ROOT, file.nodeId(), FileSystem.NO_HANDLE, 0, 0xfff).btime()).isEqualTo(a.ctime());
    }

    @Test
    void directorySizeGrowsWithItsEntriesLikeTmpfs() throws Exception {
        long dir = mkdir(ROOT, "dir");
        assertThat(attr(dir).size()).isEqualTo(40);
        file(dir, "a");
        mkdir(dir, "b");
        assertThat(attr(dir).size()).isEqualTo(80);
        fs.unlink(AS_ROOT, dir, "a");
        assertThat(attr(dir).size()).isEqualTo(60);
    }

    @Test
    void unknownNodesAreMissing() {
        assertErrno(Errno.ENOENT, () -> attr(4242));
        assertErrno(Errno.ENOENT, () -> setattr(4242, mode(0644)));
        assertErrno(Errno.ENOENT, () -> fs.open(AS_ROOT, 4242, O_RDONLY));
        assertErrno(Errno.ENOENT, () -> fs.statx(AS_ROOT, 4242, FileSystem.NO_HANDLE, 0, 0));
        assertErrno(Errno.ENOENT, () -> fs.access(AS_ROOT, 4242, 0));
    }
}
