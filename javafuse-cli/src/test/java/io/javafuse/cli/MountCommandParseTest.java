package io.javafuse.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The mount command lines parsed without picocli come out as picocli would fill them. */
class MountCommandParseTest {
    @Test
    void plainCommandLinesMatchPicocli() {
        List<String[]> lines = List.of(
                new String[] {"/mnt/x"},
                new String[] {"--source", "/src", "/mnt/x"},
                new String[] {"--source=/src", "/mnt/x"},
                new String[] {"/mnt/x", "--source", "/src"},
                new String[] {"-o", "ro,allow_other", "-o", "fsname=a", "/mnt/x"},
                new String[] {"--readers", "4", "--workers", "virtual", "--max-queue=128", "/mnt/x"},
                new String[] {"--workers", "8", "--no-priority", "--no-write-queues", "/mnt/x"},
                new String[] {"--no-inline", "--source", "/src", "--kernel-passthrough", "/mnt/x"},
                new String[] {"--write-behind", "--force", "--stats-interval", "0.5", "--stats-json", "s.json", "m"},
                new String[] {"--stats-interval=2", "relative/dir"});
        for (String[] line : lines) {
            MountCommand fast = MountCommand.parseSimple(prepend(line), 1);
            MountCommand picocli = new MountCommand();
            new CommandLine(picocli).parseArgs(line);
            assertThat(fast).as(String.join(" ", line)).isNotNull();
            assertThat(fields(fast)).as(String.join(" ", line)).isEqualTo(fields(picocli));
        }
    }

    @Test
    void everythingElseIsLeftToPicocli() {
        List<String[]> lines = List.of(
                new String[] {},
                new String[] {"--help"},
                new String[] {"-h"},
                new String[] {"-V"},
                new String[] {"a", "b"},
                new String[] {"--source", "/src"},
                new String[] {"--source"},
                new String[] {"--source", "/a", "--source", "/b", "m"},
                new String[] {"--force", "--force", "m"},
                new String[] {"--force=true", "m"},
                new String[] {"--readers", "-1", "m"},
                new String[] {"--readers", "0x10", "m"},
                new String[] {"--readers", "9999999999", "m"},
                new String[] {"--stats-interval", "1e3", "m"},
                new String[] {"-o", "a,,b", "m"},
                new String[] {"-o", "\"a,b\"", "m"},
                new String[] {"-oro", "m"},
                new String[] {"--", "m"},
                new String[] {"--unknown", "m"},
                new String[] {""},
                new String[] {"a\0b"});
        for (String[] line : lines) {
            assertThat(MountCommand.parseSimple(prepend(line), 1)).as(String.join(" ", line)).isNull();
        }
    }

    private static String[] prepend(String[] line) {
        String[] args = new String[line.length + 1];
        args[0] = "mount";
        System.arraycopy(line, 0, args, 1, line.length);
        return args;
    }

    private static List<Object> fields(MountCommand c) {
        return java.util.Arrays.asList(c.mountpoint, c.source, List.copyOf(c.mountOptions), c.readers, c.workers,
                c.maxQueue, c.noPriority, c.noInline, c.noWriteQueues, c.writeBehind, c.kernelPassthrough,
                c.statsInterval, c.statsJson, c.force);
    }
}
