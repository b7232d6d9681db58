package io.javafuse.filesystems.conformance;

import io.javafuse.api.Mount;
import io.javafuse.filesystems.passthrough.PassthroughFileSystem;
import org.junit.jupiter.api.Disabled;

import java.io.IOException;

/**
 * The randomized differential fuzzer against the passthrough filesystem mirroring a source
 * directory on tmpfs, compared with another tmpfs directory.
 */
@Disabled("hangs: the fuzzer's mmapwrite touches the mapped file from Java code in the JVM that serves the mount; "
        + "a page fault waiting for a FUSE_READ blocks the safepoint, and the handlers that would answer it wait for "
        + "the safepoint. The copy into the mapping must go through a native downcall (safepoint-safe) first.")
class PassthroughFuzzTest extends FuzzTestBase {
    @Override
    Mount mount() throws IOException {
        return mounts.mount(new PassthroughFileSystem(shmDirectory("javafuse-fuzz-source-")),
                Differential.OPTIONS.withPosixLocks(true).withFlockLocks(true).withHandleSignals(false));
    }
}
