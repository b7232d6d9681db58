package io.javafuse.session;

import io.javafuse.api.DirectoryFiller;
import io.javafuse.api.FileMode;
import io.javafuse.api.MountOptions;
import io.javafuse.api.Names;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Directory entries given by name bytes ({@link DirectoryFiller#add(MemorySegment, long, int, long)},
 * as the passthrough copies them from getdents) are the same on the wire as entries given by
 * {@code String}, and a filler that only takes strings gets the name {@link Names} decodes.
 */
class DirectoryBufferTest {
    /** ASCII, UTF-8, and bytes that are not UTF-8 (the API carries them escaped); lengths around the 8-byte padding. */
    private static final List<byte[]> NAMES = List.of("a".getBytes(), "seven77".getBytes(), "eight888".getBytes(),
            "ünïcødé".getBytes(java.nio.charset.StandardCharsets.UTF_8), new byte[] {'x', (byte) 0xff, (byte) 0xc3, 'y'});

    @Test
    void entriesFromNameBytesAreTheSameBytesAsEntriesFromStrings() {
        try (Arena arena = Arena.ofConfined()) {
            ReplyEncoder encoder = new ReplyEncoder(MountOptions.defaults());
            MemorySegment fromStrings = arena.allocate(4096).fill((byte) 0x55);
            MemorySegment fromBytes = arena.allocate(4096).fill((byte) 0x55);
            DirectoryBuffer strings = new DirectoryBuffer(fromStrings, encoder);
            DirectoryBuffer bytes = new DirectoryBuffer(fromBytes, encoder);
            long offset = 1;
            for (byte[] name : NAMES) {
                assertThat(strings.add(Names.decode(name), 100 + offset, FileMode.S_IFREG, offset)).isTrue();
                assertThat(bytes.add(MemorySegment.ofArray(name), 100 + offset, FileMode.S_IFREG, offset)).isTrue();
                offset++;
            }
            assertThat(bytes.length()).isEqualTo(strings.length());
            assertThat(fromBytes.asSlice(0, bytes.length()).toArray(ValueLayout.JAVA_BYTE))
                    .isEqualTo(fromStrings.asSlice(0, strings.length()).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void aFullReplyRefusesANameGivenAsBytes() {
        try (Arena arena = Arena.ofConfined()) {
            DirectoryBuffer full = new DirectoryBuffer(arena.allocate(32), new ReplyEncoder(MountOptions.defaults()));
            assertThat(full.add(MemorySegment.ofArray("a-name-too-long-for-32-bytes".getBytes()), 1, 0, 1)).isFalse();
            assertThat(full.length()).isZero();
        }
    }

    @Test
    void aFillerThatTakesOnlyStringsGetsTheDecodedName() {
        List<String> seen = new ArrayList<>();
        DirectoryFiller strings = (name, ino, mode, nextOffset) -> seen.add(name);
        for (byte[] name : NAMES) {
            strings.add(MemorySegment.ofArray(name), 1, 0, 1);
        }
        assertThat(seen).containsExactlyElementsOf(NAMES.stream().map(Names::decode).toList());
    }
}
