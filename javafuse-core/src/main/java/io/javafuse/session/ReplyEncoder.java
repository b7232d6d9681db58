package io.javafuse.session;

import io.javafuse.abi.Structs;
import io.javafuse.abi.Structs.AttrOut;
import io.javafuse.abi.Structs.EntryOut;
import io.javafuse.abi.Structs.SxTime;
import io.javafuse.api.Attr;
import io.javafuse.api.Entry;
import io.javafuse.api.MountOptions;
import io.javafuse.api.Statx;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.time.Instant;

import static io.javafuse.abi.Structs.u32;
import static io.javafuse.abi.Structs.u64;

/** Writes the API's value records into reply structs, filling in the mount's defaults. */
final class ReplyEncoder {
    private final int defaultBlksize;
    private final Duration entryTimeout;
    private final Duration attrTimeout;

    ReplyEncoder(MountOptions options) {
        this.defaultBlksize = options.blksize();
        this.entryTimeout = options.entryTimeout();
        this.attrTimeout = options.attrTimeout();
    }

    Duration attrTimeout() {
        return attrTimeout;
    }

    void attr(MemorySegment s, long at, Attr a) {
        u64(s, at + Structs.Attr.INO, a.ino());
        u64(s, at + Structs.Attr.SIZE_, a.size());
        u64(s, at + Structs.Attr.BLOCKS, a.blocks());
        u64(s, at + Structs.Attr.ATIME, a.atime().getEpochSecond());
        u64(s, at + Structs.Attr.MTIME, a.mtime().getEpochSecond());
        u64(s, at + Structs.Attr.CTIME, a.ctime().getEpochSecond());
        u32(s, at + Structs.Attr.ATIMENSEC, a.atime().getNano());
        u32(s, at + Structs.Attr.MTIMENSEC, a.mtime().getNano());
        u32(s, at + Structs.Attr.CTIMENSEC, a.ctime().getNano());
        u32(s, at + Structs.Attr.MODE, a.mode());
        u32(s, at + Structs.Attr.NLINK, a.nlink());
        u32(s, at + Structs.Attr.UID, a.uid());
        u32(s, at + Structs.Attr.GID, a.gid());
        u32(s, at + Structs.Attr.RDEV, a.rdev());
        u32(s, at + Structs.Attr.BLKSIZE, a.blksize() != 0 ? a.blksize() : defaultBlksize);
        u32(s, at + Structs.Attr.FLAGS, 0);
    }

    void entry(MemorySegment s, long at, Entry e) {
        Duration entryValid = e.entryTimeout() != null ? e.entryTimeout() : entryTimeout;
        Duration attrValid = e.attrTimeout() != null ? e.attrTimeout() : attrTimeout;
        u64(s, at + EntryOut.NODEID, e.nodeId());
        u64(s, at + EntryOut.GENERATION, e.generation());
        u64(s, at + EntryOut.ENTRY_VALID, entryValid.getSeconds());
        u64(s, at + EntryOut.ATTR_VALID, attrValid.getSeconds());
        u32(s, at + EntryOut.ENTRY_VALID_NSEC, entryValid.getNano());
        u32(s, at + EntryOut.ATTR_VALID_NSEC, attrValid.getNano());
        if (e.attr() != null) {
            attr(s, at + EntryOut.ATTR, e.attr());
        } else {
            s.asSlice(at + EntryOut.ATTR, Structs.Attr.SIZE).fill((byte) 0);
        }
    }

    void attrOut(MemorySegment s, long at, Attr a) {
        u64(s, at + AttrOut.ATTR_VALID, attrTimeout.getSeconds());
        u32(s, at + AttrOut.ATTR_VALID_NSEC, attrTimeout.getNano());
        u32(s, at + AttrOut.ATTR_VALID_NSEC + 4, 0);
        attr(s, at + AttrOut.ATTR, a);
    }

    void statxOut(MemorySegment s, long at, Statx x) {
        s.asSlice(at, Structs.StatxOut.SIZE).fill((byte) 0);
        u64(s, at + Structs.StatxOut.ATTR_VALID, attrTimeout.getSeconds());
        u32(s, at + Structs.StatxOut.ATTR_VALID_NSEC, attrTimeout.getNano());
        long st = at + Structs.StatxOut.STAT;
        Attr a = x.attr();
        int statxBasicStats = 0x7ff;
        int statxBtime = 0x800;
        u32(s, st + Structs.Statx.MASK, statxBasicStats | (x.btime() != null ? statxBtime : 0));
        u32(s, st + Structs.Statx.BLKSIZE, a.blksize() != 0 ? a.blksize() : defaultBlksize);
        u32(s, st + Structs.Statx.NLINK, a.nlink());
        u32(s, st + Structs.Statx.UID, a.uid());
        u32(s, st + Structs.Statx.GID, a.gid());
        Structs.u16(s, st + Structs.Statx.MODE, a.mode());
        u64(s, st + Structs.Statx.INO, a.ino());
        u64(s, st + Structs.Statx.SIZE_, a.size());
        u64(s, st + Structs.Statx.BLOCKS, a.blocks());
        time(s, st + Structs.Statx.ATIME, a.atime());
        time(s, st + Structs.Statx.MTIME, a.mtime());
        time(s, st + Structs.Statx.CTIME, a.ctime());
        if (x.btime() != null) {
            time(s, st + Structs.Statx.BTIME, x.btime());
        }
        // new_encode_dev: major in bits 8-19, minor in bits 0-7 and 20-31
        u32(s, st + Structs.Statx.RDEV_MAJOR, (a.rdev() >>> 8) & 0xfff);
        u32(s, st + Structs.Statx.RDEV_MINOR, (a.rdev() & 0xff) | ((a.rdev() >>> 12) & 0xfff00));
    }

    private static void time(MemorySegment s, long at, Instant t) {
        u64(s, at + SxTime.TV_SEC, t.getEpochSecond());
        u32(s, at + SxTime.TV_NSEC, t.getNano());
    }
}
