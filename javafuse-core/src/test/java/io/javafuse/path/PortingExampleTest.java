package io.javafuse.path;

import io.javafuse.api.Attr;
import io.javafuse.api.Errno;
import io.javafuse.api.FuseException;
import io.javafuse.api.Mount;
import io.javafuse.api.Request;
import io.javafuse.testing.MountExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.time.Instant;

import static io.javafuse.api.FileMode.S_IFDIR;
import static io.javafuse.api.FileMode.S_IFREG;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

/** The example of docs/porting.md, as it is printed there. */
@Timeout(30)
class PortingExampleTest {
    @RegisterExtension
    final MountExtension mounts = new MountExtension();

    // ---- as in docs/porting.md
    static class HelloFs implements PathFileSystem {
        static final byte[] HELLO = "hello, world\n".getBytes();
        static final Instant T = Instant.EPOCH;

        public Attr getattr(Request r, String path, long fh) throws IOException {
            return switch (path) {
                case "/" -> new Attr(1, S_IFDIR | 0755, 2, 0, 0, 0, 0, 0, 0, T, T, T);
                case "/hello" -> new Attr(2, S_IFREG | 0444, 1, 0, 0, 0, HELLO.length, 1, 0, T, T, T);
                default -> throw new FuseException(Errno.ENOENT);
            };
        }

        public void readdir(Request r, String path, PathDirectoryFiller filler, long offset, long fh) {
            filler.add(".");
            filler.add("..");
            filler.add("hello");
        }

        public int read(Request r, String path, MemorySegment buf, long offset, long fh) {
            int n = (int) Math.max(0, Math.min(buf.byteSize(), HELLO.length - offset));
            MemorySegment.copy(HELLO, (int) offset, buf, JAVA_BYTE, 0, n);
            return n;
        }
    }
    // ----

    @Test
    void theExampleWorks() throws Exception {
        Mount mount = mounts.mount(new PathAdapter(new HelloFs()));
        assertThat(Files.readString(mount.mountpoint().resolve("hello"))).isEqualTo("hello, world\n");
        assertThat(Shell.ok(mount.mountpoint(), "ls", "-l")).contains("-r--r--r--", " 13 ", "hello");
        assertThat(Shell.run(mount.mountpoint(), "touch", "other").status()).isNotZero();
    }
}
