package io.javafuse.api;

import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.ReadOnlyFileSystemException;
import java.util.Map;

/**
 * Linux errno values, and the one mapping between Java exceptions and the errno the kernel sees.
 *
 * <p>Errors are errno values at the kernel edge and exceptions inside Java: handlers throw
 * {@link FuseException} (or a standard {@code java.nio.file} exception), the engine answers the
 * kernel with {@link #of(Throwable)}.
 */
public final class Errno {
    private Errno() {}

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int E2BIG = 7;
    public static final int EBADF = 9;
    public static final int ECHILD = 10;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EXDEV = 18;
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOTTY = 25;
    public static final int ETXTBSY = 26;
    public static final int EFBIG = 27;
    public static final int ENOSPC = 28;
    public static final int ESPIPE = 29;
    public static final int EROFS = 30;
    public static final int EMLINK = 31;
    public static final int EPIPE = 32;
    public static final int ERANGE = 34;
    public static final int EDEADLK = 35;
    public static final int ENAMETOOLONG = 36;
    public static final int ENOLCK = 37;
    public static final int ENOSYS = 38;
    public static final int ENOTEMPTY = 39;
    public static final int ELOOP = 40;
    public static final int ENODATA = 61;
    public static final int EPROTO = 71;
    public static final int EOVERFLOW = 75;
    public static final int EBADFD = 77;
    public static final int ENOTSOCK = 88;
    public static final int EOPNOTSUPP = 95;
    public static final int EADDRINUSE = 98;
    public static final int ECONNABORTED = 103;
    public static final int ENOTCONN = 107;
    public static final int ETIMEDOUT = 110;
    public static final int ESTALE = 116;
    public static final int EDQUOT = 122;
    public static final int ECANCELED = 125;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(EPERM, "EPERM"), Map.entry(ENOENT, "ENOENT"), Map.entry(ESRCH, "ESRCH"),
            Map.entry(EINTR, "EINTR"), Map.entry(EIO, "EIO"), Map.entry(ENXIO, "ENXIO"),
            Map.entry(E2BIG, "E2BIG"), Map.entry(EBADF, "EBADF"), Map.entry(ECHILD, "ECHILD"),
            Map.entry(EAGAIN, "EAGAIN"), Map.entry(ENOMEM, "ENOMEM"), Map.entry(EACCES, "EACCES"),
            Map.entry(EFAULT, "EFAULT"), Map.entry(EBUSY, "EBUSY"), Map.entry(EEXIST, "EEXIST"),
            Map.entry(EXDEV, "EXDEV"), Map.entry(ENODEV, "ENODEV"), Map.entry(ENOTDIR, "ENOTDIR"),
            Map.entry(EISDIR, "EISDIR"), Map.entry(EINVAL, "EINVAL"), Map.entry(ENFILE, "ENFILE"),
            Map.entry(EMFILE, "EMFILE"), Map.entry(ENOTTY, "ENOTTY"), Map.entry(ETXTBSY, "ETXTBSY"),
            Map.entry(EFBIG, "EFBIG"), Map.entry(ENOSPC, "ENOSPC"), Map.entry(ESPIPE, "ESPIPE"),
            Map.entry(EROFS, "EROFS"), Map.entry(EMLINK, "EMLINK"), Map.entry(EPIPE, "EPIPE"),
            Map.entry(ERANGE, "ERANGE"), Map.entry(EDEADLK, "EDEADLK"),
            Map.entry(ENAMETOOLONG, "ENAMETOOLONG"), Map.entry(ENOLCK, "ENOLCK"),
            Map.entry(ENOSYS, "ENOSYS"), Map.entry(ENOTEMPTY, "ENOTEMPTY"), Map.entry(ELOOP, "ELOOP"),
            Map.entry(ENODATA, "ENODATA"), Map.entry(EPROTO, "EPROTO"), Map.entry(EOVERFLOW, "EOVERFLOW"), Map.entry(EBADFD, "EBADFD"),
            Map.entry(ENOTSOCK, "ENOTSOCK"), Map.entry(EOPNOTSUPP, "EOPNOTSUPP"),
            Map.entry(EADDRINUSE, "EADDRINUSE"), Map.entry(ECONNABORTED, "ECONNABORTED"),
            Map.entry(ENOTCONN, "ENOTCONN"), Map.entry(ETIMEDOUT, "ETIMEDOUT"), Map.entry(ESTALE, "ESTALE"),
            Map.entry(EDQUOT, "EDQUOT"), Map.entry(ECANCELED, "ECANCELED"));

    /** The symbolic name of an errno value, such as {@code "ENOENT"}, or {@code "errno 123"}. */
    public static String name(int errno) {
        String name = NAMES.get(errno);
        return name != null ? name : "errno " + errno;
    }

    /**
     * The errno the kernel is answered with for a handler's exception: a {@link FuseException}
     * keeps its own; the standard {@code java.nio.file} exceptions map to their POSIX meaning;
     * anything else is {@link #EIO}.
     */
    public static int of(Throwable failure) {
        return switch (failure) {
            case FuseException e -> e.errno();
            case NoSuchFileException _ -> ENOENT;
            case FileAlreadyExistsException _ -> EEXIST;
            case DirectoryNotEmptyException _ -> ENOTEMPTY;
            case NotDirectoryException _ -> ENOTDIR;
            case AccessDeniedException _ -> EACCES;
            case NotLinkException _ -> EINVAL;
            case FileSystemLoopException _ -> ELOOP;
            case ReadOnlyFileSystemException _ -> EROFS;
            case UnsupportedOperationException _ -> EOPNOTSUPP;
            case InterruptedException _ -> EINTR;
            default -> EIO;
        };
    }

    /** Whether {@link #of(Throwable)} maps this exception by design rather than as an unexpected failure. */
    public static boolean isExpected(Throwable failure) {
        return of(failure) != EIO || failure instanceof FuseException;
    }
}
