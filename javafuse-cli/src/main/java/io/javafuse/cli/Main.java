package io.javafuse.cli;

import io.javafuse.api.FuseException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code javafuse}: mount the bundled filesystems, unmount. */
@Command(name = "javafuse", mixinStandardHelpOptions = true, version = "javafuse 0.1.0",
        description = "A FUSE filesystem in pure Java.",
        subcommands = {MountCommand.class, UnmountCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    /** Bad input: a wrong option, a missing mountpoint, a mountpoint in use. */
    static final int EXIT_USAGE = 2;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        if (args.length > 0 && args[0].equals("mount")) {
            // A plain mount command line starts without picocli (see MountCommand.parseSimple).
            MountCommand mount = MountCommand.parseSimple(args, 1);
            if (mount != null) {
                try {
                    return mount.call();
                } catch (Exception e) {
                    return oneLineError(e, new PrintWriter(System.err, true));
                }
            }
        }
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.setExecutionExceptionHandler(Main::oneLineError);
        commandLine.setParameterExceptionHandler((e, ignored) -> {
            // One line like every other usage error, with the help command that fits ("javafuse mount --help").
            PrintWriter err = e.getCommandLine().getErr();
            err.println("javafuse: " + e.getMessage() + " (see '"
                    + e.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return EXIT_USAGE;
        });
        return commandLine.execute(args);
    }

    /** Expected failures are one line and exit status 2, never a stack trace. */
    private static int oneLineError(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        return oneLineError(e, commandLine.getErr());
    }

    private static int oneLineError(Exception e, PrintWriter err) {
        if (e instanceof FuseException || e instanceof IllegalArgumentException) {
            err.println("javafuse: " + e.getMessage());
            return EXIT_USAGE;
        }
        err.println("javafuse: unexpected failure: " + e);
        e.printStackTrace(err);
        return 1;
    }
}
