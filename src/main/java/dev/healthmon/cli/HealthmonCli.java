package dev.healthmon.cli;

import dev.healthmon.probe.HostPinning;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code healthmon} command. Exit codes: 0 success, 1 runtime failure (Kafka unreachable,
 * topics wrong…), 2 bad usage or invalid input.
 */
@Command(name = "healthmon", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Kafka-native health monitor for backend servers.",
        subcommands = {DemoCommand.class, MonitorCommand.class, AggregateCommand.class, RegisterCommand.class,
        DeregisterCommand.class,
                TailCommand.class, StatusCommand.class, SampleBackendsCommand.class,
                TopicsCommand.class, AclsCommand.class, CommandLine.HelpCommand.class})
public final class HealthmonCli {

    @picocli.CommandLine.Option(names = "--log-format", defaultValue = "text", scope = CommandLine.ScopeType.INHERIT,
            description = "text (default) or json: one JSON object per log line.")
    String logFormat;

    static {
        HostPinning.enable(); // before anything in the process uses the JDK's HTTP client
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, shared by {@link #main} and the tests; settings from the process environment. */
    public static CommandLine commandLine() {
        return commandLine(System.getenv());
    }

    /** As {@link #commandLine()}, with {@code environment} as the source of {@code HEALTHMON_*} settings. */
    public static CommandLine commandLine(Map<String, String> environment) {
        CommandLine cli = new CommandLine(new HealthmonCli());
        SettingsProvider settings = new SettingsProvider(environment);
        cli.setDefaultValueProvider(settings);
        cli.setExecutionExceptionHandler((error, command, parseResult) -> {
            command.getErr().println(command.getColorScheme().errorText("error: " + error.getMessage()));
            return error instanceof IllegalArgumentException ? 2 : 1;
        });
        cli.setExecutionStrategy(parseResult -> {
            CommandLine.ParseResult leaf = leafOf(parseResult);
            Optional<Path> config = leaf.hasMatchedOption("--config")
                    ? Optional.of(leaf.<Path>matchedOptionValue("--config", null)) : Optional.empty();
            if (config.isPresent() && !config.equals(settings.file())) {
                // Defaults were applied before --config was known: read the file, then parse again.
                try {
                    settings.load(config.get());
                } catch (UncheckedIOException e) {
                    throw new CommandLine.ParameterException(leaf.commandSpec().commandLine(), e.getMessage());
                }
                return cli.execute(parseResult.originalArgs().toArray(new String[0]));
            }
            SettingsProvider.Unknown unknown = settings.unknown(leaf.commandSpec());
            if (!unknown.fileKeys().isEmpty()) {
                throw new CommandLine.ParameterException(leaf.commandSpec().commandLine(), "unknown setting(s) "
                        + unknown.fileKeys() + " in " + config.orElseThrow() + "; settings of '"
                        + leaf.commandSpec().name()
                        + "': " + SettingsProvider.settingNames(leaf.commandSpec())
                        + ", and kafka.* client properties");
            }
            LogFormat format;
            try {
                format = LogFormat.of(leaf.commandSpec());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(leaf.commandSpec().commandLine(), e.getMessage());
            }
            format.apply();
            unknown.environment().forEach(name -> leaf.commandSpec().commandLine().getErr().println(
                    "warning: " + name + " is not a setting of '" + leaf.commandSpec().name() + "'; ignored"));
            return new CommandLine.RunLast().execute(parseResult);
        });
        return cli;
    }

    private static CommandLine.ParseResult leafOf(CommandLine.ParseResult parseResult) {
        CommandLine.ParseResult leaf = parseResult;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        return leaf;
    }
}
