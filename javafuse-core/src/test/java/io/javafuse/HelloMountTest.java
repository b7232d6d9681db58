package io.javafuse;

import io.javafuse.api.Attr;
import io.javafuse.api.DirectoryFiller;
import io.javafuse.api.Entry;
import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.api.Mount;
import io.javafuse.api.Request;
import io.javafuse.testing.MountExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class HelloMountTest {
    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    static final byte[] HELLO = "hello, world\n".getBytes(StandardCharsets.UTF_8);

    static final class HelloFs implements FileSystem {
        static final Instant T = Instant.ofEpochSecond(1_700_000_000, 123_456_789);

        Attr attr(long ino) {
            return ino == ROOT_ID
                    ? new Attr(1, FileMode.S_IFDIR | 0755, 2, 0, 0, 0, 0, 0, 0, T, T, T)
                    : new Attr(2, FileMode.S_IFREG | 0644, 1, 0, 0, 0, HELLO.length, 1, 0, T, T, T);
        }

        @Override
        public Entry lookup(Request request, long parent, String name) throws IOException {
            if (parent == ROOT_ID && name.equals("hello")) {
                return Entry.of(attr(2));
            }
            throw new FuseException(Errno.ENOENT);
        }

        @Override
        public Attr getattr(Request request, long nodeId, long fh) {
            return attr(nodeId);
        }

        @Override
        public void readdir(Request request, long nodeId, long fh, long offset, DirectoryFiller out) {
            String[] names = {".", "..", "hello"};
            long[] inos = {1, 1, 2};
            for (int i = (int) offset; i < names.length; i++) {
                if (!out.add(names[i], inos[i], i == 2 ? FileMode.S_IFREG : FileMode.S_IFDIR, i + 1)) {
                    return;
                }
            }
        }

        @Override
        public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination) {
            int n = (int) Math.max(0, Math.min(destination.byteSize(), HELLO.length - offset));
            MemorySegment.copy(HELLO, (int) offset, destination, ValueLayout.JAVA_BYTE, 0, n);
            return n;
        }
    }

    @Test
    void servesAFile() throws Exception {
        Mount mount = mounts.mount(new HelloFs());
        assertThat(mount.connection().protocolMinor()).isGreaterThanOrEqualTo(12);
        assertThat(Files.readAllBytes(mount.mountpoint().resolve("hello"))).isEqualTo(HELLO);
        try (var list = Files.list(mount.mountpoint())) {
            assertThat(list.map(p -> p.getFileName().toString()).toList()).containsExactly("hello");
        }
        assertThat(Files.getLastModifiedTime(mount.mountpoint().resolve("hello")).toInstant()).isEqualTo(HelloFs.T);
        assertThat(Files.exists(mount.mountpoint().resolve("missing"))).isFalse();
    }
}
