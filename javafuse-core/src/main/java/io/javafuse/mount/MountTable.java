package io.javafuse.mount;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The mounts this process sees, read from {@code /proc/self/mountinfo}. */
public final class MountTable {
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private MountTable() {}

    /** One line of mountinfo. {@code major:minor} is the device of the mounted filesystem. */
    public record MountEntry(Path mountpoint, String fstype, String source, int major, int minor) {
        public boolean isFuse() {
            return fstype.equals("fuse") || fstype.startsWith("fuse.");
        }

        /** The id of a FUSE connection, its directory name under /sys/fs/fuse/connections. */
        public long connectionId() {
            return ((long) major << 20) | minor;
        }
    }

    public static List<MountEntry> entries() {
        try {
            List<MountEntry> entries = new ArrayList<>();
            for (String line : Files.readAllLines(MOUNTINFO)) {
                entries.add(parse(line));
            }
            return entries;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + MOUNTINFO, e);
        }
    }

    /** The topmost mount at exactly this path, if any. */
    public static Optional<MountEntry> at(Path mountpoint) {
        Path wanted = mountpoint.toAbsolutePath().normalize();
        MountEntry found = null;
        for (MountEntry entry : entries()) {
            if (entry.mountpoint().equals(wanted)) {
                found = entry;
            }
        }
        return Optional.ofNullable(found);
    }

    static MountEntry parse(String line) {
        // id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions
        String[] fields = line.split(" ");
        int separator = 6;
        while (separator < fields.length && !fields[separator].equals("-")) {
            separator++;
        }
        String[] device = fields[2].split(":");
        return new MountEntry(Path.of(unescape(fields[4])), fields[separator + 1], unescape(fields[separator + 2]),
                Integer.parseInt(device[0]), Integer.parseInt(device[1]));
    }

    /** mountinfo writes space, tab, newline and backslash as three octal digits after a backslash. */
    static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
