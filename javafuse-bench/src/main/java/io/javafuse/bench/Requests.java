package io.javafuse.bench;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Requests as the kernel sends them (little-endian, a 40-byte fuse_in_header then the
 * arguments), written out field by field. A copy of the core tests' RequestBuilder, so that the
 * benchmarks jar does not carry the test support (and JUnit) along.
 */
final class Requests {
    static final int LOOKUP = 1;
    static final int READ = 15;
    static final int INIT = 26;

    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private final int opcode;
    private final long nodeId;

    Requests(int opcode, long nodeId) {
        this.opcode = opcode;
        this.nodeId = nodeId;
    }

    Requests u32(int value) {
        body.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
        return this;
    }

    Requests u64(long value) {
        body.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
        return this;
    }

    Requests zeros(int count) {
        body.writeBytes(new byte[count]);
        return this;
    }

    Requests name(String value) {
        body.writeBytes(value.getBytes(StandardCharsets.UTF_8));
        body.write(0);
        return this;
    }

    /** The request with unique 0; the channel writes each copy's own unique into it. */
    byte[] build() {
        byte[] args = body.toByteArray();
        ByteBuffer header = ByteBuffer.allocate(40 + args.length).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(40 + args.length).putInt(opcode).putLong(0).putLong(nodeId)
                .putInt(0).putInt(0).putInt(4242).putShort((short) 0).putShort((short) 0).put(args);
        return header.array();
    }

    /** INIT from a 7.41 kernel offering the flags a current kernel offers. */
    static byte[] init() {
        long flags = (1L << 0) | (1L << 5) | (1L << 22) | (1L << 18) | (1L << 3) | (1L << 30) | (1L << 31);
        return new Requests(INIT, 0).u32(7).u32(41).u32(131072).u32((int) flags).u32((int) (flags >>> 32))
                .zeros(44).build();
    }

    static byte[] lookup(long parent, String name) {
        return new Requests(LOOKUP, parent).name(name).build();
    }

    /** fuse_read_in: fh, offset, size, read_flags, lock_owner, flags, padding. */
    static byte[] read(long nodeId, long fh, long offset, int size) {
        return new Requests(READ, nodeId).u64(fh).u64(offset).u32(size).u32(0).u64(0).u32(0).u32(0).build();
    }
}
