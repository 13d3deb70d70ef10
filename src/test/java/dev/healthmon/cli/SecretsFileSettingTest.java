package dev.healthmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.healthmon.support.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code monitor --secrets-file}: settable like every setting, and a bad file stops the monitor before it starts. */
class SecretsFileSettingTest {

    @TempDir
    Path dir;

    private Path badFile() throws Exception {
        return Files.writeString(dir.resolve("secrets.yaml"), """
                secrets:
                  team-a-token:
                    source: env:TEAM_A_TOKEN
                    allowedTargets: ["https://api.team-a.internal/", "*"]
                """);
    }

    @Test
    void aBadSecretsFileStopsTheMonitorNamingTheFileTheEntryAndTheField() throws Exception {
        Path bad = badFile();

        CliRun run = CliRun.of("monitor", "--bootstrap-servers", "127.0.0.1:1", "--secrets-file", bad.toString());

        assertThat(run.exit()).as(run.err()).isEqualTo(2);
        assertThat(run.err()).contains("--secrets-file " + bad + ": secrets.team-a-token.allowedTargets[1]: \"*\"");
    }

    @Test
    void theSecretsFileCanComeFromTheEnvironment() throws Exception {
        Path bad = badFile();

        CliRun run = CliRun.withEnvironment(Map.of("HEALTHMON_SECRETS_FILE", bad.toString()),
                "monitor", "--bootstrap-servers", "127.0.0.1:1");

        assertThat(run.exit()).as(run.err()).isEqualTo(2);
        assertThat(run.err()).contains("--secrets-file " + bad);
    }

    @Test
    void theSecretsFileCanComeFromTheConfigFile() throws Exception {
        Path config = Files.writeString(dir.resolve("healthmon.yaml"), "secrets-file: /etc/healthmon/secrets.yaml\n");

        CliRun run = CliRun.of("monitor", "--config", config.toString(), "--print-config");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("secrets-file=/etc/healthmon/secrets.yaml");
    }
}
