package io.javafuse.filesystems.conformance;

import io.javafuse.api.Mount;
import io.javafuse.filesystems.passthrough.PassthroughFileSystem;
import io.javafuse.testing.MountExtension;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The conformance steps once more with FUSE kernel passthrough: file data is read and written by
 * the kernel on the source files, everything else is served as in
 * {@link PassthroughMountConformanceTest}. Skipped where the kernel does not offer passthrough.
 */
class KernelPassthroughMountConformanceTest extends MountConformanceTest {
    @Override
    Differential open(MountExtension mounts) throws Exception {
        Path twin = Differential.newShmDirectory("javafuse-native-");
        Path source = Differential.newShmDirectory("javafuse-source-");
        PassthroughFileSystem fs = new PassthroughFileSystem(source);
        Mount mount = mounts.mount(fs, Differential.OPTIONS.withAllowOther(true).withPosixLocks(true)
                .withFlockLocks(true).withKernelPassthrough(true));
        assumeTrue(mount.connection().passthrough(), "the kernel offers no FUSE passthrough");
        return new Differential(twin, mount, source);
    }
}
