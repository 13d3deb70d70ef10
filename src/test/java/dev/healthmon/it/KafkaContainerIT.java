package dev.healthmon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.healthmon.MonitorConfig;
import dev.healthmon.MonitorService;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.Topics;
import dev.healthmon.support.CliRun;
import dev.healthmon.support.CountingBackend;
import dev.healthmon.support.DockerEngine;
import dev.healthmon.support.TopicTail;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.kafka.KafkaContainer;

/**
 * healthmon against a broker from the official apache/kafka image at the clients' version, as users run
 * Kafka, where a Docker engine exists (Testcontainers); elsewhere it is skipped, saying so. The other
 * integration tests use the in-process broker of Kafka's test kit, which needs no Docker.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class KafkaContainerIT {

    private static final String KAFKA_IMAGE = "apache/kafka:" + AppInfoParser.getVersion();

    @Test
    void topicsCreateRegisterAndAMonitorWorkAgainstTheApacheKafkaImage() throws Exception {
        DockerEngine.require("KafkaContainerIT (a broker from " + KAFKA_IMAGE + ")");
        try (KafkaContainer kafka = new KafkaContainer(KAFKA_IMAGE); CountingBackend backend = new CountingBackend()) {
            kafka.start();
            String bootstrap = kafka.getBootstrapServers();
            CliRun topics = CliRun.of("topics", "create", "--bootstrap-servers", bootstrap, "--partitions", "3");
            assertThat(topics.exit()).as(topics.err()).isZero();
            assertThat(topics.out()).contains("replication factor 1, the broker's default");

            KafkaSettings settings = KafkaSettings.of(bootstrap);
            try (TopicTail events = new TopicTail(settings, Topics.DEFAULTS.events());
                 MonitorService monitor = MonitorService.start(MonitorConfig.defaults(settings, "container-monitor"),
                         new SimpleMeterRegistry())) {
                CliRun register = CliRun.of("register", "--bootstrap-servers", bootstrap, "--id", "container-backend",
                        "--url", backend.url("/health"), "--interval-ms", "1000", "--timeout-ms", "500");
                assertThat(register.exit()).as(register.err()).isZero();

                await().atMost(Duration.ofSeconds(60)).until(() -> events.records().stream().anyMatch(r
                        -> new String(r.key(), StandardCharsets.UTF_8).equals("container-backend")
                        && new String(r.value(), StandardCharsets.UTF_8).contains("\"HEALTHY\"")));
                assertThat(backend.hits("/health")).isPositive();
            }
        }
    }
}
