package io.javafuse.session;

import io.javafuse.abi.Structs.Dirent;
import io.javafuse.abi.Structs.DirentPlus;
import io.javafuse.api.DirectoryFiller;
import io.javafuse.api.DirectoryPlusFiller;
import io.javafuse.api.Entry;
import io.javafuse.api.FileMode;
import io.javafuse.api.Names;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.javafuse.abi.Structs.align;
import static io.javafuse.abi.Structs.u32;
import static io.javafuse.abi.Structs.u64;

/** Packs directory records into the reply, straight into the request's buffer, until it is full. */
final class DirectoryBuffer implements DirectoryFiller, DirectoryPlusFiller {
    private final MemorySegment reply;
    private final ReplyEncoder encoder;
    private long position;

    /** @param reply the region of the reply the records may fill (as long as the kernel asked for) */
    DirectoryBuffer(MemorySegment reply, ReplyEncoder encoder) {
        this.reply = reply;
        this.encoder = encoder;
    }

    long length() {
        return position;
    }

    @Override
    public boolean add(String name, long ino, int mode, long nextOffset) {
        byte[] bytes = Names.encode(name);
        long recordLength = align(Dirent.SIZE + bytes.length);
        if (position + recordLength > reply.byteSize()) {
            return false;
        }
        writeDirent(position, bytes, ino, mode, nextOffset, recordLength);
        position += recordLength;
        return true;
    }

    @Override
    public boolean add(MemorySegment name, long ino, int mode, long nextOffset) {
        int nameLength = (int) name.byteSize();
        long recordLength = align(Dirent.SIZE + nameLength);
        if (position + recordLength > reply.byteSize()) {
            return false;
        }
        writeHeader(position, nameLength, ino, mode, nextOffset);
        MemorySegment.copy(name, 0, reply, position + Dirent.NAME, nameLength);
        pad(position + Dirent.NAME + nameLength, position + recordLength);
        position += recordLength;
        return true;
    }

    @Override
    public boolean fits(String name) {
        return position + align(DirentPlus.SIZE + Names.encode(name).length) <= reply.byteSize();
    }

    @Override
    public boolean add(String name, Entry entry, long nextOffset) {
        byte[] bytes = Names.encode(name);
        long recordLength = align(DirentPlus.SIZE + bytes.length);
        if (position + recordLength > reply.byteSize()) {
            return false;
        }
        encoder.entry(reply, position + DirentPlus.ENTRY_OUT, entry);
        long ino = entry.attr() != null ? entry.attr().ino() : entry.nodeId();
        int mode = entry.attr() != null ? entry.attr().mode() : 0;
        writeDirent(position + DirentPlus.DIRENT, bytes, ino, mode, nextOffset, recordLength - DirentPlus.DIRENT);
        position += recordLength;
        return true;
    }

    private void writeDirent(long at, byte[] name, long ino, int mode, long nextOffset, long recordLength) {
        writeHeader(at, name.length, ino, mode, nextOffset);
        MemorySegment.copy(name, 0, reply, ValueLayout.JAVA_BYTE, at + Dirent.NAME, name.length);
        pad(at + Dirent.NAME + name.length, at + recordLength);
    }

    private void writeHeader(long at, int nameLength, long ino, int mode, long nextOffset) {
        u64(reply, at + Dirent.INO, ino);
        u64(reply, at + Dirent.OFF, nextOffset);
        u32(reply, at + Dirent.NAMELEN, nameLength);
        u32(reply, at + Dirent.TYPE, FileMode.type(mode) >>> 12);
    }

    /** Zeroes the few bytes up to the record's 8-byte boundary (no slice for so little). */
    private void pad(long from, long to) {
        for (long at = from; at < to; at++) {
            reply.set(ValueLayout.JAVA_BYTE, at, (byte) 0);
        }
    }
}
