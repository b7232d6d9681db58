package io.javafuse.api;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A live mount. Closing it unmounts the filesystem and waits for the session to end; an
 * unmount from outside ({@code umount}, {@code fusermount3 -u}) ends the session too.
 */
public interface Mount extends AutoCloseable {
    Path mountpoint();

    /** What the kernel and the engine agreed at INIT. */
    ConnectionInfo connection();

    /** Whether the session is still serving requests. */
    boolean isAlive();

    /** Waits until the session has ended, for example after an unmount from outside. */
    boolean awaitTermination(Duration timeout) throws InterruptedException;

    /** Unmounts (if still mounted), stops the readers and calls the filesystem's destroy once. */
    @Override
    void close() throws IOException;
}
