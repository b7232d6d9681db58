package io.javafuse.filesystems.memory;

import io.javafuse.api.Attr;
import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FileSystem;
import io.javafuse.api.SetAttr;
import io.javafuse.filesystems.testing.TestRequest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** setattr, access, and extended attributes. */
class MemoryAttributesTest extends FileSystemFixture {
    private static final int XATTR_CREATE = 1;
    private static final int XATTR_REPLACE = 2;

    @Test
    void chmodKeepsTheTypeAndStampsCtime() throws Exception {
        long file = file(ROOT, "f");
        age(file);
        Attr attr = fs.setattr(AS_ROOT, file, mode(FileMode.S_IFDIR | FileMode.S_ISUID | 0700));
        assertThat(attr.mode()).isEqualTo(FileMode.S_IFREG | FileMode.S_ISUID | 0700);
        assertThat(attr.ctime()).isAfter(LONG_AGO);
        assertThat(attr.mtime()).isEqualTo(LONG_AGO);
        assertThat(attr.atime()).isEqualTo(LONG_AGO);
        assertThat(attr(ROOT).mode()).isEqualTo(FileMode.S_IFDIR | 0777);
    }

    @Test
    void chownChangesEitherOrBoth() throws Exception {
        long file = file(ROOT, "f");
        assertThat(fs.setattr(AS_ROOT, file, owner(5, null)).uid()).isEqualTo(5);
        assertThat(attr(file).gid()).isZero();
        Attr both = fs.setattr(AS_ROOT, file, owner(6, 7));
        assertThat(both.uid()).isEqualTo(6);
        assertThat(both.gid()).isEqualTo(7);
    }

    @Test
    void explicitTimesAreKeptToTheNanosecondAndCtimeIsNow() throws Exception {
        long file = file(ROOT, "f");
        Instant atime = Instant.parse("1999-12-31T23:59:59.999999999Z");
        Instant mtime = Instant.parse("2010-06-01T12:00:00.000000001Z");
        Instant before = Instant.now();
        Attr attr = fs.setattr(AS_ROOT, file, times(atime, mtime, null));
        assertThat(attr.atime()).isEqualTo(atime);
        assertThat(attr.mtime()).isEqualTo(mtime);
        assertThat(attr.ctime()).isAfterOrEqualTo(before);

        SetAttr now = new SetAttr(null, null, null, null, null, true, null, true, null, false, FileSystem.NO_HANDLE);
        Attr touched = fs.setattr(AS_ROOT, file, now);
        assertThat(touched.atime()).isAfterOrEqualTo(before).isEqualTo(touched.mtime()).isEqualTo(touched.ctime());

        // Only the time asked for changes.
        SetAttr onlyAtime = new SetAttr(null, null, null, null, atime, false, null, false, null, false,
                FileSystem.NO_HANDLE);
        assertThat(fs.setattr(AS_ROOT, file, onlyAtime).mtime()).isEqualTo(touched.mtime());
    }

    @Test
    void killSetIdBitsDropsThemUnlessAModeIsGiven() throws Exception {
        long[] file = fileWith(ROOT, "f", "data");
        setattr(file[0], mode(FileMode.S_ISUID | FileMode.S_ISGID | 0750));
        SetAttr truncateAndKill = new SetAttr(null, null, null, 2L, null, false, null, false, null, true, file[1]);
        Attr attr = fs.setattr(AS_ROOT, file[0], truncateAndKill);
        assertThat(attr.mode()).isEqualTo(FileMode.S_IFREG | 0750);
        assertThat(attr.size()).isEqualTo(2);

        SetAttr modeAndKill = new SetAttr(FileMode.S_ISUID | 0700, null, null, null, null, false, null, false, null,
                true, FileSystem.NO_HANDLE);
        assertThat(fs.setattr(AS_ROOT, file[0], modeAndKill).mode()).isEqualTo(FileMode.S_IFREG | FileMode.S_ISUID | 0700);
    }

    @Test
    void chownDropsSetIdBitsOfFilesButNotDirectories() throws Exception {
        long file = file(ROOT, "f");
        setattr(file, mode(FileMode.S_ISUID | FileMode.S_ISGID | 0755));
        assertThat(fs.setattr(AS_ROOT, file, owner(null, 5)).mode()).isEqualTo(FileMode.S_IFREG | 0755);
        // An explicit mode in the same request wins.
        SetAttr chownAndChmod = new SetAttr(FileMode.S_ISUID | 0755, 6, null, null, null, false, null, false, null,
                false, FileSystem.NO_HANDLE);
        assertThat(fs.setattr(AS_ROOT, file, chownAndChmod).mode()).isEqualTo(FileMode.S_IFREG | FileMode.S_ISUID | 0755);

        long dir = mkdir(ROOT, "d");
        setattr(dir, mode(FileMode.S_ISGID | 0775));
        assertThat(fs.setattr(AS_ROOT, dir, owner(7, 7)).mode()).isEqualTo(FileMode.S_IFDIR | FileMode.S_ISGID | 0775);
    }

    @Test
    void setattrWorksOnEveryType() throws Exception {
        long dir = mkdir(ROOT, "d");
        long link = fs.symlink(AS_ROOT, ROOT, "l", "d").nodeId();
        assertThat(fs.setattr(AS_ROOT, dir, mode(01777)).mode()).isEqualTo(FileMode.S_IFDIR | 01777);
        assertThat(fs.setattr(AS_ROOT, link, owner(3, 3)).uid()).isEqualTo(3);
    }

    @Test
    void accessFollowsOwnerGroupAndOtherBits() throws Exception {
        long file = file(ROOT, "f");
        setattr(file, owner(1000, 2000));
        setattr(file, mode(0640));
        fs.access(AS_USER, file, 4 | 2);
        assertErrno(Errno.EACCES, () -> fs.access(AS_USER, file, 1));
        TestRequest groupMember = new TestRequest(3000, 2000);
        fs.access(groupMember, file, 4);
        assertErrno(Errno.EACCES, () -> fs.access(groupMember, file, 2));
        TestRequest other = new TestRequest(3000, 3000);
        assertErrno(Errno.EACCES, () -> fs.access(other, file, 4));
        fs.access(other, file, 0);
        assertErrno(Errno.EINVAL, () -> fs.access(other, file, 8));
        // The owner's bits decide for the owner even when others may do more.
        setattr(file, mode(0077));
        assertErrno(Errno.EACCES, () -> fs.access(AS_USER, file, 4));
    }

    @Test
    void rootMayReadAndWriteAnythingButExecuteOnlyWhatSomeoneMay() throws Exception {
        long file = file(ROOT, "f");
        setattr(file, mode(0));
        fs.access(AS_ROOT, file, 4 | 2);
        assertErrno(Errno.EACCES, () -> fs.access(AS_ROOT, file, 1));
        setattr(file, mode(0001));
        fs.access(AS_ROOT, file, 7);
        long dir = mkdir(ROOT, "d");
        setattr(dir, mode(0));
        fs.access(AS_ROOT, dir, 7);
    }

    @Test
    void xattrsCanBeSetReadListedAndRemoved() throws Exception {
        long file = file(ROOT, "f");
        age(file);
        fs.setxattr(AS_ROOT, file, "user.one", bytes("1"), 0);
        assertThat(attr(file).ctime()).isAfter(LONG_AGO);
        assertThat(attr(file).mtime()).isEqualTo(LONG_AGO);
        fs.setxattr(AS_ROOT, file, "security.two", bytes("22"), 0);
        fs.setxattr(AS_ROOT, file, "trusted.three", bytes(""), 0);
        assertThat(string(fs.getxattr(AS_ROOT, file, "user.one"))).isEqualTo("1");
        assertThat(fs.getxattr(AS_ROOT, file, "trusted.three")).isEmpty();
        assertThat(fs.listxattr(AS_ROOT, file)).containsExactly("user.one", "security.two", "trusted.three");

        fs.setxattr(AS_ROOT, file, "user.one", bytes("uno"), 0);
        assertThat(string(fs.getxattr(AS_ROOT, file, "user.one"))).isEqualTo("uno");
        age(file);
        fs.removexattr(AS_ROOT, file, "user.one");
        assertThat(attr(file).ctime()).isAfter(LONG_AGO);
        assertErrno(Errno.ENODATA, () -> fs.getxattr(AS_ROOT, file, "user.one"));
        assertErrno(Errno.ENODATA, () -> fs.removexattr(AS_ROOT, file, "user.one"));
        assertThat(fs.listxattr(AS_ROOT, file)).containsExactly("security.two", "trusted.three");
    }

    @Test
    void xattrValuesAreCopiedBothWays() throws Exception {
        long file = file(ROOT, "f");
        byte[] source = {1, 2, 3};
        fs.setxattr(AS_ROOT, file, "user.v", MemorySegment.ofArray(source), 0);
        source[0] = 9;
        byte[] first = fs.getxattr(AS_ROOT, file, "user.v");
        first[1] = 9;
        assertThat(fs.getxattr(AS_ROOT, file, "user.v")).containsExactly(1, 2, 3);
    }

    @Test
    void xattrCreateAndReplaceFlags() throws Exception {
        long file = file(ROOT, "f");
        assertErrno(Errno.ENODATA, () -> fs.setxattr(AS_ROOT, file, "user.a", bytes("x"), XATTR_REPLACE));
        fs.setxattr(AS_ROOT, file, "user.a", bytes("x"), XATTR_CREATE);
        assertErrno(Errno.EEXIST, () -> fs.setxattr(AS_ROOT, file, "user.a", bytes("y"), XATTR_CREATE));
        fs.setxattr(AS_ROOT, file, "user.a", bytes("y"), XATTR_REPLACE);
        assertThat(string(fs.getxattr(AS_ROOT, file, "user.a"))).isEqualTo("y");
        assertErrno(Errno.EINVAL, () -> fs.setxattr(AS_ROOT, file, "user.a", bytes("z"), 4));
    }

    @Test
    void xattrNamesAndSizesAreLimited() throws Exception {
        long file = file(ROOT, "f");
        assertErrno(Errno.EOPNOTSUPP, () -> fs.setxattr(AS_ROOT, file, "system.posix_acl_access", bytes("x"), 0));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.getxattr(AS_ROOT, file, "system.foo"));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.setxattr(AS_ROOT, file, "other.name", bytes("x"), 0));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.setxattr(AS_ROOT, file, "noprefix", bytes("x"), 0));
        assertErrno(Errno.EINVAL, () -> fs.setxattr(AS_ROOT, file, "user.", bytes("x"), 0));
        assertErrno(Errno.ERANGE, () -> fs.setxattr(AS_ROOT, file, "", bytes("x"), 0));
        String longest = "user." + "n".repeat(250);
        fs.setxattr(AS_ROOT, file, longest, bytes("x"), 0);
        assertErrno(Errno.ERANGE, () -> fs.setxattr(AS_ROOT, file, longest + "n", bytes("x"), 0));
        assertErrno(Errno.ERANGE, () -> fs.getxattr(AS_ROOT, file, longest + "n"));
        fs.setxattr(AS_ROOT, file, "user.big", MemorySegment.ofArray(new byte[65536]), 0);
        assertErrno(Errno.E2BIG, () -> fs.setxattr(AS_ROOT, file, "user.huge", MemorySegment.ofArray(new byte[65537]), 0));
        assertThat(fs.getxattr(AS_ROOT, file, "user.big")).hasSize(65536);
    }

    @Test
    void trustedXattrsAreForRootAndUserXattrsForFilesAndDirectories() throws Exception {
        long file = file(ROOT, "f");
        fs.setxattr(AS_ROOT, file, "trusted.secret", bytes("x"), 0);
        fs.setxattr(AS_ROOT, file, "user.open", bytes("y"), 0);
        assertThat(fs.listxattr(AS_USER, file)).containsExactly("user.open");
        assertErrno(Errno.ENODATA, () -> fs.getxattr(AS_USER, file, "trusted.secret"));
        assertErrno(Errno.EPERM, () -> fs.setxattr(AS_USER, file, "trusted.mine", bytes("x"), 0));

        long link = fs.symlink(AS_ROOT, ROOT, "l", "f").nodeId();
        assertErrno(Errno.EPERM, () -> fs.setxattr(AS_ROOT, link, "user.x", bytes("x"), 0));
        assertErrno(Errno.ENODATA, () -> fs.getxattr(AS_ROOT, link, "user.x"));
        fs.setxattr(AS_ROOT, link, "security.label", bytes("x"), 0);
        fs.setxattr(AS_ROOT, ROOT, "user.ondir", bytes("x"), 0);
        assertThat(fs.listxattr(AS_ROOT, ROOT)).containsExactly("user.ondir");
        assertThat(fs.listxattr(AS_ROOT, mkdir(ROOT, "empty"))).isEmpty();
    }
}
