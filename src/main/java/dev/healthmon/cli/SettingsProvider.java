package dev.healthmon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where a setting comes from when its flag is not given, in this order: the environment
 * ({@code HEALTHMON_} + the flag's name in upper snake case: {@code --default-interval-ms} →
 * {@code HEALTHMON_DEFAULT_INTERVAL_MS}), then the {@code --config} file (a {@code .properties}
 * file or YAML, keys are flag names without the leading {@code --}: {@code default-interval-ms: 10000}; keys
 * under {@code kafka.} are Kafka client properties), then the built-in default. Flags beat all.
 *
 * <p>A config-file key that is not a setting of the command is an error; a {@code HEALTHMON_}
 * variable that is not is reported on stderr (other commands may use it).
 */
final class SettingsProvider implements CommandLine.IDefaultValueProvider {

    static final String ENV_PREFIX = "HEALTHMON_";
    static final String KAFKA_PREFIX = "kafka.";
    /** Environment variables read by something else than a flag (logback). */
    private static final Set<String> NOT_FLAGS = Set.of("HEALTHMON_LOG_LEVEL");

    private final Map<String, String> environment;
    private Optional<Path> file = Optional.empty();
    private Map<String, String> fileSettings = Map.of();

    SettingsProvider(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    static String envName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    static Optional<String> key(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || option.usageHelp() || option.versionHelp()) {
            return Optional.empty();
        }
        String name = option.longestName();
        return name.startsWith("--") && !name.equals("--config") ? Optional.of(name.substring(2)) : Optional.empty();
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        Optional<String> key = key(arg);
        if (key.isEmpty()) {
            return null;
        }
        String fromEnv = environment.get(envName(key.get()));
        return fromEnv != null ? fromEnv : fileSettings.get(key.get());
    }

    Optional<Path> file() {
        return file;
    }

    /** Reads {@code path} (properties, or YAML by extension). */
    void load(Path path) {
        try {
            Map<String, String> settings = new LinkedHashMap<>();
            String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.endsWith(".yaml") || name.endsWith(".yml")) {
                flatten("", new ObjectMapper(new YAMLFactory()).readTree(path.toFile()), settings);
            } else {
                Properties properties = new Properties();
                try (InputStream in = Files.newInputStream(path)) {
                    properties.load(in);
                }
                properties.stringPropertyNames().forEach(k -> settings.put(k, properties.getProperty(k).strip()));
            }
            this.fileSettings = settings;
            this.file = Optional.of(path);
        } catch (IOException e) {
            throw new UncheckedIOException("--config: cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node == null || node.isNull()) {
            return;
        }
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> flatten(prefix + e.getKey() + (e.getValue().isObject() ? "." : ""),
                    e.getValue(), out));
        } else if (node.isArray()) {
            List<String> items = new ArrayList<>();
            node.forEach(item -> items.add(item.asText()));
            out.put(prefix, String.join(",", items));
        } else {
            out.put(prefix, node.asText());
        }
    }

    /** Kafka client properties from the file ({@code kafka.*} keys); {@code -X} flags override them. */
    Map<String, String> kafkaProperties() {
        Map<String, String> kafka = new LinkedHashMap<>();
        fileSettings.forEach((k, v) -> {
            if (k.startsWith(KAFKA_PREFIX)) {
                kafka.put(k.substring(KAFKA_PREFIX.length()), v);
            }
        });
        return kafka;
    }

    /**
     * Config-file keys that are not settings of {@code command} (error), and {@code HEALTHMON_}
     * variables that are not (reported).
     */
    record Unknown(Set<String> fileKeys, Set<String> environment) {}

    Unknown unknown(CommandSpec command) {
        Set<String> known = new TreeSet<>();
        command.options().forEach(o -> key(o).ifPresent(known::add));
        Set<String> fileKeys = new TreeSet<>();
        fileSettings.keySet().stream().filter(k -> !k.startsWith(KAFKA_PREFIX)
                && !known.contains(k)).forEach(fileKeys::add);
        Set<String> env = new TreeSet<>();
        Set<String> knownEnv = new TreeSet<>();
        known.forEach(k -> knownEnv.add(envName(k)));
        environment.keySet().stream().filter(k -> k.startsWith(ENV_PREFIX) && !knownEnv.contains(k)
                && !NOT_FLAGS.contains(k))
                .forEach(env::add);
        return new Unknown(fileKeys, env);
    }

    static Set<String> settingNames(CommandSpec command) {
        Set<String> names = new TreeSet<>();
        command.options().forEach(o -> key(o).ifPresent(names::add));
        return names;
    }
}
