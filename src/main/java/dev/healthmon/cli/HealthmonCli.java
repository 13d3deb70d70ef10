package dev.healthmon.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code healthmon} command. Exit codes: 0 success, 1 runtime failure (Kafka unreachable,
 * topics wrong…), 2 bad usage or invalid input.
 */
@Command(name = "healthmon", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Kafka-native health monitor for backend servers.",
        subcommands = {DemoCommand.class, MonitorCommand.class, AggregateCommand.class, RegisterCommand.class, DeregisterCommand.class,
                TopicsCommand.class, CommandLine.HelpCommand.class})
public final class HealthmonCli {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, shared by {@link #main} and the tests. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new HealthmonCli());
        cli.setExecutionExceptionHandler((error, command, parseResult) -> {
            command.getErr().println(command.getColorScheme().errorText("error: " + error.getMessage()));
            return error instanceof IllegalArgumentException ? 2 : 1;
        });
        return cli;
    }
}
