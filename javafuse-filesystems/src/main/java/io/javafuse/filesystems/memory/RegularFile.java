package io.javafuse.filesystems.memory;

import io.javafuse.api.Errno;
import io.javafuse.api.FileMode;
import io.javafuse.api.FuseException;

import java.lang.foreign.MemorySegment;
import java.time.Instant;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * A regular file: its contents as a sparse map of 4 KiB pages, the page size of tmpfs, so that
 * st_blocks, SEEK_DATA/SEEK_HOLE and hole punching come out as they do there. A missing page is
 * a hole and reads as zeros. Every byte at or past {@link #size} is zero, so growing the file
 * needs no clearing. All methods run under {@link #lock}.
 *
 * <p>A page that fallocate reserved is counted in st_blocks but, as on tmpfs, stays a hole for
 * SEEK_DATA and SEEK_HOLE until something is written to it (or, a quirk of tmpfs that this
 * copies, fallocate covers it a second time).
 */
final class RegularFile extends Node {
    static final int PAGE_SIZE = PageStore.PAGE_SIZE;
    private static final int BLOCKS_PER_PAGE = PAGE_SIZE / 512;

    /** Page index (offset / PAGE_SIZE) to its bytes. */
    private final NavigableMap<Long, MemorySegment> pages = new TreeMap<>();
    /** Indexes of the pages fallocate reserved that nothing has written yet. */
    private final Set<Long> unwritten = new HashSet<>();
    private long size;
    /** An O_TMPFILE opened without O_EXCL may be given a name by link(2) although nlink is 0. */
    boolean linkable;

    RegularFile(long id, int permissions, int uid, int gid, int nlink, Instant now) {
        super(id, FileMode.S_IFREG, permissions, uid, gid, nlink, now);
    }

    @Override
    long size() {
        return size;
    }

    @Override
    long blocks() {
        return (long) pages.size() * BLOCKS_PER_PAGE;
    }

    /** Reads up to the destination's length; fewer bytes only at the end of the file. */
    int read(long offset, MemorySegment destination) {
        if (offset >= size) {
            return 0;
        }
        long length = Math.min(destination.byteSize(), size - offset);
        for (long done = 0; done < length; ) {
            long position = offset + done;
            int inPage = (int) (position % PAGE_SIZE);
            int chunk = (int) Math.min(PAGE_SIZE - inPage, length - done);
            MemorySegment page = pages.get(position / PAGE_SIZE);
            if (page == null) {
                destination.asSlice(done, chunk).fill((byte) 0);
            } else {
                MemorySegment.copy(page, inPage, destination, done, chunk);
            }
            done += chunk;
        }
        return (int) length;
    }

    /**
     * Writes as much of {@code data} as there is room for, like Linux does when the disk fills up
     * mid-write; ENOSPC only when nothing fit. The caller has checked that the end does not overflow.
     */
    int write(long offset, MemorySegment data, PageStore store) throws FuseException {
        long length = data.byteSize();
        long done = 0;
        while (done < length) {
            long position = offset + done;
            MemorySegment page = pageAt(position / PAGE_SIZE, store);
            if (page == null) {
                break;
            }
            int inPage = (int) (position % PAGE_SIZE);
            int chunk = (int) Math.min(PAGE_SIZE - inPage, length - done);
            MemorySegment.copy(data, done, page, inPage, chunk);
            done += chunk;
        }
        if (done == 0 && length > 0) {
            throw new FuseException(Errno.ENOSPC);
        }
        size = Math.max(size, offset + done);
        return (int) done;
    }

    /** The page at this index for writing, allocated if missing; null when the filesystem is full. */
    private MemorySegment pageAt(long index, PageStore store) {
        MemorySegment page = pages.get(index);
        if (page != null) {
            unwritten.remove(index);
        } else if (store.tryReserve(PAGE_SIZE)) {
            page = store.page();
            pages.put(index, page);
        }
        return page;
    }

    /**
     * Sets the size. Like tmpfs, a truncation that does not grow the file also drops pages that
     * fallocate(KEEP_SIZE) reserved past the end.
     */
    void truncate(long newSize, PageStore store) {
        if (newSize <= size) {
            dropPages(pages.tailMap(Math.ceilDiv(newSize, PAGE_SIZE), true), store);
            int tail = (int) (newSize % PAGE_SIZE);
            MemorySegment last = tail == 0 ? null : pages.get(newSize / PAGE_SIZE);
            if (last != null) {
                last.asSlice(tail).fill((byte) 0);
            }
        }
        size = newSize;
    }

    /** Backs [offset, end) with pages, all or nothing (fallocate's promise that later writes find room). */
    void allocate(long offset, long end, PageStore store) throws FuseException {
        long first = offset / PAGE_SIZE;
        long last = Math.ceilDiv(end, PAGE_SIZE);
        long missing = last - first - pages.subMap(first, true, last, false).size();
        long bytes = missing > Long.MAX_VALUE / PAGE_SIZE ? Long.MAX_VALUE : missing * PAGE_SIZE;
        if (!store.tryReserve(bytes)) {
            throw new FuseException(Errno.ENOSPC);
        }
        for (long index = first; index < last; index++) {
            if (pages.containsKey(index)) {
                unwritten.remove(index);
            } else {
                pages.put(index, store.page());
                unwritten.add(index);
            }
        }
    }

    /** Zeroes [offset, end); with {@code punch}, pages the range covers entirely are freed (become holes). */
    void zero(long offset, long end, boolean punch, PageStore store) {
        Iterator<Map.Entry<Long, MemorySegment>> it =
                pages.subMap(offset / PAGE_SIZE, true, Math.ceilDiv(end, PAGE_SIZE), false).entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, MemorySegment> page = it.next();
            long pageStart = page.getKey() * PAGE_SIZE;
            int from = (int) Math.max(0, offset - pageStart);
            int to = (int) Math.min(PAGE_SIZE, end - pageStart);
            if (punch && from == 0 && to == PAGE_SIZE) {
                it.remove();
                unwritten.remove(page.getKey());
                store.recycle(page.getValue());
                store.release(PAGE_SIZE);
            } else {
                page.getValue().asSlice(from, to - from).fill((byte) 0);
            }
        }
    }

    /** SEEK_DATA at page granularity: the first offset at or after {@code offset} in a written page; -1 if none before the end. */
    long seekData(long offset) {
        for (long index : pages.tailMap(offset / PAGE_SIZE, true).keySet()) {
            if (!unwritten.contains(index)) {
                long data = Math.max(offset, index * PAGE_SIZE);
                return data < size ? data : -1;
            }
        }
        return -1;
    }

    /** SEEK_HOLE: the first offset at or after {@code offset} outside any written page; the end of the file counts as a hole. */
    long seekHole(long offset) {
        long index = offset / PAGE_SIZE;
        for (long present : pages.tailMap(index, true).keySet()) {
            if (present != index || unwritten.contains(present)) {
                break;
            }
            index++;
        }
        long hole = index > Long.MAX_VALUE / PAGE_SIZE ? Long.MAX_VALUE : index * PAGE_SIZE;
        return Math.min(Math.max(offset, hole), size);
    }

    /** Gives back all pages, once the file is gone. */
    void discard(PageStore store) {
        dropPages(pages, store);
    }

    private void dropPages(Map<Long, MemorySegment> dropped, PageStore store) {
        dropped.values().forEach(store::recycle);
        store.release((long) dropped.size() * PAGE_SIZE);
        unwritten.removeAll(dropped.keySet());
        dropped.clear();
    }
}
