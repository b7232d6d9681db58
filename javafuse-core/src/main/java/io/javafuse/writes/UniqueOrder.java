package io.javafuse.writes;

import java.util.Arrays;

/**
 * Entries in ascending order of their unique, each with an optional value, in one array.
 *
 * <p>A tree node and a boxed Long per entry was the write path's main allocation; here an entry
 * costs nothing once the array has grown to the handle's queue depth. The uniques of one handle
 * arrive nearly in order, so an entry is added at or near the end and removed at or near the
 * front: the live entries sit between {@code head} and {@code tail}, and an insert or removal
 * shifts whichever side of it is shorter, which is O(1) in that common case.
 *
 * <p>Not thread-safe: the handle queue that owns it guards it with its lock.
 */
final class UniqueOrder<V> {
    private static final int INITIAL_CAPACITY = 4;
    private static final long[] NO_UNIQUES = {};
    private static final Object[] NO_VALUES = {};

    private long[] uniques = NO_UNIQUES;
    /** Parallel to {@link #uniques}; empty for an order that holds no values (a set of uniques). */
    private Object[] values = NO_VALUES;
    private final boolean withValues;
    private int head;
    private int tail;

    /** @param withValues whether entries carry a value ({@link #add(long, Object)}) or are bare uniques */
    UniqueOrder(boolean withValues) {
        this.withValues = withValues;
    }

    boolean isEmpty() {
        return head == tail;
    }

    int size() {
        return tail - head;
    }

    long first() {
        return uniques[head];
    }

    long last() {
        return uniques[tail - 1];
    }

    @SuppressWarnings("unchecked")
    V firstValue() {
        return isEmpty() ? null : (V) values[head];
    }

    /** The value of the {@code index}th entry in order, 0 being the first. */
    @SuppressWarnings("unchecked")
    V valueAt(int index) {
        return (V) values[head + index];
    }

    boolean contains(long unique) {
        return Arrays.binarySearch(uniques, head, tail, unique) >= 0;
    }

    /** Adds a bare unique unless it is there already (set semantics); returns whether it was added. */
    boolean addIfAbsent(long unique) {
        int at = Arrays.binarySearch(uniques, head, tail, unique);
        if (at >= 0) {
            return false;
        }
        insert(-at - 1, unique, null);
        return true;
    }

    /** Adds an entry after any with the same unique. */
    void add(long unique, V value) {
        // Nearly in order: most entries go at the end, with no search.
        int at = isEmpty() || last() <= unique ? tail : upperBound(unique);
        insert(at, unique, value);
    }

    /** Removes one entry with this unique; returns whether there was one. */
    boolean remove(long unique) {
        int at = Arrays.binarySearch(uniques, head, tail, unique);
        if (at < 0) {
            return false;
        }
        removeAt(at);
        return true;
    }

    /** Removes the first entry and returns its value. */
    V pollFirst() {
        V value = firstValue();
        removeAt(head);
        return value;
    }

    /** The position of the first entry with a unique greater than {@code unique}. */
    private int upperBound(long unique) {
        int low = head;
        int high = tail;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (uniques[middle] <= unique) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return low;
    }

    private void insert(int at, long unique, V value) {
        if (head > 0 && at - head < tail - at) {
            // Nearer the front: move the entries before it one place down.
            shift(head, head - 1, at - head);
            head--;
            at--;
        } else {
            if (tail == uniques.length) {
                at = makeRoomAtTail(at);
            }
            shift(at, at + 1, tail - at);
            tail++;
        }
        uniques[at] = unique;
        if (withValues) {
            values[at] = value;
        }
    }

    private void removeAt(int at) {
        if (at - head < tail - 1 - at) {
            shift(head, head + 1, at - head);
            clearValue(head);
            head++;
        } else {
            shift(at + 1, at, tail - 1 - at);
            tail--;
            clearValue(tail);
        }
        if (head == tail) {
            head = 0;
            tail = 0;
        }
    }

    /** The array is full up to its end: moves the entries to its start, growing it if more than half full; returns where {@code at} is now. */
    private int makeRoomAtTail(int at) {
        int size = tail - head;
        int capacity = uniques.length == 0 ? INITIAL_CAPACITY
                : size > uniques.length / 2 ? uniques.length * 2 : uniques.length;
        long[] nextUniques = capacity == uniques.length ? uniques : new long[capacity];
        System.arraycopy(uniques, head, nextUniques, 0, size);
        if (withValues) {
            Object[] nextValues = capacity == values.length ? values : new Object[capacity];
            System.arraycopy(values, head, nextValues, 0, size);
            if (nextValues == values) {
                Arrays.fill(values, size, tail, null);
            }
            values = nextValues;
        }
        uniques = nextUniques;
        at -= head;
        head = 0;
        tail = size;
        return at;
    }

    private void shift(int from, int to, int length) {
        System.arraycopy(uniques, from, uniques, to, length);
        if (withValues) {
            System.arraycopy(values, from, values, to, length);
        }
    }

    private void clearValue(int at) {
        if (withValues) {
            values[at] = null;
        }
    }
}
