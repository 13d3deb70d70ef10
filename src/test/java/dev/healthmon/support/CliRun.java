package dev.healthmon.support;

import dev.healthmon.cli.HealthmonCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import picocli.CommandLine;

/** One run of the {@code healthmon} command line in this JVM: its exit code and what it printed. */
public record CliRun(int exit, String out, String err) {

    /** Runs {@code args} with {@code HEALTHMON_*} settings from the process environment. */
    public static CliRun of(String... args) {
        return of(HealthmonCli.commandLine(), args);
    }

    /** Runs {@code args} with {@code environment} as the only source of {@code HEALTHMON_*} settings. */
    public static CliRun withEnvironment(Map<String, String> environment, String... args) {
        return of(HealthmonCli.commandLine(environment), args);
    }

    private static CliRun of(CommandLine cli, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new CliRun(exit, out.toString(), err.toString());
    }
}
