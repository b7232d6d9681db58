package io.javafuse.filesystems.memory;

import io.javafuse.api.Attr;
import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FileSystem;
import io.javafuse.api.SetAttr;
import io.javafuse.api.StatFs;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading, writing, sparse files, fallocate, lseek, copy_file_range and capacity. */
class MemoryDataTest extends FileSystemFixture {
    private static final int PAGE = 4096;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int KEEP_SIZE = 1;
    private static final int PUNCH_HOLE = 2;
    private static final int ZERO_RANGE = 0x10;

    @Test
    void writesAndReadsBackAcrossPages() throws Exception {
        long[] file = fileWith(ROOT, "f", "");
        byte[] data = new byte[3 * PAGE + 123];
        new Random(1).nextBytes(data);
        assertThat(write(file[0], file[1], 100, data)).isEqualTo(data.length);
        Attr attr = attr(file[0]);
        assertThat(attr.size()).isEqualTo(100 + data.length);
        assertThat(attr.blocks()).isEqualTo(4 * PAGE / 512);
        assertThat(attr.blksize()).isZero();
        assertThat(read(file[0], file[1], 100, data.length)).isEqualTo(data);
        assertThat(read(file[0], file[1], 0, 100)).isEqualTo(new byte[100]);
        assertThat(read(file[0], file[1], 5000, 10)).isEqualTo(Arrays.copyOfRange(data, 4900, 4910));
    }

    @Test
    void readsAreShortAtTheEndAndEmptyPastIt() throws Exception {
        long[] file = fileWith(ROOT, "f", "hello");
        assertThat(readString(file[0], file[1], 0, 100)).isEqualTo("hello");
        assertThat(readString(file[0], file[1], 3, 100)).isEqualTo("lo");
        assertThat(read(file[0], file[1], 5, 100)).isEmpty();
        assertThat(read(file[0], file[1], Long.MAX_VALUE, 100)).isEmpty();
        assertErrno(Errno.EINVAL, () -> read(file[0], file[1], -1, 1));
    }

    @Test
    void readsIntoNativeMemory() throws Exception {
        long[] file = fileWith(ROOT, "f", "native");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment destination = arena.allocate(8192);
            destination.fill((byte) 0x55);
            assertThat(fs.read(AS_ROOT, file[0], file[1], 0, destination)).isEqualTo(6);
            assertThat(string(destination.asSlice(0, 6).toArray(ValueLayout.JAVA_BYTE))).isEqualTo("native");
        }
    }

    @Test
    void writeUpdatesModificationTimes() throws Exception {
        long[] file = fileWith(ROOT, "f", "x");
        age(file[0]);
        write(file[0], file[1], 0, "y");
        Attr attr = attr(file[0]);
        assertThat(attr.mtime()).isAfter(LONG_AGO).isEqualTo(attr.ctime());
        assertThat(attr.atime()).isEqualTo(LONG_AGO);
        // An empty write changes nothing.
        age(file[0]);
        assertThat(write(file[0], file[1], 0, new byte[0])).isZero();
        assertThat(attr(file[0]).mtime()).isEqualTo(LONG_AGO);
    }

    @Test
    void readUpdatesAccessTimeTheRelatimeWay() throws Exception {
        long[] file = fileWith(ROOT, "f", "data");
        Instant hourAgo = Instant.now().minusSeconds(3600);
        Instant newer = hourAgo.plusSeconds(60);
        // atime newer than m/ctime and recent: left alone.
        setattr(file[0], times(newer, hourAgo, hourAgo));
        read(file[0], file[1], 0, 4);
        assertThat(attr(file[0]).atime()).isEqualTo(newer);
        // atime not newer than mtime: updated.
        setattr(file[0], times(hourAgo, hourAgo, hourAgo));
        read(file[0], file[1], 0, 4);
        assertThat(attr(file[0]).atime()).isAfter(newer);
        // atime older than a day: updated even though newer than m/ctime.
        Instant twoDaysAgo = Instant.now().minusSeconds(2 * 86400);
        setattr(file[0], times(twoDaysAgo.plusSeconds(10), twoDaysAgo, twoDaysAgo));
        read(file[0], file[1], 0, 4);
        assertThat(attr(file[0]).atime()).isAfter(newer);
    }

    @Test
    void appendHandlesWriteAtTheEnd() throws Exception {
        long file = fileWith(ROOT, "f", "abc")[0];
        long fh = open(file, O_WRONLY | O_APPEND);
        assertThat(write(file, fh, 0, "def")).isEqualTo(3);
        assertThat(write(file, fh, 1, "g")).isEqualTo(1);
        long reader = open(file, O_RDONLY);
        assertThat(readString(file, reader, 0, 100)).isEqualTo("abcdefg");
    }

    @Test
    void openWithTruncEmptiesTheFile() throws Exception {
        long[] file = fileWith(ROOT, "f", "contents");
        age(file[0]);
        long fh = open(file[0], O_RDWR | O_TRUNC);
        Attr attr = attr(file[0]);
        assertThat(attr.size()).isZero();
        assertThat(attr.blocks()).isZero();
        assertThat(attr.mtime()).isAfter(LONG_AGO);
        assertThat(read(file[0], fh, 0, 10)).isEmpty();
        // The old handle sees the truncation too.
        assertThat(read(file[0], file[1], 0, 10)).isEmpty();
    }

    @Test
    void truncateToTheSameSizeStampsTimesLikeTmpfs() throws Exception {
        long[] empty = fileWith(ROOT, "empty", "");
        age(empty[0]);
        // truncate(2) (no handle) of a file without pages: tmpfs changes nothing.
        setattr(empty[0], size(0));
        assertThat(attr(empty[0]).mtime()).isEqualTo(LONG_AGO);
        assertThat(attr(empty[0]).ctime()).isEqualTo(LONG_AGO);
        // ftruncate(2) comes with the handle and sets m/ctime.
        setattr(empty[0], new SetAttr(null, null, null, 0L, null, false, null, false, null, false, empty[1]));
        assertThat(attr(empty[0]).mtime()).isAfter(LONG_AGO);
        assertThat(attr(empty[0]).ctime()).isAfter(LONG_AGO);

        // truncate(2) of a file that holds pages: tmpfs cuts past the end and stamps the file.
        long[] file = fileWith(ROOT, "f", "abc");
        age(file[0]);
        setattr(file[0], size(3));
        assertThat(attr(file[0]).mtime()).isAfter(LONG_AGO);
        // A new size sets them in any case.
        age(empty[0]);
        setattr(empty[0], size(2));
        assertThat(attr(empty[0]).mtime()).isAfter(LONG_AGO);
    }

    @Test
    void truncateShrinksAndGrowsWithZeros() throws Exception {
        long[] file = fileWith(ROOT, "f", "0123456789");
        age(file[0]);
        setattr(file[0], size(4));
        Attr attr = attr(file[0]);
        assertThat(attr.size()).isEqualTo(4);
        assertThat(attr.mtime()).isAfter(LONG_AGO).isEqualTo(attr.ctime());
        setattr(file[0], size(8));
        assertThat(read(file[0], file[1], 0, 100)).isEqualTo(new byte[] {'0', '1', '2', '3', 0, 0, 0, 0});
        setattr(file[0], size(1L << 40));
        assertThat(attr(file[0]).size()).isEqualTo(1L << 40);
        assertThat(attr(file[0]).blocks()).isEqualTo(PAGE / 512);
        setattr(file[0], size(0));
        assertThat(attr(file[0]).blocks()).isZero();

        assertErrno(Errno.EISDIR, () -> setattr(ROOT, size(0)));
        long fifo = fs.mknod(AS_ROOT, ROOT, "fifo", FileMode.S_IFIFO | 0600, 0, 0).nodeId();
        assertErrno(Errno.EINVAL, () -> setattr(fifo, size(0)));
        assertErrno(Errno.EINVAL, () -> setattr(file[0], size(-1)));
    }

    @Test
    void writesBeyondTheLargestOffsetAreTooBig() throws Exception {
        long[] file = fileWith(ROOT, "f", "");
        assertErrno(Errno.EFBIG, () -> write(file[0], file[1], Long.MAX_VALUE - 2, "abcd"));
        assertThat(write(file[0], file[1], Long.MAX_VALUE - 4, "abcd")).isEqualTo(4);
        assertThat(attr(file[0]).size()).isEqualTo(Long.MAX_VALUE);
        assertThat(readString(file[0], file[1], Long.MAX_VALUE - 4, 10)).isEqualTo("abcd");
        assertThat(fs.lseek(AS_ROOT, file[0], file[1], Long.MAX_VALUE - 100, SEEK_HOLE)).isEqualTo(Long.MAX_VALUE);
        assertErrno(Errno.EINVAL, () -> write(file[0], file[1], -1, "x"));
        long appender = open(file[0], O_WRONLY | O_APPEND);
        assertErrno(Errno.EFBIG, () -> write(file[0], appender, 0, "x"));
    }

    @Test
    void sparseFilesReportHolesAndData() throws Exception {
        long[] file = fileWith(ROOT, "f", "");
        write(file[0], file[1], 10 * PAGE + 5, "data");
        write(file[0], file[1], 20 * PAGE, filled(2 * PAGE, 1));
        setattr(file[0], size(30 * PAGE));
        assertThat(attr(file[0]).blocks()).isEqualTo(3 * PAGE / 512);
        assertThat(read(file[0], file[1], 0, 10 * PAGE)).isEqualTo(new byte[10 * PAGE]);

        assertThat(seek(file, 0, SEEK_DATA)).isEqualTo(10 * PAGE);
        assertThat(seek(file, 10 * PAGE + 100, SEEK_DATA)).isEqualTo(10 * PAGE + 100);
        assertThat(seek(file, 11 * PAGE, SEEK_DATA)).isEqualTo(20 * PAGE);
        assertThat(seek(file, 0, SEEK_HOLE)).isZero();
        assertThat(seek(file, 10 * PAGE, SEEK_HOLE)).isEqualTo(11 * PAGE);
        assertThat(seek(file, 20 * PAGE + 1, SEEK_HOLE)).isEqualTo(22 * PAGE);
        assertErrno(Errno.ENXIO, () -> seek(file, 22 * PAGE, SEEK_DATA));
        assertThat(seek(file, 25 * PAGE, SEEK_HOLE)).isEqualTo(25 * PAGE);
        assertErrno(Errno.ENXIO, () -> seek(file, 30 * PAGE, SEEK_HOLE));
        assertErrno(Errno.ENXIO, () -> seek(file, 30 * PAGE, SEEK_DATA));
        assertErrno(Errno.ENXIO, () -> seek(file, -1, SEEK_DATA));
        assertErrno(Errno.EINVAL, () -> seek(file, 0, 0));
    }

    @Test
    void seekHoleAtTheEndOfDataIsTheSize() throws Exception {
        long[] file = fileWith(ROOT, "f", "short");
        assertThat(seek(file, 0, SEEK_DATA)).isZero();
        assertThat(seek(file, 2, SEEK_HOLE)).isEqualTo(5);
        assertErrno(Errno.ENXIO, () -> seek(file, 5, SEEK_HOLE));
        assertErrno(Errno.EISDIR, () -> fs.lseek(AS_ROOT, ROOT, 0, 0, SEEK_DATA));
    }

    private long seek(long[] file, long offset, int whence) throws Exception {
        return fs.lseek(AS_ROOT, file[0], file[1], offset, whence);
    }

    @Test
    void fallocateAllocatesAndExtends() throws Exception {
        long[] file = fileWith(ROOT, "f", "x");
        age(file[0]);
        fs.fallocate(AS_ROOT, file[0], file[1], 2 * PAGE, 2 * PAGE, 0);
        Attr attr = attr(file[0]);
        assertThat(attr.size()).isEqualTo(4 * PAGE);
        assertThat(attr.blocks()).isEqualTo(3 * PAGE / 512);
        assertThat(attr.mtime()).isAfter(LONG_AGO);
        assertThat(read(file[0], file[1], 2 * PAGE, 2 * PAGE)).isEqualTo(new byte[2 * PAGE]);
        // Reserved but never written: a hole for SEEK_DATA, as on tmpfs.
        assertErrno(Errno.ENXIO, () -> seek(file, PAGE, SEEK_DATA));

        // Within the file: nothing changes size.
        fs.fallocate(AS_ROOT, file[0], file[1], 0, 10, 0);
        assertThat(attr(file[0]).size()).isEqualTo(4 * PAGE);
        assertThat(readString(file[0], file[1], 0, 1)).isEqualTo("x");
    }

    @Test
    void reservedPagesAreHolesUntilWritten() throws Exception {
        long[] file = fileWith(ROOT, "f", "");
        fs.fallocate(AS_ROOT, file[0], file[1], 0, 4 * PAGE, 0);
        assertThat(attr(file[0]).blocks()).isEqualTo(4 * PAGE / 512);
        assertErrno(Errno.ENXIO, () -> seek(file, 0, SEEK_DATA));
        assertThat(seek(file, 0, SEEK_HOLE)).isZero();

        // One byte makes its whole page data; reading does not.
        write(file[0], file[1], PAGE + 10, new byte[] {1});
        read(file[0], file[1], 3 * PAGE, PAGE);
        assertThat(seek(file, 0, SEEK_DATA)).isEqualTo(PAGE);
        assertThat(seek(file, PAGE, SEEK_HOLE)).isEqualTo(2 * PAGE);
        assertErrno(Errno.ENXIO, () -> seek(file, 2 * PAGE, SEEK_DATA));

        // tmpfs initializes a page that fallocate reserved before when fallocate covers it again.
        fs.fallocate(AS_ROOT, file[0], file[1], 3 * PAGE, PAGE, 0);
        assertThat(seek(file, 2 * PAGE, SEEK_DATA)).isEqualTo(3 * PAGE);

        // Truncating away a reserved page and growing again leaves a plain hole.
        setattr(file[0], size(PAGE));
        setattr(file[0], size(4 * PAGE));
        assertThat(attr(file[0]).blocks()).isEqualTo(PAGE / 512);
        assertErrno(Errno.ENXIO, () -> seek(file, PAGE, SEEK_DATA));
    }

    @Test
    void fallocateKeepSizeAllocatesPastTheEndWithoutGrowing() throws Exception {
        long[] file = fileWith(ROOT, "f", "abc");
        fs.fallocate(AS_ROOT, file[0], file[1], 0, 8 * PAGE, KEEP_SIZE);
        Attr attr = attr(file[0]);
        assertThat(attr.size()).isEqualTo(3);
        assertThat(attr.blocks()).isEqualTo(8 * PAGE / 512);
        assertThat(readString(file[0], file[1], 0, 100)).isEqualTo("abc");
        // Truncating drops what was reserved past the new end, like tmpfs.
        setattr(file[0], size(3));
        assertThat(attr(file[0]).blocks()).isEqualTo(PAGE / 512);
    }

    @Test
    void punchHoleZeroesAndFreesWholePages() throws Exception {
        long[] file = fileWith(ROOT, "f", "");
        write(file[0], file[1], 0, filled(4 * PAGE, 7));
        fs.fallocate(AS_ROOT, file[0], file[1], 100, 2 * PAGE, PUNCH_HOLE | KEEP_SIZE);
        Attr attr = attr(file[0]);
        assertThat(attr.size()).isEqualTo(4 * PAGE);
        // Only page 1 is covered entirely; pages 0 and 2 are zeroed in part.
        assertThat(attr.blocks()).isEqualTo(3 * PAGE / 512);
        byte[] contents = read(file[0], file[1], 0, 4 * PAGE);
        byte[] expected = filled(4 * PAGE, 7);
        Arrays.fill(expected, 100, 100 + 2 * PAGE, (byte) 0);
        assertThat(contents).isEqualTo(expected);
        assertThat(seek(file, 0, SEEK_HOLE)).isEqualTo(PAGE);
        assertThat(seek(file, PAGE, SEEK_DATA)).isEqualTo(2 * PAGE);

        // Punching past the end changes nothing and keeps the size.
        fs.fallocate(AS_ROOT, file[0], file[1], 10 * PAGE, PAGE, PUNCH_HOLE | KEEP_SIZE);
        assertThat(attr(file[0]).size()).isEqualTo(4 * PAGE);
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(AS_ROOT, file[0], file[1], 0, PAGE, PUNCH_HOLE));
    }

    @Test
    void zeroRangeZeroesAndAllocates() throws Exception {
        long[] file = fileWith(ROOT, "f", "");
        write(file[0], file[1], 0, filled(PAGE, 9));
        fs.fallocate(AS_ROOT, file[0], file[1], 10, 3 * PAGE, ZERO_RANGE);
        Attr attr = attr(file[0]);
        assertThat(attr.size()).isEqualTo(10 + 3 * PAGE);
        assertThat(attr.blocks()).isEqualTo(4 * PAGE / 512);
        byte[] expected = new byte[10 + 3 * PAGE];
        Arrays.fill(expected, 0, 10, (byte) 9);
        assertThat(read(file[0], file[1], 0, 4 * PAGE)).isEqualTo(expected);

        fs.fallocate(AS_ROOT, file[0], file[1], 0, 5 * PAGE, ZERO_RANGE | KEEP_SIZE);
        assertThat(attr(file[0]).size()).isEqualTo(10 + 3 * PAGE);
        assertThat(attr(file[0]).blocks()).isEqualTo(5 * PAGE / 512);
        assertThat(read(file[0], file[1], 0, 4 * PAGE)).isEqualTo(new byte[10 + 3 * PAGE]);
    }

    @Test
    void fallocateRejectsWhatLinuxRejects() throws Exception {
        long[] file = fileWith(ROOT, "f", "");
        assertErrno(Errno.EINVAL, () -> fs.fallocate(AS_ROOT, file[0], file[1], -1, 10, 0));
        assertErrno(Errno.EINVAL, () -> fs.fallocate(AS_ROOT, file[0], file[1], 0, 0, 0));
        assertErrno(Errno.EINVAL,
                () -> fs.fallocate(AS_ROOT, file[0], file[1], 0, 10, PUNCH_HOLE | ZERO_RANGE | KEEP_SIZE));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(AS_ROOT, file[0], file[1], 0, 10, 0x08)); // collapse
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(AS_ROOT, file[0], file[1], 0, 10, 0x20)); // insert
        assertErrno(Errno.EFBIG, () -> fs.fallocate(AS_ROOT, file[0], file[1], Long.MAX_VALUE, 10, 0));
        assertErrno(Errno.EISDIR, () -> fs.fallocate(AS_ROOT, ROOT, 0, 0, 10, 0));
        long fifo = fs.mknod(AS_ROOT, ROOT, "fifo", FileMode.S_IFIFO | 0600, 0, 0).nodeId();
        assertErrno(Errno.ESPIPE, () -> fs.fallocate(AS_ROOT, fifo, 0, 0, 10, 0));
        long chr = fs.mknod(AS_ROOT, ROOT, "chr", FileMode.S_IFCHR | 0600, 0x0103, 0).nodeId();
        assertErrno(Errno.ENODEV, () -> fs.fallocate(AS_ROOT, chr, 0, 0, 10, 0));
    }

    @Test
    void copyFileRangeCopiesAndExtends() throws Exception {
        long[] in = fileWith(ROOT, "in", "0123456789");
        long[] out = fileWith(ROOT, "out", "abc");
        age(out[0]);
        long copied = fs.copyFileRange(AS_ROOT, in[0], in[1], 2, out[0], out[1], 1, 5, 0);
        assertThat(copied).isEqualTo(5);
        assertThat(readString(out[0], out[1], 0, 100)).isEqualTo("a23456");
        assertThat(attr(out[0]).mtime()).isAfter(LONG_AGO);
        // Clamped at the end of the source, and nothing past it.
        assertThat(fs.copyFileRange(AS_ROOT, in[0], in[1], 8, out[0], out[1], 10, 100, 0)).isEqualTo(2);
        assertThat(readString(out[0], out[1], 0, 100)).isEqualTo("a23456\0\0\0\0" + "89");
        assertThat(fs.copyFileRange(AS_ROOT, in[0], in[1], 10, out[0], out[1], 0, 100, 0)).isZero();
        assertThat(fs.copyFileRange(AS_ROOT, in[0], in[1], 50, out[0], out[1], 0, 100, 0)).isZero();
    }

    @Test
    void copyFileRangeWithinOneFile() throws Exception {
        long[] file = fileWith(ROOT, "f", "");
        byte[] data = new byte[3 * (1 << 20) + 17];
        new Random(2).nextBytes(data);
        write(file[0], file[1], 0, data);
        long copied = fs.copyFileRange(AS_ROOT, file[0], file[1], 0, file[0], file[1], data.length, data.length, 0);
        assertThat(copied).isEqualTo(data.length);
        assertThat(read(file[0], file[1], data.length, data.length)).isEqualTo(data);
        assertErrno(Errno.EINVAL, () -> fs.copyFileRange(AS_ROOT, file[0], file[1], 0, file[0], file[1], 10, 100, 0));
    }

    @Test
    void copyFileRangeRejectsBadArguments() throws Exception {
        long[] in = fileWith(ROOT, "in", "data");
        long[] out = fileWith(ROOT, "out", "");
        long appender = open(out[0], O_WRONLY | O_APPEND);
        assertErrno(Errno.EINVAL, () -> fs.copyFileRange(AS_ROOT, in[0], in[1], 0, out[0], out[1], 0, 1, 1));
        assertErrno(Errno.EINVAL, () -> fs.copyFileRange(AS_ROOT, in[0], in[1], -1, out[0], out[1], 0, 1, 0));
        assertErrno(Errno.EBADF, () -> fs.copyFileRange(AS_ROOT, in[0], in[1], 0, out[0], appender, 0, 1, 0));
        assertErrno(Errno.EBADF, () -> fs.copyFileRange(AS_ROOT, in[0], 777, 0, out[0], out[1], 0, 1, 0));
        assertErrno(Errno.EFBIG,
                () -> fs.copyFileRange(AS_ROOT, in[0], in[1], 0, out[0], out[1], Long.MAX_VALUE - 1, 4, 0));
    }

    @Test
    void writesStopWhenTheFilesystemIsFull() throws Exception {
        MemoryFileSystem small = new MemoryFileSystem(0, 0, FileMode.S_IFDIR | 0755, 16 * PAGE);
        long node = small.mknod(AS_ROOT, ROOT, "f", FileMode.S_IFREG | 0644, 0, 0).nodeId();
        long fh = small.open(AS_ROOT, node, O_RDWR).fh();
        MemorySegment data = MemorySegment.ofArray(filled(20 * PAGE, 1)).asReadOnly();
        // Short, as Linux returns when the disk fills up during a write...
        assertThat(small.write(AS_ROOT, node, fh, 0, data, 0)).isEqualTo(16 * PAGE);
        // ...then ENOSPC.
        assertErrno(Errno.ENOSPC, () -> small.write(AS_ROOT, node, fh, 16 * PAGE, data, 0));
        StatFs statfs = small.statfs(AS_ROOT, ROOT);
        assertThat(statfs.blocks()).isEqualTo(16);
        assertThat(statfs.blocksFree()).isZero();
        // Rewriting allocated pages still works; and fallocate is all or nothing.
        assertThat(small.write(AS_ROOT, node, fh, 0, data.asSlice(0, PAGE), 0)).isEqualTo(PAGE);
        small.setattr(AS_ROOT, node, size(8 * PAGE));
        assertErrno(Errno.ENOSPC, () -> small.fallocate(AS_ROOT, node, fh, 0, 17 * PAGE, 0));
        assertThat(small.getattr(AS_ROOT, node, fh).blocks()).isEqualTo(8 * PAGE / 512);
        assertThat(small.getattr(AS_ROOT, node, fh).size()).isEqualTo(8 * PAGE);
        small.fallocate(AS_ROOT, node, fh, 0, 16 * PAGE, 0);
        assertThat(small.statfs(AS_ROOT, ROOT).blocksFree()).isZero();
        small.setattr(AS_ROOT, node, size(0));
        assertThat(small.statfs(AS_ROOT, ROOT).blocksFree()).isEqualTo(16);
    }

    @Test
    void statfsDescribesTheFilesystem() throws Exception {
        StatFs statfs = fs.statfs(AS_ROOT, ROOT);
        assertThat(statfs.blockSize()).isEqualTo(4096);
        assertThat(statfs.fragmentSize()).isEqualTo(4096);
        assertThat(statfs.blocks()).isEqualTo(CAPACITY / 4096);
        assertThat(statfs.blocksFree()).isEqualTo(statfs.blocks());
        assertThat(statfs.blocksAvailable()).isEqualTo(statfs.blocks());
        assertThat(statfs.nameMax()).isEqualTo(255);
        assertThat(statfs.filesFree()).isEqualTo(statfs.files() - 1);
        fileWith(ROOT, "f", "x");
        StatFs after = fs.statfs(AS_ROOT, ROOT);
        assertThat(after.blocksFree()).isEqualTo(statfs.blocks() - 1);
        assertThat(after.filesFree()).isEqualTo(statfs.files() - 2);
    }

    @Test
    void flushAndFsyncSucceed() throws Exception {
        long[] file = fileWith(ROOT, "f", "x");
        fs.flush(AS_ROOT, file[0], file[1], 0);
        fs.fsync(AS_ROOT, file[0], file[1], true);
        fs.fsync(AS_ROOT, file[0], file[1], false);
        assertThat(attr(file[0]).size()).isEqualTo(1);
    }

    @Test
    void writeKillingSetIdBitsDropsThem() throws Exception {
        long[] file = fileWith(ROOT, "f", "");
        setattr(file[0], mode(FileMode.S_ISUID | FileMode.S_ISGID | 0755));
        fs.write(AS_ROOT, file[0], file[1], 0, bytes("x"), 1 << 2);
        assertThat(attr(file[0]).mode()).isEqualTo(FileMode.S_IFREG | 0755);
        // Without group execute, set-group-id means mandatory locking and stays.
        setattr(file[0], mode(FileMode.S_ISUID | FileMode.S_ISGID | 0644));
        fs.write(AS_ROOT, file[0], file[1], 0, bytes("x"), 1 << 2);
        assertThat(attr(file[0]).mode()).isEqualTo(FileMode.S_IFREG | FileMode.S_ISGID | 0644);
        assertThat(fs.getattr(AS_ROOT, file[0], FileSystem.NO_HANDLE).size()).isEqualTo(1);
    }
}
