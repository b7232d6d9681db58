package io.javafuse.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The mount points this process sees, for the command-line tests (which cannot reach the core's MountTable). */
final class MountPoints {
    private MountPoints() {}

    /** Whether /proc/self/mountinfo lists a mount at exactly this path. */
    static boolean isMounted(Path path) {
        return all().contains(path.toAbsolutePath().normalize().toString());
    }

    /** The mount points at or below {@code directory}. */
    static List<String> under(Path directory) {
        String top = directory.toAbsolutePath().normalize().toString();
        return all().stream().filter(m -> m.equals(top) || m.startsWith(top + "/")).toList();
    }

    static List<String> all() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(line -> line.split(" "))
                    .filter(fields -> fields.length > 4).map(fields -> unescape(fields[4])).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** mountinfo writes space, tab, newline and backslash as a backslash and three octal digits. */
    private static String unescape(String field) {
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
