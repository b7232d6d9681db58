package io.javafuse.filesystems.conformance;

import io.javafuse.api.Mount;
import io.javafuse.filesystems.passthrough.PassthroughFileSystem;

import java.io.IOException;

/**
 * The randomized differential fuzzer against the passthrough filesystem mirroring a source
 * directory on tmpfs, compared with another tmpfs directory.
 */
class PassthroughFuzzTest extends FuzzTestBase {
    @Override
    Mount mount() throws IOException {
        return mounts.mount(new PassthroughFileSystem(shmDirectory("javafuse-fuzz-source-")),
                Differential.OPTIONS.withPosixLocks(true).withFlockLocks(true).withHandleSignals(false));
    }
}
