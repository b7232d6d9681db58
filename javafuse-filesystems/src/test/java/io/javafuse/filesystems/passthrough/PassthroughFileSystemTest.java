package io.javafuse.filesystems.passthrough;

import io.javafuse.api.Created;
import io.javafuse.api.DirectoryPlusFiller;
import io.javafuse.api.Entry;
import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.api.Lock;
import io.javafuse.api.Request;
import io.javafuse.filesystems.testing.TestRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The passthrough filesystem called directly, as the engine would, for what a mount cannot
 * provoke on demand: lookup counting and forgetting, readdirplus that runs out of room, a name
 * created in the source between the kernel's lookup and its CREATE.
 */
@Timeout(30)
class PassthroughFileSystemTest {
    private static final int O_WRONLY = 1;
    private static final int O_RDWR = 2;
    private static final Request ROOT = new TestRequest(0, 0);
    private static final Request USER = new TestRequest(1234, 1234);

    @TempDir
    Path source;
    private PassthroughFileSystem fs;

    @BeforeEach
    void open() throws Exception {
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rwxrwxrwx"));
        fs = new PassthroughFileSystem(source);
    }

    @AfterEach
    void close() {
        fs.destroy();
    }

    @Test
    void everyNameOfOneInodeIsOneNodeAndItsLookupsAreCounted() throws Exception {
        Files.writeString(source.resolve("a"), "x");
        Files.createLink(source.resolve("b"), source.resolve("a"));
        Entry a = fs.lookup(ROOT, FileSystem.ROOT_ID, "a");
        Entry b = fs.lookup(ROOT, FileSystem.ROOT_ID, "b");
        Entry again = fs.lookup(ROOT, FileSystem.ROOT_ID, "a");
        assertThat(b.nodeId()).isEqualTo(a.nodeId());
        assertThat(again.nodeId()).isEqualTo(a.nodeId());
        assertThat(a.attr().ino()).isEqualTo(Files.getAttribute(source.resolve("a"), "unix:ino"));
        assertThat(fs.inodeCount()).isEqualTo(2);

        fs.forget(a.nodeId(), 2);
        assertThat(fs.getattr(ROOT, a.nodeId(), FileSystem.NO_HANDLE).nlink()).isEqualTo(2);
        fs.forget(a.nodeId(), 1);
        assertThat(fs.inodeCount()).isEqualTo(1);
        assertThatThrownBy(() -> fs.getattr(ROOT, a.nodeId(), FileSystem.NO_HANDLE))
                .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ESTALE));
        // Known again under a new node id: ids are never reused.
        assertThat(fs.lookup(ROOT, FileSystem.ROOT_ID, "b").nodeId()).isGreaterThan(a.nodeId());
    }

    @Test
    void nodeIdsOfForgottenInodesStayUnknownWhenTheirPlacesAreUsedAgain() throws Exception {
        // More inodes than the table first has room for, half forgotten, then as many new ones.
        int count = 1100;
        for (int i = 0; i < 2 * count; i++) {
            Files.createFile(source.resolve("f" + i));
        }
        List<Long> forgotten = new ArrayList<>();
        List<Long> kept = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long nodeId = fs.lookup(ROOT, FileSystem.ROOT_ID, "f" + i).nodeId();
            (i % 2 == 0 ? forgotten : kept).add(nodeId);
        }
        forgotten.forEach(nodeId -> fs.forget(nodeId, 1));
        List<Long> added = new ArrayList<>();
        for (int i = count; i < 2 * count; i++) {
            added.add(fs.lookup(ROOT, FileSystem.ROOT_ID, "f" + i).nodeId());
        }

        assertThat(fs.inodeCount()).isEqualTo(1 + kept.size() + added.size());
        assertThat(added).doesNotHaveDuplicates().doesNotContainAnyElementsOf(forgotten)
                .doesNotContainAnyElementsOf(kept).doesNotContain(FileSystem.ROOT_ID);
        for (long nodeId : forgotten) {
            assertThatThrownBy(() -> fs.getattr(ROOT, nodeId, FileSystem.NO_HANDLE))
                    .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ESTALE));
        }
        for (int i = 0; i < kept.size(); i++) {
            long ino = (long) Files.getAttribute(source.resolve("f" + (2 * i + 1)), "unix:ino");
            assertThat(fs.getattr(ROOT, kept.get(i), FileSystem.NO_HANDLE).ino()).isEqualTo(ino);
        }
        for (int i = 0; i < added.size(); i++) {
            long ino = (long) Files.getAttribute(source.resolve("f" + (count + i)), "unix:ino");
            assertThat(fs.getattr(ROOT, added.get(i), FileSystem.NO_HANDLE).ino()).isEqualTo(ino);
        }
    }

    @Test
    void theRootIsNeverForgottenAndItsParentIsItself() throws Exception {
        fs.forget(FileSystem.ROOT_ID, 1000);
        Entry parent = fs.lookup(ROOT, FileSystem.ROOT_ID, "..");
        assertThat(parent.nodeId()).isEqualTo(FileSystem.ROOT_ID);
        assertThat(parent.attr().ino()).isEqualTo(Files.getAttribute(source, "unix:ino"));
        assertThat(fs.getattr(ROOT, FileSystem.ROOT_ID, FileSystem.NO_HANDLE).ino())
                .isEqualTo(Files.getAttribute(source, "unix:ino"));
    }

    @Test
    void readdirplusTakesALookupOnlyForWhatItSends() throws Exception {
        for (int i = 0; i < 50; i++) {
            Files.writeString(source.resolve("file-" + i), "x");
        }
        long dir = fs.opendir(ROOT, FileSystem.ROOT_ID, 0).fh();
        List<Entry> sent = new ArrayList<>();
        long[] offset = {0};
        int[] calls = {0};
        boolean more = true;
        while (more) {
            calls[0]++;
            int[] room = {7};
            List<Entry> before = new ArrayList<>(sent);
            fs.readdirplus(ROOT, FileSystem.ROOT_ID, dir, offset[0], new DirectoryPlusFiller() {
                @Override
                public boolean add(String name, Entry entry, long nextOffset) {
                    if (room[0] == 0) {
                        return false;
                    }
                    room[0]--;
                    if (entry.nodeId() != 0) {
                        sent.add(entry);
                    }
                    offset[0] = nextOffset;
                    return true;
                }

                @Override
                public boolean fits(String name) {
                    return room[0] > 0;
                }
            });
            more = sent.size() > before.size() || room[0] == 0;
        }
        fs.releasedir(ROOT, FileSystem.ROOT_ID, dir);
        assertThat(sent).hasSize(50);
        assertThat(calls[0]).isGreaterThan(7);
        assertThat(fs.inodeCount()).isEqualTo(51);
        sent.forEach(entry -> fs.forget(entry.nodeId(), 1));
        assertThat(fs.inodeCount()).as("every lookup given back, none left over").isEqualTo(1);
    }

    @Test
    void aNameCreatedInTheSourceSinceTheKernelsLookupIsOpenedWithTheCallersRights() throws Exception {
        Path privateFile = Files.writeString(source.resolve("private"), "root's");
        Files.setPosixFilePermissions(privateFile, PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> fs.create(USER, FileSystem.ROOT_ID, "private", FileMode.S_IFREG | 0666, 0, O_WRONLY))
                .isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EACCES));
        assertThat(Files.readString(privateFile)).isEqualTo("root's");

        Path shared = Files.writeString(source.resolve("shared"), "open to all");
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rw-rw-rw-"));
        Created created = fs.create(USER, FileSystem.ROOT_ID, "shared", FileMode.S_IFREG | 0600, 0, O_RDWR);
        assertThat(created.entry().attr().ino()).isEqualTo(Files.getAttribute(shared, "unix:ino"));
        assertThat(created.entry().attr().uid()).as("still root's file").isZero();
        byte[] buffer = new byte[20];
        int n = fs.read(USER, created.entry().nodeId(), created.open().fh(), 0, MemorySegment.ofArray(buffer));
        assertThat(new String(buffer, 0, n, StandardCharsets.UTF_8)).isEqualTo("open to all");
        fs.release(USER, created.entry().nodeId(), created.open().fh(), 0);

        // O_EXCL asked for by the caller: EEXIST, as open(2) says.
        assertThatThrownBy(() -> fs.create(USER, FileSystem.ROOT_ID, "shared", FileMode.S_IFREG | 0600, 0,
                O_RDWR | 0200)).isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EEXIST));
    }

    @Test
    void aNewFileBelongsToItsCreatorAndHeapBuffersWork() throws Exception {
        Created created = fs.create(USER, FileSystem.ROOT_ID, "new", FileMode.S_IFREG | 0640, 0, O_RDWR);
        assertThat(created.entry().attr().uid()).isEqualTo(1234);
        assertThat(created.entry().attr().gid()).isEqualTo(1234);
        assertThat(created.entry().attr().mode()).isEqualTo(FileMode.S_IFREG | 0640);
        long node = created.entry().nodeId();
        long fh = created.open().fh();
        byte[] data = "written from a heap array".getBytes(StandardCharsets.UTF_8);
        assertThat(fs.write(USER, node, fh, 0, MemorySegment.ofArray(data).asReadOnly(), 0)).isEqualTo(data.length);
        assertThat(fs.writeGathered(USER, node, fh, data.length, List.of(MemorySegment.ofArray(new byte[] {'!'}),
                MemorySegment.ofArray(new byte[] {'?'})), 0)).isEqualTo(2);
        fs.flush(USER, node, fh, 42);
        fs.release(USER, node, fh, 0);
        assertThat(Files.readString(source.resolve("new"))).isEqualTo("written from a heap array!?");
        assertThat(Files.getAttribute(source.resolve("new"), "unix:uid")).isEqualTo(1234);
    }

    @Test
    void posixLocksArePerOwnerAndGoWithTheOwnersFlushOrTheHandlesRelease() throws Exception {
        Files.writeString(source.resolve("locked"), "0123456789");
        long node = fs.lookup(ROOT, FileSystem.ROOT_ID, "locked").nodeId();
        long fh1 = fs.open(ROOT, node, O_RDWR).fh();
        long fh2 = fs.open(ROOT, node, O_RDWR).fh();
        long fh3 = fs.open(ROOT, node, O_RDWR).fh();
        Lock whole = new Lock(Lock.F_WRLCK, 0, Long.MAX_VALUE, 1);
        long first = 7;
        long second = 8;

        fs.setlk(ROOT, node, fh1, first, whole, false);
        fs.setlk(ROOT, node, fh2, first, new Lock(Lock.F_WRLCK, 2, 5, 1), false); // its own: no conflict
        assertErrno(Errno.EAGAIN, () -> fs.setlk(ROOT, node, fh3, second, whole, false));
        assertThat(fs.getlk(ROOT, node, fh3, second, whole).type()).isEqualTo(Lock.F_WRLCK);
        assertThat(fs.getlk(ROOT, node, fh1, first, whole).type()).isEqualTo(Lock.F_UNLCK);

        // Its FLUSH lost, the first owner's locks go with the handle it locked through.
        fs.release(ROOT, node, fh1, 0);
        fs.setlk(ROOT, node, fh3, second, whole, false);
        fs.flush(ROOT, node, fh3, second);

        // After a FLUSH the owner locks anew (through fh2); fh2's late RELEASE of older locks keeps the new one.
        long fh4 = fs.open(ROOT, node, O_RDWR).fh();
        fs.setlk(ROOT, node, fh2, first, whole, false);
        fs.flush(ROOT, node, fh2, first);
        fs.setlk(ROOT, node, fh4, first, whole, false);
        fs.release(ROOT, node, fh2, 0);
        assertErrno(Errno.EAGAIN, () -> fs.setlk(ROOT, node, fh3, second, whole, false));
        fs.setlk(ROOT, node, fh4, first, new Lock(Lock.F_UNLCK, 0, Long.MAX_VALUE, 1), false);
        fs.setlk(ROOT, node, fh3, second, whole, false);
        fs.release(ROOT, node, fh3, 0);
        fs.release(ROOT, node, fh4, 0);
    }

    private static void assertErrno(int errno, org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(FuseException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }
}
