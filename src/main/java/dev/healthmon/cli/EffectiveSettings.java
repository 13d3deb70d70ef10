package dev.healthmon.cli;

import dev.healthmon.kafka.KafkaSettings;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code --print-config}: the settings a command would run with, after flags, environment, config
 * file and defaults are combined, one {@code key=value} per line. Kafka properties whose name
 * suggests a credential are redacted.
 */
final class EffectiveSettings {

    private EffectiveSettings() {}

    static void print(CommandSpec command, KafkaSettings kafka, PrintWriter out) {
        Map<String, String> settings = new TreeMap<>();
        command.options().forEach(option -> SettingsProvider.key(option)
                .filter(key -> !key.equals("print-config") && !key.equals("kafka-property"))
                .ifPresent(key -> settings.put(key, String.valueOf((Object) option.getValue()))));
        kafka.passThrough().forEach((key, value) -> settings.put("kafka." + key, redact(key, value)));
        settings.forEach((key, value) -> out.println(key + "=" + value));
        out.flush();
    }

    private static String redact(String key, String value) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("jaas") || k.contains("token")
                || k.contains("key") && !k.endsWith(".type") ? "<redacted>" : value;
    }
}
