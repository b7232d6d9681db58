package io.javafuse.api;

/**
 * How urgently a handle's queued work is served, relative to other handles. Order within a
 * handle never changes: a priority decides only which handle's work a free worker takes first.
 */
public enum WritePriority {
    /** FLUSH and FSYNC: they run as soon as the writes before them on their handle are done. */
    URGENT,
    /** Writes on handles opened O_SYNC or O_DSYNC: a process is waiting for each. */
    HIGH,
    NORMAL,
    /** Page writes from the kernel's writeback cache: background work. */
    LOW;

    /** The dispatcher level a request of this write priority is queued at. */
    public Priority dispatcherPriority() {
        return switch (this) {
            case URGENT -> Priority.HIGH;
            case HIGH -> Priority.NORMAL;
            case NORMAL, LOW -> Priority.LOW;
        };
    }
}
