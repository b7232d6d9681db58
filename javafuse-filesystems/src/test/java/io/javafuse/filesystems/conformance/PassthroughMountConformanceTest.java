package io.javafuse.filesystems.conformance;

import io.javafuse.filesystems.passthrough.PassthroughFileSystem;
import io.javafuse.testing.MountExtension;

import java.nio.file.Path;

/**
 * The conformance steps against {@link PassthroughFileSystem} mirroring a source directory on
 * tmpfs (/dev/shm), compared with another directory on tmpfs: whatever tmpfs does, the mount must
 * do too. Mounted as the CLI mounts it with --source (default_permissions, POSIX and flock locks
 * passed through), with allow_other for the steps run as another user.
 */
class PassthroughMountConformanceTest extends MountConformanceTest {
    @Override
    Differential open(MountExtension mounts) throws Exception {
        Path twin = Differential.newShmDirectory("javafuse-native-");
        Path source = Differential.newShmDirectory("javafuse-source-");
        return new Differential(twin, mounts.mount(new PassthroughFileSystem(source),
                Differential.OPTIONS.withAllowOther(true).withPosixLocks(true).withFlockLocks(true)), source);
    }
}
