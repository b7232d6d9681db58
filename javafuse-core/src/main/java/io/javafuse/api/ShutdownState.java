package io.javafuse.api;

/**
 * The life of a mount, one way only: RUNNING, then DRAINING (admitted work finishes, new work is
 * refused with ENOTCONN, cleanup still runs), UNMOUNTING (the mount is removed, the readers end,
 * the filesystem's destroy runs), CLOSED (no thread, descriptor or mount left).
 */
public enum ShutdownState {
    RUNNING, DRAINING, UNMOUNTING, CLOSED
}
