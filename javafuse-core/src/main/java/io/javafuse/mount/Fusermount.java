package io.javafuse.mount;

import io.javafuse.api.Errno;
import io.javafuse.api.FuseException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The setuid helper of the fuse3 package, for mounts by users other than root. */
final class Fusermount {
    private static final List<String> PLACES = List.of("/usr/bin/fusermount3", "/bin/fusermount3",
            "/usr/local/bin/fusermount3", "/usr/sbin/fusermount3");

    private Fusermount() {}

    static String find() throws FuseException {
        for (String place : PLACES) {
            if (Files.isExecutable(Path.of(place))) {
                return place;
            }
        }
        throw new FuseException(Errno.ENOENT, "fusermount3 not found: install the fuse3 package (apt-get install fuse3)");
    }

    /** Runs {@code fusermount3 -u [-z] MOUNTPOINT}; returns its exit status. */
    static int unmount(Path mountpoint, boolean lazy) throws FuseException {
        List<String> command = lazy ? List.of(find(), "-u", "-z", "-q", "--", mountpoint.toString())
                : List.of(find(), "-u", "-q", "--", mountpoint.toString());
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new FuseException(Errno.ETIMEDOUT, "fusermount3 -u " + mountpoint + " did not finish");
            }
            return process.exitValue();
        } catch (IOException e) {
            throw new FuseException(Errno.EIO, "cannot run fusermount3: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FuseException(Errno.EINTR, "interrupted while unmounting " + mountpoint, e);
        }
    }
}
