package io.javafuse.api;

/**
 * What the kernel and the engine agreed at {@code INIT}.
 *
 * @param kernelMinor   the protocol minor the kernel speaks
 * @param protocolMinor the minor both sides use (the lower of the kernel's and ours)
 * @param flags         the agreed {@code FUSE_*} capability bits (bits 32 and up from flags2)
 */
public record ConnectionInfo(int protocolMajor, int protocolMinor, int kernelMinor, long flags, int maxWrite,
                             int maxReadahead, int maxPages, int maxBackground) {
    public boolean has(long flag) {
        return (flags & flag) != 0;
    }

    /**
     * Whether the kernel agreed to FUSE passthrough (asked for with
     * {@link MountOptions#withKernelPassthrough}): open files may then be handed to backing
     * descriptors, see {@link Request#openBacking}. Registering one still needs CAP_SYS_ADMIN.
     */
    public boolean passthrough() {
        return has(io.javafuse.abi.InitFlags.PASSTHROUGH);
    }
}
