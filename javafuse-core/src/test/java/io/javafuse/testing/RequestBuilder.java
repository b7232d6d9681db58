package io.javafuse.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Builds a request as the kernel would, field by field, in little-endian order, independently of
 * the engine's own layouts: a test that used the engine's offsets could not catch a wrong one.
 */
public final class RequestBuilder {
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private final int opcode;
    private final long unique;
    private final long nodeId;
    private int uid = 1000;
    private int gid = 1000;
    private int pid = 4242;

    public RequestBuilder(int opcode, long unique, long nodeId) {
        this.opcode = opcode;
        this.unique = unique;
        this.nodeId = nodeId;
    }

    public RequestBuilder caller(int uid, int gid, int pid) {
        this.uid = uid;
        this.gid = gid;
        this.pid = pid;
        return this;
    }

    public RequestBuilder u32(int value) {
        body.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
        return this;
    }

    public RequestBuilder u64(long value) {
        body.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
        return this;
    }

    public RequestBuilder bytes(byte[] value) {
        body.writeBytes(value);
        return this;
    }

    /** A NUL-terminated name, as the kernel sends names. */
    public RequestBuilder name(String value) {
        body.writeBytes(value.getBytes(StandardCharsets.UTF_8));
        body.write(0);
        return this;
    }

    public byte[] build() {
        byte[] args = body.toByteArray();
        ByteBuffer header = ByteBuffer.allocate(40 + args.length).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(40 + args.length).putInt(opcode).putLong(unique).putLong(nodeId)
                .putInt(uid).putInt(gid).putInt(pid).putShort((short) 0).putShort((short) 0).put(args);
        return header.array();
    }

    /** Reads a reply as the kernel would. */
    public static ByteBuffer reply(byte[] reply) {
        return ByteBuffer.wrap(reply).order(ByteOrder.LITTLE_ENDIAN);
    }
}
