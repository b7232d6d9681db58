package io.javafuse.filesystems.memory;

import io.javafuse.api.Attr;
import io.javafuse.api.DirectoryFiller;
import io.javafuse.api.FileMode;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.api.Request;
import io.javafuse.api.SetAttr;
import io.javafuse.filesystems.testing.TestRequest;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A fresh filesystem per test, and short ways to call it. */
abstract class FileSystemFixture {
    static final long ROOT = FileSystem.ROOT_ID;
    static final Request AS_ROOT = new TestRequest(0, 0);
    static final Request AS_USER = new TestRequest(1000, 1000);
    static final long CAPACITY = 64L << 20;
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final int O_EXCL = 0200;
    static final int O_TRUNC = 01000;
    static final int O_APPEND = 02000;
    static final Instant LONG_AGO = Instant.parse("2001-02-03T04:05:06.123456789Z");

    final MemoryFileSystem fs = new MemoryFileSystem(0, 0, FileMode.S_IFDIR | 0777, CAPACITY);

    long mkdir(long parent, String name) throws IOException {
        return fs.mkdir(AS_ROOT, parent, name, 0755, 022).nodeId();
    }

    long file(long parent, String name) throws IOException {
        return fs.mknod(AS_ROOT, parent, name, FileMode.S_IFREG | 0644, 0, 022).nodeId();
    }

    long lookup(long parent, String name) throws IOException {
        return fs.lookup(AS_ROOT, parent, name).nodeId();
    }

    Attr attr(long node) throws IOException {
        return fs.getattr(AS_ROOT, node, FileSystem.NO_HANDLE);
    }

    long open(long node, int flags) throws IOException {
        return fs.open(AS_ROOT, node, flags).fh();
    }

    int write(long node, long fh, long offset, byte[] data) throws IOException {
        return fs.write(AS_ROOT, node, fh, offset, MemorySegment.ofArray(data).asReadOnly(), 0);
    }

    int write(long node, long fh, long offset, String data) throws IOException {
        return write(node, fh, offset, data.getBytes(StandardCharsets.UTF_8));
    }

    byte[] read(long node, long fh, long offset, int length) throws IOException {
        byte[] buffer = new byte[length];
        int read = fs.read(AS_ROOT, node, fh, offset, MemorySegment.ofArray(buffer));
        return Arrays.copyOf(buffer, read);
    }

    String readString(long node, long fh, long offset, int length) throws IOException {
        return new String(read(node, fh, offset, length), StandardCharsets.UTF_8);
    }

    /** A file with the given contents, open read-write; returns {node, fh}. */
    long[] fileWith(long parent, String name, String contents) throws IOException {
        long node = file(parent, name);
        long fh = open(node, O_RDWR);
        write(node, fh, 0, contents);
        return new long[] {node, fh};
    }

    /** Every name readdir lists, "." and ".." included, in order. */
    List<String> list(long dir) throws IOException {
        List<String> names = new ArrayList<>();
        DirectoryFiller filler = (name, ino, mode, nextOffset) -> names.add(name);
        fs.readdir(AS_ROOT, dir, 0, 0, filler);
        return names;
    }

    void setattr(long node, SetAttr changes) throws IOException {
        fs.setattr(AS_ROOT, node, changes);
    }

    /** Sets all three timestamps far into the past, so that a later change is plain to see. */
    void age(long node) throws IOException {
        setattr(node, times(LONG_AGO, LONG_AGO, LONG_AGO));
    }

    static SetAttr mode(int mode) {
        return new SetAttr(mode, null, null, null, null, false, null, false, null, false, FileSystem.NO_HANDLE);
    }

    static SetAttr owner(Integer uid, Integer gid) {
        return new SetAttr(null, uid, gid, null, null, false, null, false, null, false, FileSystem.NO_HANDLE);
    }

    static SetAttr size(long size) {
        return new SetAttr(null, null, null, size, null, false, null, false, null, false, FileSystem.NO_HANDLE);
    }

    static SetAttr times(Instant atime, Instant mtime, Instant ctime) {
        return new SetAttr(null, null, null, null, atime, false, mtime, false, ctime, false, FileSystem.NO_HANDLE);
    }

    static MemorySegment bytes(String text) {
        return MemorySegment.ofArray(text.getBytes(StandardCharsets.UTF_8)).asReadOnly();
    }

    static String string(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static byte[] filled(int length, int value) {
        byte[] data = new byte[length];
        Arrays.fill(data, (byte) value);
        return data;
    }

    static void assertErrno(int errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(FuseException.class,
                e -> assertThat(e.errno())
                        .as("errno %s", e.getMessage()).isEqualTo(errno));
    }

}
