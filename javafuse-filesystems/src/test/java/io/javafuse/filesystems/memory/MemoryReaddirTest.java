package io.javafuse.filesystems.memory;

import io.javafuse.api.DirectoryFiller;
import io.javafuse.api.DirectoryPlusFiller;
import io.javafuse.api.Entry;
import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class MemoryReaddirTest extends FileSystemFixture {

    private record Listed(String name, long ino, int mode, long nextOffset) {}

    /** A reply buffer with room for {@code room} entries, as the kernel's page-sized one has for a few. */
    private static final class PageFiller implements DirectoryFiller {
        final List<Listed> listed = new ArrayList<>();
        private final int room;

        PageFiller(int room) {
            this.room = room;
        }

        @Override
        public boolean add(String name, long ino, int mode, long nextOffset) {
            if (listed.size() == room) {
                return false;
            }
            listed.add(new Listed(name, ino, mode, nextOffset));
            return true;
        }
    }

    private List<Listed> page(long dir, long offset, int room) throws Exception {
        PageFiller filler = new PageFiller(room);
        fs.readdir(AS_ROOT, dir, 0, offset, filler);
        return filler.listed;
    }

    @Test
    void listsDotEntriesFirstWithTypesAndInodes() throws Exception {
        long dir = mkdir(ROOT, "dir");
        long file = file(dir, "file");
        long sub = mkdir(dir, "sub");
        long link = fs.symlink(AS_ROOT, dir, "link", "file").nodeId();
        List<Listed> all = page(dir, 0, 100);
        assertThat(all).containsExactly(
                new Listed(".", dir, FileMode.S_IFDIR, 1),
                new Listed("..", ROOT, FileMode.S_IFDIR, 2),
                new Listed("file", file, FileMode.S_IFREG, 3),
                new Listed("sub", sub, FileMode.S_IFDIR, 4),
                new Listed("link", link, FileMode.S_IFLNK, 5));
        assertThat(page(ROOT, 0, 100).get(1)).isEqualTo(new Listed("..", ROOT, FileMode.S_IFDIR, 2));
        assertErrno(Errno.ENOTDIR, () -> page(file, 0, 100));
    }

    @Test
    void continuesFromTheOffsetOfTheLastEntry() throws Exception {
        for (int i = 0; i < 10; i++) {
            file(ROOT, "f" + i);
        }
        List<String> names = new ArrayList<>();
        long offset = 0;
        for (List<Listed> page; !(page = page(ROOT, offset, 3)).isEmpty(); ) {
            page.forEach(listed -> names.add(listed.name()));
            offset = page.getLast().nextOffset();
        }
        assertThat(names).containsExactly(".", "..", "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9");
        // A filler that is full at once gets nothing, and the next call starts over at the same place.
        assertThat(page(ROOT, 0, 0)).isEmpty();
        assertThat(page(ROOT, 1, 1)).extracting(Listed::name).containsExactly("..");
    }

    @Test
    void pagingStaysConsistentWhileEntriesComeAndGo() throws Exception {
        Set<String> present = new HashSet<>(Set.of(".", ".."));
        for (int i = 0; i < 100; i++) {
            file(ROOT, "old" + i);
            present.add("old" + i);
        }
        Set<String> neverRemoved = new HashSet<>(present);
        Set<String> added = new HashSet<>();
        List<String> seen = new ArrayList<>();
        long offset = 0;
        int round = 0;
        for (List<Listed> page; !(page = page(ROOT, offset, 7)).isEmpty(); round++) {
            for (Listed listed : page) {
                assertThat(present).as("listed while it exists").contains(listed.name());
                seen.add(listed.name());
            }
            offset = page.getLast().nextOffset();
            // Between pages: remove a name from the front, one from the back, and add one.
            for (String victim : List.of("old" + round, "old" + (99 - round))) {
                if (present.remove(victim)) {
                    fs.unlink(AS_ROOT, ROOT, victim);
                    neverRemoved.remove(victim);
                }
            }
            if (round < 20) {
                String name = "new" + round;
                file(ROOT, name);
                present.add(name);
                added.add(name);
            }
        }
        assertThat(seen).doesNotHaveDuplicates();
        assertThat(seen).containsAll(neverRemoved);
        // New names go after every existing cookie, so a listing in progress still reaches them.
        assertThat(seen).containsAll(added);
    }

    @Test
    void anOffsetWhoseEntryWasRemovedStillContinuesAfterIt() throws Exception {
        file(ROOT, "a");
        file(ROOT, "b");
        file(ROOT, "c");
        List<Listed> first = page(ROOT, 0, 3);
        assertThat(first.getLast().name()).isEqualTo("a");
        fs.unlink(AS_ROOT, ROOT, "a");
        file(ROOT, "d");
        assertThat(page(ROOT, first.getLast().nextOffset(), 100)).extracting(Listed::name)
                .containsExactly("b", "c", "d");
    }

    /** Records what it receives, and has room for {@code room} entries. */
    private static final class PlusFiller implements DirectoryPlusFiller {
        final List<String> names = new ArrayList<>();
        final List<Entry> entries = new ArrayList<>();
        long lastOffset;
        private final int room;
        private final boolean refuseAfterFits;

        PlusFiller(int room, boolean refuseAfterFits) {
            this.room = room;
            this.refuseAfterFits = refuseAfterFits;
        }

        @Override
        public boolean fits(String name) {
            return names.size() < room;
        }

        @Override
        public boolean add(String name, Entry entry, long nextOffset) {
            if (!fits(name) || refuseAfterFits && !name.startsWith(".")) {
                return false;
            }
            names.add(name);
            entries.add(entry);
            lastOffset = nextOffset;
            return true;
        }
    }

    @Test
    void readdirplusCountsALookupOnlyForEntriesSent() throws Exception {
        long dir = mkdir(ROOT, "dir");
        List<Long> files = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            files.add(file(dir, "f" + i));
        }
        // The creation lookups are given back; only what readdirplus hands out remains.
        files.forEach(node -> fs.forget(node, 1));

        PlusFiller first = new PlusFiller(4, false);
        fs.readdirplus(AS_ROOT, dir, 0, 0, first);
        assertThat(first.names).containsExactly(".", "..", "f0", "f1");
        assertThat(first.entries.get(0).nodeId()).isEqualTo(dir);
        assertThat(first.entries.get(1).nodeId()).isEqualTo(ROOT);
        assertThat(first.entries.get(2).attr().mode()).isEqualTo(FileMode.S_IFREG | 0644);
        PlusFiller rest = new PlusFiller(100, false);
        fs.readdirplus(AS_ROOT, dir, 0, first.lastOffset, rest);
        assertThat(rest.names).containsExactly("f2", "f3", "f4");

        // A filler that refuses after fits said yes must not leave a lookup behind.
        fs.readdirplus(AS_ROOT, dir, 0, 2, new PlusFiller(100, true));

        for (int i = 0; i < 5; i++) {
            fs.unlink(AS_ROOT, dir, "f" + i);
        }
        // Each file was sent once: one lookup each keeps them.
        assertThat(fs.nodeCount()).isEqualTo(7);
        files.forEach(node -> fs.forget(node, 1));
        assertThat(fs.nodeCount()).isEqualTo(2);
    }

    @Test
    void readingADirectoryTouchesItsAccessTime() throws Exception {
        long dir = mkdir(ROOT, "dir");
        age(dir);
        list(dir);
        assertThat(attr(dir).atime()).isAfter(LONG_AGO);
        assertThat(attr(dir).mtime()).isEqualTo(LONG_AGO);
    }
}
