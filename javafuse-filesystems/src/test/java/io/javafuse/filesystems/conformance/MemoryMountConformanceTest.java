package io.javafuse.filesystems.conformance;

import io.javafuse.filesystems.memory.MemoryFileSystem;
import io.javafuse.testing.MountExtension;

import java.nio.file.Path;

/**
 * The conformance steps against {@link MemoryFileSystem}, compared with a directory on tmpfs
 * (/dev/shm), the filesystem it imitates.
 */
class MemoryMountConformanceTest extends MountConformanceTest {
    @Override
    Differential open(MountExtension mounts) throws Exception {
        Path twin = Differential.newShmDirectory("javafuse-native-");
        return new Differential(twin, mounts.mount(new MemoryFileSystem(), Differential.OPTIONS.withAllowOther(true)));
    }
}
