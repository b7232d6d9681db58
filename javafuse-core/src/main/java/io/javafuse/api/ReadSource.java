package io.javafuse.api;

/**
 * Where a READ's data lies: {@code length} bytes of the open file {@code fd} from {@code offset}
 * (fewer at its end). The engine moves them to the kernel itself, with splice(2) when
 * {@link MountOptions#splice()} is on, otherwise by reading them into the request's buffer. The
 * descriptor must stay open until the answer is sent.
 */
public record ReadSource(int fd, long offset, int length) {
    public ReadSource {
        if (fd < 0 || offset < 0 || length < 0) {
            throw new IllegalArgumentException("bad read source: fd " + fd + " offset " + offset + " length " + length);
        }
    }
}
