package io.javafuse.mount;

import io.javafuse.api.FuseException;
import io.javafuse.sys.Syscalls;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Descriptors held from the mount on and given back when the mount shuts down. A filesystem that
 * runs the process out of descriptors (a passthrough holds one per inode the kernel caches)
 * would otherwise leave nothing to shut down with: reading the mount table, writing fusectl's
 * abort, starting fusermount3, even the logger's first record open files.
 */
final class SpareDescriptors {
    private static final int COUNT = 16;

    private final AtomicReference<int[]> held;

    private SpareDescriptors(int[] fds) {
        this.held = new AtomicReference<>(fds);
    }

    /** As many as the process can spare now, up to {@value COUNT}. */
    static SpareDescriptors reserve() {
        int[] fds = new int[COUNT];
        int count = 0;
        try {
            while (count < COUNT) {
                fds[count] = Syscalls.open("/dev/null", Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
                count++;
            }
        } catch (FuseException e) {
            // Already short of descriptors: keep the ones there are.
        }
        return new SpareDescriptors(Arrays.copyOf(fds, count));
    }

    /** Closes them, once; later calls do nothing. */
    void release() {
        int[] fds = held.getAndSet(new int[0]);
        for (int fd : fds) {
            try {
                Syscalls.close(fd);
            } catch (FuseException e) {
                // /dev/null: nothing to lose.
            }
        }
    }
}
