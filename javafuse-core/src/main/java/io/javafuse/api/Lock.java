package io.javafuse.api;

/**
 * A POSIX record lock ({@code struct flock}); {@code end} is inclusive, {@code Long.MAX_VALUE} means to the end.
 *
 * @param type F_RDLCK (0), F_WRLCK (1) or F_UNLCK (2)
 */
public record Lock(int type, long start, long end, int pid) {
    public static final int F_RDLCK = 0;
    public static final int F_WRLCK = 1;
    public static final int F_UNLCK = 2;
}
