package dev.healthmon.it;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.healthmon.MonitorConfig;
import dev.healthmon.MonitorService;
import dev.healthmon.events.DeadLetter;
import dev.healthmon.kafka.EmbeddedKafka;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.TopicAdmin;
import dev.healthmon.kafka.Topics;
import dev.healthmon.monitor.CircuitBreakerSettings;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registry.RegistryWriter;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.support.DeclaredSecrets;
import dev.healthmon.support.HeaderCapturingServer;
import dev.healthmon.support.TopicTail;
import dev.healthmon.target.TargetPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry writer cannot make the monitor send a secret anywhere the operator did not bind it
 * to: against a real broker, a real monitor and two real HTTP servers that capture every header —
 * the team's backend (bound) and an attacker's server (not bound).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SecretBindingIT {

    @Test
    void anAttackersRegistrationNeverReceivesASecretNotBoundToItsHost(@TempDir Path dir) throws Exception {
        String secret = "team-a-" + UUID.randomUUID();
        Path secretFile = Files.writeString(dir.resolve("team-a"), secret + "\n");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(OptionalInt.empty());
             HeaderCapturingServer teamA = new HeaderCapturingServer();
             HeaderCapturingServer attacker = new HeaderCapturingServer()) {
            KafkaSettings settings = KafkaSettings.of(kafka.bootstrapServers());
            try (TopicAdmin admin = new TopicAdmin(settings, Topics.DEFAULTS)) {
                admin.createTopics(2, (short) 1);
            }
            SecretCatalog secrets = DeclaredSecrets.catalog(
                    DeclaredSecrets.to("team-a-token", "file:" + secretFile, teamA.url("/team-a")));
            MonitorConfig config = new MonitorConfig(settings, Topics.DEFAULTS, "secret-it", "classic", "m1",
                    CheckDefaults.STANDARD, CircuitBreakerSettings.DEFAULTS, TargetPolicy.DEFAULT,
                    Duration.ofSeconds(1), Duration.ofSeconds(10), 1000, secrets);
            try (MonitorService monitor = MonitorService.start(config, new SimpleMeterRegistry());
                 TopicTail dlq = new TopicTail(settings, Topics.DEFAULTS.registryDlq());
                 RegistryWriter writer = new RegistryWriter(settings, Topics.DEFAULTS.registry())) {
                writer.register("team-a", bytes(json("team-a", teamA.url("/team-a/health"), j -> j.putObject("auth")
                        .put("type", "bearer").put("secretRef", "team-a-token"))));
                writer.register("steal-bearer", bytes(json("steal-bearer", attacker.url("/"), j -> j.putObject("auth")
                        .put("type", "bearer").put("secretRef", "team-a-token"))));
                writer.register("steal-header", bytes(json("steal-header", attacker.url("/"), j -> j.putObject("auth")
                        .put("type", "header").put("header", "X-Loot").put("secretRef", "team-a-token"))));
                writer.register("steal-dot-segments", bytes(json("steal-dot-segments", teamA.url("/team-a/../admin"),
                        j -> j.putObject("auth").put("type", "bearer").put("secretRef", "team-a-token"))));
                writer.register("steal-undeclared", bytes(json("steal-undeclared", attacker.url("/"),
                        j -> j.putObject("auth").put("type", "bearer").put("secretRef", "kafka-sasl-password"))));
                writer.register("steal-env", bytes(json("steal-env", attacker.url("/"), j -> j.putObject("auth")
                        .put("type", "bearer").put("secretRef", "env:HOME"))));
                // The attacker's server is reachable and checked: only the secret is withheld.
                writer.register("attacker-plain", bytes(json("attacker-plain", attacker.url("/plain"))));

                // Waits for the refusals, or for a leak (then the assertions below say what leaked).
                await().atMost(Duration.ofSeconds(30)).until(() -> (dlq.records().size() >= 5
                        || attacker.requests().stream().anyMatch(r -> r.headers().containsKey("authorization")))
                        && teamA.requests().size() >= 2 && attacker.requests().size() >= 2);

                Map<String, String> reasons = dlq.records().stream().collect(Collectors.toMap(
                        r -> new String(r.key(), StandardCharsets.UTF_8), SecretBindingIT::error, (a, b) -> a));
                assertThat(reasons).containsOnlyKeys("steal-bearer", "steal-header", "steal-dot-segments",
                        "steal-undeclared", "steal-env");
                assertThat(reasons.get("steal-bearer")).startsWith("auth.secretRef: ").contains("may not be sent to");
                assertThat(reasons.get("steal-header")).startsWith("auth.secretRef: ").contains("may not be sent to");
                assertThat(reasons.get("steal-dot-segments")).contains("may not be sent to");
                assertThat(reasons.get("steal-undeclared")).contains("is not declared")
                        .doesNotContain("kafka-sasl-password");
                assertThat(reasons.get("steal-env")).contains("must name a declared secret");
                assertThat(reasons.values()).allSatisfy(reason -> assertThat(reason).doesNotContain(secret));

                assertThat(attacker.requests()).isNotEmpty().allSatisfy(request -> {
                    assertThat(request.path()).isEqualTo("/plain");
                    assertThat(request.headers()).doesNotContainKeys("authorization", "x-loot");
                    assertThat(request.anyHeaderContains(secret)).isFalse();
                });
                assertThat(teamA.requests()).isNotEmpty().allSatisfy(request -> {
                    assertThat(request.path()).as("nothing reached a path outside the binding")
                            .isEqualTo("/team-a/health");
                    assertThat(request.headers().get("authorization")).containsExactly("Bearer " + secret);
                });
                assertThat(monitor.activeChecks()).containsOnlyKeys("team-a", "attacker-plain");
            }
        }
    }

    private static String error(ConsumerRecord<byte[], byte[]> record) {
        return new String(record.headers().lastHeader(DeadLetter.ERROR_HEADER).value(), StandardCharsets.UTF_8);
    }
}
