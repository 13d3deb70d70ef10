package dev.healthmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.healthmon.support.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where settings come from: flags > HEALTHMON_* environment > --config file > defaults, and what is refused. */
class SettingsTest {

    @TempDir
    Path dir;

    private record Run(int exit, Map<String, String> settings, String out, String err) {}

    private Run run(Map<String, String> env, String... args) {
        CliRun run = CliRun.withEnvironment(env, args);
        Map<String, String> settings = new LinkedHashMap<>();
        run.out().lines().filter(l -> l.contains("=")).forEach(l -> settings.put(l.substring(0, l.indexOf('=')),
                l.substring(l.indexOf('=') + 1)));
        return new Run(run.exit(), settings, run.out(), run.err());
    }

    @Test
    void builtInDefaultsApplyWhenNothingElseIsSet() {
        Run r = run(Map.of(), "monitor", "--print-config");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.settings()).containsEntry("bootstrap-servers", "localhost:9092").containsEntry("group-id",
                "healthmon")
                .containsEntry("default-interval-ms", "30000").containsEntry("http-port", "8081");
    }

    @Test
    void flagsBeatEnvironmentWhichBeatsTheFileWhichBeatsDefaults() throws Exception {
        Path file = Files.writeString(dir.resolve("healthmon.properties"), String.join("\n",
                "bootstrap-servers=file:9092", "group-id=from-file", "default-interval-ms=15000",
                "default-timeout-ms=2000",
                "kafka.security.protocol=SASL_SSL", "kafka.sasl.jaas.config=secret-stuff"));
        Map<String, String> env = Map.of("HEALTHMON_GROUP_ID", "from-env", "HEALTHMON_DEFAULT_INTERVAL_MS", "20000");

        Run r = run(env, "monitor", "--config", file.toString(), "--default-interval-ms", "25000", "--print-config");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.settings())
                .containsEntry("default-interval-ms", "25000") // flag
                .containsEntry("group-id", "from-env")         // environment over file
                .containsEntry("bootstrap-servers", "file:9092") // file over default
                .containsEntry("default-timeout-ms", "2000")
                .containsEntry("kafka.security.protocol", "SASL_SSL")
                .containsEntry("kafka.sasl.jaas.config", "<redacted>");
        assertThat(r.out()).doesNotContain("secret-stuff");
    }

    @Test
    void yamlFilesWorkLikePropertiesAndKafkaPropertiesNest() throws Exception {
        Path file = Files.writeString(dir.resolve("healthmon.yaml"), String.join("\n",
                "bootstrap-servers: broker-1:9092,broker-2:9092", "http-port: 9100", "kafka:", "  client.rack: eu-1a"));

        Run r = run(Map.of(), "aggregate", "--config", file.toString(), "--print-config");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.settings()).containsEntry("bootstrap-servers", "broker-1:9092,broker-2:9092")
                .containsEntry("http-port", "9100").containsEntry("kafka.client.rack", "eu-1a");
    }

    @Test
    void dashXFlagsBeatKafkaPropertiesOfTheFile() throws Exception {
        Path file = Files.writeString(dir.resolve("k.properties"), "kafka.client.rack=from-file\n");

        Run r = run(Map.of(), "monitor", "--config", file.toString(), "-X", "client.rack=from-flag", "--print-config");

        assertThat(r.settings()).containsEntry("kafka.client.rack", "from-flag");
    }

    @Test
    void unknownKeyInTheFileIsAnErrorNamingIt() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.properties"), "default-intervall-ms=1000\n");

        Run r = run(Map.of(), "monitor", "--config", file.toString(), "--print-config");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("unknown setting(s) [default-intervall-ms]").contains("default-interval-ms");
    }

    @Test
    void unknownHealthmonVariableIsReportedNotFatal() {
        Run r = run(Map.of("HEALTHMON_GROUPID", "typo"), "monitor", "--print-config");

        assertThat(r.exit()).isZero();
        assertThat(r.err()).contains("warning: HEALTHMON_GROUPID is not a setting of 'monitor'");
    }

    @Test
    void badValueFromTheEnvironmentNamesTheSetting() {
        Run r = run(Map.of("HEALTHMON_HTTP_PORT", "eighty"), "monitor", "--print-config");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--http-port").contains("eighty");
    }

    @Test
    void missingConfigFileIsAnError() {
        Run r = run(Map.of(), "monitor", "--config", dir.resolve("nope.properties").toString(), "--print-config");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--config").contains("nope.properties");
    }
}
