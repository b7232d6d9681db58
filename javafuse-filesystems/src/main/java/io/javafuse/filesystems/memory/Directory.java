package io.javafuse.filesystems.memory;

import io.javafuse.api.FileMode;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * A directory: its entries by name, and by cookie for readdir.
 *
 * <p>Every entry gets a cookie from a per-directory counter when its name is inserted, and keeps
 * it until the name is removed. readdir continues after the cookie the kernel hands back, so a
 * listing neither repeats nor skips the entries that stayed while others came and went.
 *
 * <p>The entries and {@link #parent} are guarded by the filesystem's namespace lock.
 */
final class Directory extends Node {
    /** readdir offsets: "." continues at 1, ".." at 2, names from 3 on. */
    static final long DOT_COOKIE = 1;
    static final long DOT_DOT_COOKIE = 2;

    /** tmpfs reports 20 bytes per entry, and two for "." and "..". */
    private static final long BOGO_DIRENT_SIZE = 20;

    record DirEntry(String name, long cookie, Node node) {}

    private final Map<String, DirEntry> byName = new HashMap<>();
    private final NavigableMap<Long, DirEntry> byCookie = new TreeMap<>();
    private long nextCookie = DOT_DOT_COOKIE + 1;
    /** Written under the namespace write lock; volatile so that getattr can read it without that lock. */
    private volatile int entryCount;
    /** The directory ".." names; the root is its own parent. */
    Directory parent;

    Directory(long id, int permissions, int uid, int gid, Instant now, Directory parent) {
        super(id, FileMode.S_IFDIR, permissions, uid, gid, 2, now);
        this.parent = parent != null ? parent : this;
    }

    @Override
    long size() {
        return (2 + entryCount) * BOGO_DIRENT_SIZE;
    }

    DirEntry get(String name) {
        return byName.get(name);
    }

    boolean isEmpty() {
        return byName.isEmpty();
    }

    /** Binds a name to a node; a name that already exists keeps its place (its cookie) in the listing. */
    void put(String name, Node node) {
        DirEntry existing = byName.get(name);
        DirEntry entry = new DirEntry(name, existing != null ? existing.cookie() : nextCookie++, node);
        byName.put(name, entry);
        byCookie.put(entry.cookie(), entry);
        entryCount = byName.size();
    }

    void remove(String name) {
        DirEntry removed = byName.remove(name);
        if (removed != null) {
            byCookie.remove(removed.cookie());
            entryCount = byName.size();
        }
    }

    /** The entries inserted after the one with this cookie, in cookie order. */
    Collection<DirEntry> entriesAfter(long cookie) {
        return byCookie.tailMap(cookie, false).values();
    }

    /** Whether this directory is {@code ancestor} or lies below it. */
    boolean isWithin(Node ancestor) {
        for (Directory d = this; ; d = d.parent) {
            if (d == ancestor) {
                return true;
            }
            if (d.parent == d) {
                return false;
            }
        }
    }
}
