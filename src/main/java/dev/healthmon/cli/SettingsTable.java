package dev.healthmon.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The settings tables of docs/configuration.md, generated from the commands themselves so that a test can hold
 * that page to the code: flag, environment variable, config-file key, default, meaning.
 */
public final class SettingsTable {

    private SettingsTable() {}

    /** The Markdown table of {@code command}'s settings (e.g. "monitor"). */
    public static String markdown(String command) {
        CommandSpec spec = new CommandLine(new HealthmonCli()).getSubcommands().get(command).getCommandSpec();
        List<String> lines = new ArrayList<>();
        lines.add("| flag | environment | file key | default | meaning |");
        lines.add("|---|---|---|---|---|");
        for (OptionSpec option : spec.options()) {
            if (option.usageHelp() || option.versionHelp()) {
                continue;
            }
            String flag = String.join(", ", option.names());
            String key = SettingsProvider.key(option).orElse("");
            boolean isSetting = !key.isEmpty() && !key.equals("print-config") && !key.equals("kafka-property");
            String env = isSetting ? "`" + SettingsProvider.envName(key) + "`" : "";
            String fileKey = isSetting ? "`" + key + "`" : option.longestName().equals("-X")
                    || key.equals("kafka-property")
                    ? "`kafka.<property>`" : "";
            String defaultValue = option.defaultValue() == null ? "" : "`" + option.defaultValue() + "`";
            String meaning = String.join(" ", option.description()).replace("${DEFAULT-VALUE}",
                    String.valueOf(option.defaultValue()))
                    .replace("|", "\\|");
            lines.add("| `" + flag + "` | " + env + " | " + fileKey + " | " + defaultValue + " | " + meaning + " |");
        }
        return String.join("\n", lines);
    }
}
