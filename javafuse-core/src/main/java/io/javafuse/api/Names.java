package io.javafuse.api;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * How names travel between the kernel's bytes and the API's strings, without loss.
 *
 * <p>On Linux a file name (and a symlink target, an xattr name) is any sequence of bytes; most
 * are UTF-8, but not all: archives and old systems bring Latin-1 names, for example. Valid UTF-8
 * decodes as usual. Each byte that is not part of valid UTF-8 becomes one character in
 * U+DC80..U+DCFF, a lone low surrogate that valid UTF-8 never yields (the "surrogateescape" of
 * Python and PEP 383), and {@link #encode} turns each such character back into its byte. So two
 * different names never become the same string, and every name comes back byte for byte.
 */
public final class Names {
    private static final char ESCAPE_BASE = 0xDC00;
    private static final char ESCAPE_FIRST = 0xDC80;
    private static final char ESCAPE_LAST = 0xDCFF;

    private Names() {}

    /** The string for these bytes: UTF-8, with the bytes that are not valid UTF-8 escaped. */
    public static String decode(byte[] bytes) {
        if (isAscii(bytes)) {
            // Most names: one copy into a compact string, no decoder.
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        // Never more characters than bytes: UTF-8 needs 4 bytes for a surrogate pair, an escape takes one.
        CharBuffer out = CharBuffer.allocate(bytes.length);
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (result.isUnderflow()) {
                decoder.flush(out);
                return out.flip().toString();
            }
            for (int i = 0; i < result.length(); i++) {
                int b = in.get() & 0xff;
                out.put(b < 0x80 ? (char) b : (char) (ESCAPE_BASE | b));
            }
        }
    }

    /** The bytes for this string: UTF-8, with each escaped byte restored (the inverse of {@link #decode}). */
    public static byte[] encode(String name) {
        if (!hasSurrogate(name)) {
            return name.getBytes(StandardCharsets.UTF_8);
        }
        ByteBuffer out = ByteBuffer.allocate(name.length() * 3);
        int start = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < name.length()
                    && Character.isLowSurrogate(name.charAt(i + 1));
            if (pair) {
                i++;
            } else if (c >= ESCAPE_FIRST && c <= ESCAPE_LAST) {
                out.put(name.substring(start, i).getBytes(StandardCharsets.UTF_8));
                out.put((byte) c);
                start = i + 1;
            }
        }
        out.put(name.substring(start).getBytes(StandardCharsets.UTF_8));
        byte[] bytes = new byte[out.position()];
        out.flip().get(bytes);
        return bytes;
    }

    private static boolean isAscii(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasSurrogate(String name) {
        for (int i = 0; i < name.length(); i++) {
            if (Character.isSurrogate(name.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /** How many bytes the kernel sees in this name: the length that NAME_MAX and PATH_MAX limit. */
    public static int byteLength(String name) {
        return encode(name).length;
    }
}
