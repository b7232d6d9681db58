package io.javafuse.session;

import io.javafuse.abi.InitFlags;
import io.javafuse.abi.Structs;
import io.javafuse.api.Attr;
import io.javafuse.api.DirectoryFiller;
import io.javafuse.api.Entry;
import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FileSystem;
import io.javafuse.api.FuseException;
import io.javafuse.api.MountOptions;
import io.javafuse.api.Open;
import io.javafuse.api.Request;
import io.javafuse.testing.InMemoryChannel;
import io.javafuse.testing.RequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.javafuse.testing.RequestBuilder.reply;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The engine against requests built by hand from the header's layout, without a kernel: every
 * offset checked here is written out as a number, not taken from the engine's own layouts.
 */
@Timeout(30)
class WireFormatTest {
    static final int LOOKUP = 1, FORGET = 2, GETATTR = 3, READ = 15, WRITE = 16, INIT = 26, READDIR = 28,
            GETXATTR = 22, INTERRUPT = 36, BATCH_FORGET = 42;
    static final Instant T = Instant.ofEpochSecond(1_700_000_000L, 987_654_321);

    final InMemoryChannel channel = new InMemoryChannel();
    final List<String> calls = new CopyOnWriteArrayList<>();
    Session session;

    final class RecordingFs implements FileSystem {
        Attr fileAttr() {
            return new Attr(7, FileMode.S_IFREG | 0640, 3, 1000, 100, 0, 12345, 25, 0, T, T.plusSeconds(1),
                    T.plusSeconds(2));
        }

        @Override
        public Entry lookup(Request request, long parent, String name) throws FuseException {
            calls.add("lookup " + parent + " " + name + " uid=" + request.uid() + " gid=" + request.gid()
                    + " pid=" + request.pid());
            if (name.equals("boom")) {
                throw new IllegalStateException("a bug in the filesystem");
            }
            if (!name.equals("file")) {
                throw new FuseException(Errno.ENOENT);
            }
            return new Entry(7, 3, fileAttr(), Duration.ofMillis(1500), Duration.ofSeconds(2));
        }

        @Override
        public void forget(long nodeId, long nlookup) {
            calls.add("forget " + nodeId + " " + nlookup);
        }

        @Override
        public Attr getattr(Request request, long nodeId, long fh) {
            calls.add("getattr " + nodeId + " fh=" + fh);
            return fileAttr();
        }

        @Override
        public int read(Request request, long nodeId, long fh, long offset, MemorySegment destination) {
            calls.add("read " + nodeId + " fh=" + fh + " off=" + offset + " size=" + destination.byteSize());
            byte[] data = "abcdef".getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(data, 0, destination, ValueLayout.JAVA_BYTE, 0, data.length);
            return data.length;
        }

        @Override
        public int write(Request request, long nodeId, long fh, long offset, MemorySegment data, int flags) {
            calls.add("write " + nodeId + " fh=" + fh + " off=" + offset + " data="
                    + new String(data.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII)
                    + " readOnly=" + data.isReadOnly());
            return (int) data.byteSize();
        }

        @Override
        public void readdir(Request request, long nodeId, long fh, long offset, DirectoryFiller out) {
            String[] names = {".", "..", "file"};
            for (int i = (int) offset; i < names.length; i++) {
                if (!out.add(names[i], i == 2 ? 7 : 1, i == 2 ? FileMode.S_IFREG : FileMode.S_IFDIR, i + 1)) {
                    return;
                }
            }
        }

        @Override
        public Open open(Request request, long nodeId, int flags) {
            calls.add("open " + nodeId);
            // KEEP_CACHE is dropped by withPassthrough: the kernel refuses it with passthrough
            return new Open(9, Open.KEEP_CACHE | Open.NOFLUSH).withPassthrough(42);
        }

        @Override
        public byte[] getxattr(Request request, long nodeId, String name) {
            calls.add("getxattr " + name);
            return "value".getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** Starts a session and answers INIT as a kernel offering 7.{@code minor} with {@code flags}. */
    ByteBuffer start(int minor, long flags) throws Exception {
        return start(minor, flags, MountOptions.defaults().withReaders(2));
    }

    ByteBuffer start(int minor, long flags, MountOptions options) throws Exception {
        long flags2 = flags >>> 32;
        channel.send(new RequestBuilder(INIT, 2, 0).u32(7).u32(minor).u32(131072).u32((int) flags).u32((int) flags2)
                .bytes(new byte[44]).build());
        session = new Session(new RecordingFs(), options, channel, () -> {});
        session.start();
        return reply(channel.reply(5, TimeUnit.SECONDS));
    }

    ByteBuffer call(byte[] request) throws Exception {
        channel.send(request);
        byte[] reply = channel.reply(5, TimeUnit.SECONDS);
        assertThat(reply).as("a reply").isNotNull();
        return reply(reply);
    }

    @AfterEach
    void stop() throws Exception {
        channel.close();
        if (session != null) {
            assertThat(session.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void structSizesMatchTheHeader() {
        assertThat(Structs.InHeader.SIZE).isEqualTo(40);
        assertThat(Structs.OutHeader.SIZE).isEqualTo(16);
        assertThat(Structs.InitOut.SIZE).isEqualTo(64);
        assertThat(Structs.Attr.SIZE).isEqualTo(88);
        assertThat(Structs.EntryOut.SIZE).isEqualTo(128);
        assertThat(Structs.AttrOut.SIZE).isEqualTo(104);
        assertThat(Structs.OpenOut.SIZE).isEqualTo(16);
        assertThat(Structs.WriteIn.SIZE).isEqualTo(40);
        assertThat(Structs.Dirent.SIZE).isEqualTo(24);
        assertThat(Structs.DirentPlus.SIZE).isEqualTo(152);
        assertThat(Structs.StatxOut.SIZE).isEqualTo(288);
        assertThat(Structs.StatfsOut.SIZE).isEqualTo(80);
        assertThat(Structs.InitOut.MAX_PAGES).isEqualTo(28);
        assertThat(Structs.InitOut.FLAGS2).isEqualTo(32);
        assertThat(Structs.InitOut.MAX_STACK_DEPTH).isEqualTo(36);
        assertThat(Structs.EntryOut.ATTR).isEqualTo(40);
        assertThat(Structs.Attr.BLKSIZE).isEqualTo(80);
        assertThat(Structs.Attr.FLAGS).isEqualTo(84);
        assertThat(Structs.OpenOut.BACKING_ID).isEqualTo(12);
        assertThat(Structs.BackingMap.SIZE).isEqualTo(16);
        assertThat(Structs.BackingMap.FLAGS).isEqualTo(4);
    }

    @Test
    void initAgreesOnTheKernelsMinorAndTheCommonFlags() throws Exception {
        long offered = InitFlags.ASYNC_READ | InitFlags.BIG_WRITES | InitFlags.MAX_PAGES | InitFlags.INIT_EXT
                | InitFlags.SPLICE_READ | InitFlags.WRITEBACK_CACHE | InitFlags.PASSTHROUGH;
        ByteBuffer r = start(45, offered);
        assertThat(r.getInt(0)).as("len").isEqualTo(16 + 64);
        assertThat(r.getInt(4)).as("error").isZero();
        assertThat(r.getLong(8)).as("unique").isEqualTo(2);
        assertThat(r.getInt(16)).as("major").isEqualTo(7);
        assertThat(r.getInt(20)).as("minor").isEqualTo(45);
        assertThat(r.getInt(24)).as("max_readahead").isEqualTo(131072);
        long flags = Integer.toUnsignedLong(r.getInt(28)) | (Integer.toUnsignedLong(r.getInt(16 + 32)) << 32);
        // asked for and offered; not SPLICE_READ, WRITEBACK_CACHE (not asked for), PASSTHROUGH
        assertThat(flags).isEqualTo(InitFlags.ASYNC_READ | InitFlags.BIG_WRITES | InitFlags.MAX_PAGES | InitFlags.INIT_EXT);
        assertThat(r.getInt(16 + 20)).as("max_write").isEqualTo(1 << 20);
        assertThat(r.getInt(16 + 24)).as("time_gran").isEqualTo(1);
        assertThat(Short.toUnsignedInt(r.getShort(16 + 28))).as("max_pages").isEqualTo(256);
        assertThat(session.connection().protocolMinor()).isEqualTo(45);
        assertThat(session.connection().flags()).isEqualTo(flags);
    }

    @Test
    void anOlderKernelGetsTheShortInitReply() throws Exception {
        ByteBuffer r = start(22, InitFlags.ASYNC_READ);
        assertThat(r.getInt(0)).isEqualTo(16 + 24);
        assertThat(r.getInt(20)).isEqualTo(22);
    }

    @Test
    void lookupEncodesTheEntry() throws Exception {
        start(45, 0);
        ByteBuffer r = call(new RequestBuilder(LOOKUP, 10, 1).caller(1000, 100, 77).name("file").build());
        assertThat(calls).contains("lookup 1 file uid=1000 gid=100 pid=77");
        assertThat(r.getInt(0)).isEqualTo(16 + 128);
        assertThat(r.getLong(8)).isEqualTo(10);
        int e = 16;
        assertThat(r.getLong(e)).as("nodeid").isEqualTo(7);
        assertThat(r.getLong(e + 8)).as("generation").isEqualTo(3);
        assertThat(r.getLong(e + 16)).as("entry_valid").isEqualTo(1);
        assertThat(r.getLong(e + 24)).as("attr_valid").isEqualTo(2);
        assertThat(r.getInt(e + 32)).as("entry_valid_nsec").isEqualTo(500_000_000);
        assertThat(r.getInt(e + 36)).as("attr_valid_nsec").isZero();
        int a = e + 40;
        assertThat(r.getLong(a)).as("ino").isEqualTo(7);
        assertThat(r.getLong(a + 8)).as("size").isEqualTo(12345);
        assertThat(r.getLong(a + 16)).as("blocks").isEqualTo(25);
        assertThat(r.getLong(a + 24)).as("atime").isEqualTo(1_700_000_000L);
        assertThat(r.getLong(a + 32)).as("mtime").isEqualTo(1_700_000_001L);
        assertThat(r.getLong(a + 40)).as("ctime").isEqualTo(1_700_000_002L);
        assertThat(r.getInt(a + 48)).as("atimensec").isEqualTo(987_654_321);
        assertThat(r.getInt(a + 60)).as("mode").isEqualTo(FileMode.S_IFREG | 0640);
        assertThat(r.getInt(a + 64)).as("nlink").isEqualTo(3);
        assertThat(r.getInt(a + 68)).as("uid").isEqualTo(1000);
        assertThat(r.getInt(a + 72)).as("gid").isEqualTo(100);
        assertThat(r.getInt(a + 80)).as("blksize from the mount's default").isEqualTo(4096);
    }

    @Test
    void errorsAreSixteenBytesWithANegativeErrno() throws Exception {
        start(45, 0);
        ByteBuffer r = call(new RequestBuilder(LOOKUP, 12, 1).name("nothing").build());
        assertThat(r.limit()).isEqualTo(16);
        assertThat(r.getInt(0)).isEqualTo(16);
        assertThat(r.getInt(4)).isEqualTo(-Errno.ENOENT);
        assertThat(r.getLong(8)).isEqualTo(12);
    }

    @Test
    void aHandlerBugIsEioAndTheNextRequestIsServed() throws Exception {
        start(45, 0);
        assertThat(call(new RequestBuilder(LOOKUP, 14, 1).name("boom").build()).getInt(4)).isEqualTo(-Errno.EIO);
        assertThat(call(new RequestBuilder(LOOKUP, 16, 1).name("file").build()).getInt(4)).isZero();
    }

    @Test
    void unknownOpcodesAreEnosys() throws Exception {
        start(45, 0);
        ByteBuffer r = call(new RequestBuilder(99, 18, 1).build());
        assertThat(r.getInt(4)).isEqualTo(-Errno.ENOSYS);
        assertThat(r.getLong(8)).isEqualTo(18);
        // a known opcode the filesystem does not implement
        assertThat(call(new RequestBuilder(9 /* MKDIR */, 20, 1).u32(0755).u32(022).name("d").build()).getInt(4))
                .isEqualTo(-Errno.ENOSYS);
    }

    @Test
    void getattrPassesTheHandleOnlyWhenFlagged() throws Exception {
        start(45, 0);
        ByteBuffer r = call(new RequestBuilder(GETATTR, 22, 7).u32(1).u32(0).u64(99).build());
        assertThat(r.getInt(0)).isEqualTo(16 + 104);
        assertThat(r.getLong(16)).as("attr_valid").isEqualTo(1);
        assertThat(r.getLong(16 + 16)).as("attr.ino").isEqualTo(7);
        call(new RequestBuilder(GETATTR, 24, 7).u32(0).u32(0).u64(99).build());
        assertThat(calls).containsSubsequence("getattr 7 fh=99", "getattr 7 fh=" + FileSystem.NO_HANDLE);
    }

    @Test
    void kernelPassthroughIsOfferedInFlags2WithAStackDepthOfOne() throws Exception {
        long offered = InitFlags.ASYNC_READ | InitFlags.INIT_EXT | InitFlags.PASSTHROUGH;
        ByteBuffer r = start(45, offered, MountOptions.defaults().withReaders(2).withKernelPassthrough(true));
        long flags = Integer.toUnsignedLong(r.getInt(16 + 12)) | (Integer.toUnsignedLong(r.getInt(16 + 32)) << 32);
        assertThat(flags & InitFlags.PASSTHROUGH).as("PASSTHROUGH agreed").isNotZero();
        assertThat(r.getInt(16 + 32) & (1 << 5)).as("flags2 bit 5").isNotZero();
        assertThat(r.getInt(16 + 36)).as("max_stack_depth").isEqualTo(1);
        assertThat(session.connection().passthrough()).isTrue();
    }

    @Test
    void passthroughIsNotAgreedWhenTheKernelDoesNotOfferIt() throws Exception {
        ByteBuffer r = start(45, InitFlags.ASYNC_READ | InitFlags.INIT_EXT,
                MountOptions.defaults().withReaders(2).withKernelPassthrough(true));
        assertThat(r.getInt(16 + 32) & (1 << 5)).as("flags2 bit 5").isZero();
        assertThat(r.getInt(16 + 36)).as("max_stack_depth").isZero();
        assertThat(session.connection().passthrough()).isFalse();
    }

    @Test
    void passthroughAndTheWritebackCacheAreRefusedTogether() {
        assertThatThrownBy(() -> MountOptions.defaults().withWritebackCache(true).withKernelPassthrough(true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("writeback cache");
        assertThatThrownBy(() -> MountOptions.defaults().parse("kernel_passthrough,writeback_cache"))
                .isInstanceOf(IllegalArgumentException.class);
        // The kernel then leaves clearing set-id bits on write to the filesystem, which sees no writes.
        assertThatThrownBy(() -> MountOptions.defaults().parse("handle_killpriv,kernel_passthrough"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("set-id");
    }

    @Test
    void aPassthroughOpenCarriesFlagAndBackingIdInOpenOut() throws Exception {
        start(45, InitFlags.INIT_EXT | InitFlags.PASSTHROUGH, MountOptions.defaults().withReaders(2)
                .withKernelPassthrough(true));
        ByteBuffer r = call(new RequestBuilder(14, 30, 7).u32(0).u32(0).build());
        assertThat(calls).contains("open 7");
        assertThat(r.getInt(0)).isEqualTo(16 + 16);
        assertThat(r.getLong(16)).as("fh").isEqualTo(9);
        assertThat(r.getInt(16 + 8)).as("open_flags: PASSTHROUGH | NOFLUSH").isEqualTo(0x80 | 0x20);
        assertThat(r.getInt(16 + 12)).as("backing_id").isEqualTo(42);
    }

    @Test
    void passthroughNeedsABackingId() {
        assertThatThrownBy(() -> new Open(1, Open.PASSTHROUGH)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Open.handle(1).withPassthrough(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Open.handle(1).withWriteBehind().withPassthrough(3).writeBehind()).isFalse();
    }

    @Test
    void aRequestFromAnInMemoryChannelCannotRegisterBackingFiles() throws Exception {
        start(45, 0);
        byte[] bytes = new RequestBuilder(LOOKUP, 40, 1).build();
        FuseRequest request = new FuseRequest(MemorySegment.ofArray(bytes));
        request.received(channel, bytes.length);
        assertThatThrownBy(() -> request.openBacking(0)).isInstanceOf(FuseException.class)
                .satisfies(e -> assertThat(((FuseException) e).errno()).isEqualTo(Errno.EOPNOTSUPP));
    }

    @Test
    void readRepliesWithTheDataAfterTheHeader() throws Exception {
        start(45, 0);
        ByteBuffer r = call(new RequestBuilder(READ, 26, 7).u64(5).u64(4096).u32(65536).u32(0).u64(0).u32(0).u32(0)
                .build());
        assertThat(calls).contains("read 7 fh=5 off=4096 size=65536");
        assertThat(r.getInt(0)).isEqualTo(16 + 6);
        byte[] data = new byte[6];
        r.get(16, data);
        assertThat(new String(data, StandardCharsets.US_ASCII)).isEqualTo("abcdef");
    }

    @Test
    void writeHandsTheDataAsAReadOnlyView() throws Exception {
        start(45, 0);
        byte[] payload = "hello".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer r = call(new RequestBuilder(WRITE, 28, 7).u64(5).u64(100).u32(payload.length).u32(0).u64(0).u32(0)
                .u32(0).bytes(payload).build());
        assertThat(calls).contains("write 7 fh=5 off=100 data=hello readOnly=true");
        assertThat(r.getInt(0)).isEqualTo(16 + 8);
        assertThat(r.getInt(16)).as("fuse_write_out.size").isEqualTo(5);
    }

    @Test
    void readdirPacksDirentsPaddedToEightBytes() throws Exception {
        start(45, 0);
        ByteBuffer r = call(new RequestBuilder(READDIR, 30, 1).u64(0).u64(0).u32(4096).u32(0).u64(0).u32(0).u32(0)
                .build());
        // "." = 24 + 1 -> 32, ".." = 24 + 2 -> 32, "file" = 24 + 4 -> 32
        assertThat(r.getInt(0)).isEqualTo(16 + 96);
        int third = 16 + 64;
        assertThat(r.getLong(third)).as("ino").isEqualTo(7);
        assertThat(r.getLong(third + 8)).as("off").isEqualTo(3);
        assertThat(r.getInt(third + 16)).as("namelen").isEqualTo(4);
        assertThat(r.getInt(third + 20)).as("type").isEqualTo(FileMode.S_IFREG >>> 12);
        byte[] name = new byte[8];
        r.get(third + 24, name);
        assertThat(name).isEqualTo(new byte[] {'f', 'i', 'l', 'e', 0, 0, 0, 0});
        // a buffer too small for all: only whole records, continuing from the offset
        ByteBuffer partial = call(new RequestBuilder(READDIR, 32, 1).u64(0).u64(1).u32(40).u32(0).u64(0).u32(0).u32(0)
                .build());
        assertThat(partial.getInt(0)).isEqualTo(16 + 32);
        assertThat(partial.getInt(16 + 16)).as("namelen of ..").isEqualTo(2);
    }

    @Test
    void getxattrFollowsTheSizeConvention() throws Exception {
        start(45, 0);
        ByteBuffer size = call(new RequestBuilder(GETXATTR, 34, 7).u32(0).u32(0).name("user.a").build());
        assertThat(size.getInt(0)).isEqualTo(16 + 8);
        assertThat(size.getInt(16)).isEqualTo(5);
        assertThat(call(new RequestBuilder(GETXATTR, 36, 7).u32(3).u32(0).name("user.a").build()).getInt(4))
                .isEqualTo(-Errno.ERANGE);
        ByteBuffer value = call(new RequestBuilder(GETXATTR, 38, 7).u32(64).u32(0).name("user.a").build());
        assertThat(value.getInt(0)).isEqualTo(16 + 5);
    }

    @Test
    void wellKnownXattrNamesAndTheirLookalikesArriveIntact() throws Exception {
        start(45, 0);
        List<String> names = List.of("security.capability", "security.capabilitx", "security.cap",
                "system.posix_acl_access", "user.é");
        for (int i = 0; i < names.size(); i++) {
            call(new RequestBuilder(GETXATTR, 50 + 2L * i, 7).u32(64).u32(0).name(names.get(i)).build());
            assertThat(calls).contains("getxattr " + names.get(i));
        }
    }

    @Test
    void forgetsGetNoReply() throws Exception {
        start(45, 0);
        channel.send(new RequestBuilder(FORGET, 40, 7).u64(3).build());
        channel.send(new RequestBuilder(BATCH_FORGET, 42, 0).u32(2).u32(0).u64(8).u64(1).u64(9).u64(2).build());
        assertThat(call(new RequestBuilder(LOOKUP, 44, 1).name("file").build()).getLong(8))
                .as("the first reply is the lookup's").isEqualTo(44);
        // Workers run the forgets in parallel with the lookup: wait for them to be seen.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!calls.containsAll(List.of("forget 7 3", "forget 8 1", "forget 9 2")) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(calls).contains("forget 7 3", "forget 8 1", "forget 9 2");
    }

    @Test
    void anInterruptForNoKnownRequestIsAnsweredEagain() throws Exception {
        start(45, 0);
        ByteBuffer r = call(new RequestBuilder(INTERRUPT, 47, 0).u64(46).build());
        assertThat(r.limit()).isEqualTo(16);
        assertThat(r.getInt(4)).isEqualTo(-Errno.EAGAIN);
        assertThat(r.getLong(8)).isEqualTo(47);
    }
}
