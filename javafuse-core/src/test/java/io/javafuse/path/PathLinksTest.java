package io.javafuse.path;

import io.javafuse.api.Mount;
import io.javafuse.testing.MountExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import static org.assertj.core.api.Assertions.assertThat;

/** Hard links, and files that lose their names while they are open. */
@Timeout(60)
class PathLinksTest {
    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    /** Waits for the kernel's release, which it sends after close(2) returns. */
    static void eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(10);
        }
    }

    /**
     * Asserts that the adapter's table is consistent once requests still in flight (the kernel
     * sends RELEASE and FORGET after the system calls that cause them have returned) are done.
     */
    static void assertConsistent(PathAdapter adapter) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!adapter.table().inconsistencies().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(adapter.table().inconsistencies()).isEmpty();
    }

    private static String read(FileChannel channel) throws Exception {
        ByteBuffer buffer = ByteBuffer.allocate((int) channel.size() + 16);
        int n = channel.read(buffer, 0);
        return new String(buffer.array(), 0, Math.max(n, 0), StandardCharsets.UTF_8);
    }

    @Test
    void hardLinksShowOneInodeNumber() throws Exception {
        PathAdapter adapter = new PathAdapter(new ExamplePathFs());
        Mount mount = mounts.mount(adapter, PathMountTest.UNCACHED);
        Path mnt = mount.mountpoint();
        Files.createDirectory(mnt.resolve("dir"));
        Files.writeString(mnt.resolve("original"), "shared");
        Files.createLink(mnt.resolve("dir/link"), mnt.resolve("original"));
        Shell.ok(mnt, "ln", "original", "second");

        Object ino = Files.getAttribute(mnt.resolve("original"), "unix:ino");
        assertThat(Files.getAttribute(mnt.resolve("dir/link"), "unix:ino")).isEqualTo(ino);
        assertThat(Shell.ok(mnt, "stat", "-c", "%i %h", "original", "dir/link", "second").lines().distinct().toList())
                .containsExactly(ino + " 3");
        assertThat(Files.isSameFile(mnt.resolve("original"), mnt.resolve("second"))).isTrue();
        // Each name has its own node in the adapter, but it is one file.
        Files.writeString(mnt.resolve("dir/link"), "changed through the link");
        assertThat(Files.readString(mnt.resolve("original"))).isEqualTo("changed through the link");
        assertThat(Files.readString(mnt.resolve("second"))).isEqualTo("changed through the link");

        Files.delete(mnt.resolve("original"));
        assertThat(Files.readString(mnt.resolve("dir/link"))).isEqualTo("changed through the link");
        assertThat(Shell.ok(mnt, "stat", "-c", "%i %h", "dir/link")).isEqualTo(ino + " 2\n");
        // rename(2) of one name of a file onto another name of it does nothing.
        Files.move(mnt.resolve("second"), mnt.resolve("dir/link"), StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.readString(mnt.resolve("dir/link"))).isEqualTo("changed through the link");
        assertConsistent(adapter);
    }

    @Test
    void anUnlinkedFileStaysReadableThroughItsOpenChannel() throws Exception {
        ExamplePathFs fs = new ExamplePathFs();
        PathAdapter adapter = new PathAdapter(fs);
        Mount mount = mounts.mount(adapter, PathMountTest.UNCACHED);
        Path file = mount.mountpoint().resolve("doomed");
        Files.writeString(file, "still here");
        int nodesBefore;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            nodesBefore = adapter.nodeCount();
            Files.delete(file);
            assertThat(Files.exists(file)).isFalse();
            assertThat(read(channel)).isEqualTo("still here");
            // fstat after unlink: the kernel names no handle, the adapter finds the open one.
            assertThat(channel.size()).isEqualTo(10);
            channel.write(ByteBuffer.wrap(" and more".getBytes(StandardCharsets.UTF_8)), 10);
            assertThat(channel.size()).isEqualTo(19);
            assertThat(read(channel)).isEqualTo("still here and more");
            channel.truncate(5);
            assertThat(read(channel)).isEqualTo("still");
            // A new file of that name is another file.
            Files.writeString(file, "new file");
            assertThat(Files.readString(file)).isEqualTo("new file");
            assertThat(read(channel)).isEqualTo("still");
            assertThat(fs.callsWithoutPath.get()).isPositive();
            assertThat(adapter.nodeCount()).isGreaterThanOrEqualTo(nodesBefore);
        }
        // The last release lets the filesystem drop its handle; the adapter drops the node once forgotten.
        eventually(() -> fs.openHandles() == 0);
        assertThat(Files.readString(file)).isEqualTo("new file");
        assertConsistent(adapter);
    }

    @Test
    void aFileReplacedByARenameStaysReadableWhileOpen() throws Exception {
        ExamplePathFs fs = new ExamplePathFs();
        PathAdapter adapter = new PathAdapter(fs);
        Path mnt = mounts.mount(adapter, PathMountTest.UNCACHED).mountpoint();
        Files.writeString(mnt.resolve("old"), "old contents");
        Files.writeString(mnt.resolve("new"), "new contents");
        try (FileChannel channel = FileChannel.open(mnt.resolve("old"), StandardOpenOption.READ)) {
            Files.move(mnt.resolve("new"), mnt.resolve("old"), StandardCopyOption.REPLACE_EXISTING);
            assertThat(Files.readString(mnt.resolve("old"))).isEqualTo("new contents");
            assertThat(read(channel)).isEqualTo("old contents");
            assertThat(channel.size()).isEqualTo(12);
        }
        eventually(() -> fs.openHandles() == 0);
    }

    @Test
    void aDirectoryRemovedWhileOpenListsNothing() throws Exception {
        Path mnt = mounts.mount(new PathAdapter(new ExamplePathFs()), PathMountTest.UNCACHED).mountpoint();
        Files.createDirectory(mnt.resolve("d"));
        // The shell keeps the directory as its working directory while it is removed.
        String out = Shell.sh(mnt.resolve("d"), "rmdir ../d && ls -a && stat -c '%F %h' .; echo status $?");
        assertThat(out).isEqualTo("directory 0\nstatus 0\n");
        assertThat(Files.exists(mnt.resolve("d"))).isFalse();
    }
}
