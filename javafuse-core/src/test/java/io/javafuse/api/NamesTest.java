package io.javafuse.api;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class NamesTest {

    private static byte[] bytes(int... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return bytes;
    }

    @Test
    void validUtf8IsOrdinaryText() {
        for (String name : new String[] {"", "plain", "é e\u0301 😀 \n\\", "\uFFFD", "a\u0001b"}) {
            byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
            assertThat(Names.decode(utf8)).isEqualTo(name);
            assertThat(Names.encode(name)).isEqualTo(utf8);
            assertThat(Names.byteLength(name)).isEqualTo(utf8.length);
        }
    }

    @Test
    void bytesThatAreNotUtf8ComeBackUnchanged() {
        byte[] latin1 = "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1);
        String decoded = Names.decode(latin1);
        assertThat(decoded).isEqualTo("caf\uDCE9");
        assertThat(Names.encode(decoded)).isEqualTo(latin1);
        assertThat(Names.byteLength(decoded)).isEqualTo(4);
    }

    @Test
    void differentBytesNeverBecomeTheSameName() {
        // Each of these was U+FFFD (or "?") after a lossy decoding.
        byte[][] names = {bytes(0xff), bytes(0xfe), bytes(0xef, 0xbf, 0xbd), bytes('?'), bytes(0xed, 0xb2, 0x80),
                bytes(0xf0, 0x90, 0x80), bytes(0xc0, 0xaf), bytes(0xe2, 0x82, 'a')};
        Set<String> decoded = new HashSet<>();
        for (byte[] name : names) {
            assertThat(decoded.add(Names.decode(name))).isTrue();
            assertThat(Names.encode(Names.decode(name))).isEqualTo(name);
        }
    }

    @Test
    void anEscapeNextToASurrogatePairStaysAByte() {
        // U+10080 is the pair D800 DC80; the DC81 after it is an escaped 0x81.
        byte[] name = bytes(0xf0, 0x90, 0x82, 0x80, 0x81);
        String decoded = Names.decode(name);
        assertThat(decoded).isEqualTo("\uD800\uDC80\uDC81");
        assertThat(Names.encode(decoded)).isEqualTo(name);
    }

    @Test
    void randomBytesRoundTrip() {
        Random random = new Random(42);
        for (int i = 0; i < 10_000; i++) {
            byte[] name = new byte[random.nextInt(1, 40)];
            random.nextBytes(name);
            assertThat(Names.encode(Names.decode(name))).isEqualTo(name);
        }
    }
}
