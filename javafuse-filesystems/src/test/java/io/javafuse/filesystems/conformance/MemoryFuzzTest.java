package io.javafuse.filesystems.conformance;

import io.javafuse.api.Mount;
import io.javafuse.filesystems.memory.MemoryFileSystem;

import java.io.IOException;

/** The randomized differential fuzzer against the in-memory filesystem and tmpfs, which it imitates. */
class MemoryFuzzTest extends FuzzTestBase {
    @Override
    Mount mount() throws IOException {
        return mounts.mount(new MemoryFileSystem(), Differential.OPTIONS.withHandleSignals(false));
    }
}
