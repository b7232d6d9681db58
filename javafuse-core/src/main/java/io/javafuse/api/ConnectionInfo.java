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
}
