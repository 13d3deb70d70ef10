package dev.healthmon.it;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.MonitorConfig;
import dev.healthmon.MonitorService;
import dev.healthmon.aggregate.AggregatorConfig;
import dev.healthmon.aggregate.AggregatorService;
import dev.healthmon.aggregate.AggregatorSettings;
import dev.healthmon.http.Meters;
import dev.healthmon.http.OpsServer;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.Topics;
import dev.healthmon.monitor.CircuitBreakerSettings;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registry.RegistryWriter;
import dev.healthmon.support.CountingBackend;
import dev.healthmon.support.KafkaFixture;
import dev.healthmon.target.TargetPolicy;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What operators scrape and probe: /metrics, /healthz and /readyz of a monitor and an aggregator on a real broker. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OperationsIT {

    private static KafkaFixture fixture;
    private static KafkaSettings settings;
    private static CountingBackend backend;
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        fixture = KafkaFixture.start(2);
        settings = fixture.settings();
        backend = fixture.backend();
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static MonitorService monitor(String group, PrometheusMeterRegistry meters,
            Map<String, String> kafkaProps) {
        return MonitorService.start(new MonitorConfig(new KafkaSettings(fixture.bootstrapServers(), kafkaProps),
                Topics.DEFAULTS,
                group, "classic", group + "-m1", CheckDefaults.STANDARD, CircuitBreakerSettings.DEFAULTS,
                TargetPolicy.DEFAULT, Duration.ofSeconds(1), Duration.ofSeconds(10), 10_000), meters);
    }

    @Test
    void metricsCarryTheNamedSeriesForMonitorAndAggregatorWithoutBackendIds(@TempDir Path stateDir) throws Exception {
        try (RegistryWriter writer = new RegistryWriter(settings, Topics.DEFAULTS.registry())) {
            for (String id : List.of("metrics-api-1", "metrics-api-2")) {
                writer.register(id, bytes(json(id, backend.url("/" + id), j -> ((ObjectNode) j.get("healthCheck"))
                        .put("intervalMs", 300).put("timeoutMs", 200))));
            }
            writer.register("metrics-bad", "{not json".getBytes(StandardCharsets.UTF_8));
        }
        PrometheusMeterRegistry monitorMeters = Meters.prometheus();
        PrometheusMeterRegistry aggregatorMeters = Meters.prometheus();
        try (MonitorService monitor = monitor("ops-metrics", monitorMeters, Map.of());
             OpsServer ops = OpsServer.start("127.0.0.1", 0, monitorMeters, monitor::readiness);
             AggregatorService aggregator = AggregatorService.start(new AggregatorConfig(settings, Topics.DEFAULTS,
                     "ops-aggregator", CheckDefaults.STANDARD, AggregatorSettings.DEFAULTS, "127.0.0.1", 0, "127.0.0.1",
                     stateDir, 0), aggregatorMeters)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> get(ops.port(), "/readyz").statusCode() == 200
                    && get(aggregator.httpPort(), "/readyz").statusCode() == 200
                    && get(ops.port(),
                    "/metrics").body()
                    .contains("healthmon_checks_total{app=\"healthmon\",outcome=\"healthy\",type=\"http\"}"));
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    get(aggregator.httpPort(),
                    "/metrics").body().contains("healthmon_aggregator_events_applied_total"));

            String monitorMetrics = get(ops.port(), "/metrics").body();
            assertThat(monitorMetrics).contains("healthmon_check_latency_seconds_bucket",
                    "healthmon_check_lateness_seconds_bucket",
                    "healthmon_checks_active", "healthmon_partitions_owned",
                    "healthmon_partition_restore_seconds_count",
                    "healthmon_events_buffered", "healthmon_events_coalesced_total", "healthmon_registry_invalid_total",
                    "healthmon_rebalances_total", "jvm_memory_used_bytes", "kafka_consumer_", "kafka_producer_");
            String aggregatorMetrics = get(aggregator.httpPort(), "/metrics").body();
            assertThat(aggregatorMetrics).contains("healthmon_aggregator_events_dropped_total", "kafka_stream_");
            assertThat(monitorMetrics + aggregatorMetrics).as("no backend id as a tag").doesNotContain("metrics-api");
            assertThat(get(ops.port(), "/healthz").statusCode()).isEqualTo(200);
            assertThat(get(aggregator.httpPort(), "/healthz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void readyzTurnsReadyOnlyOnceEveryOwnedPartitionIsRestored() throws Exception {
        try (RegistryWriter writer = new RegistryWriter(settings, Topics.DEFAULTS.registry())) {
            for (int i = 0; i < 2000; i++) { // a registry that takes a while to restore, one record per poll
                writer.register("ready-" + i, bytes(json("ready-" + i, backend.url("/ready"),
                j -> ((ObjectNode) j.get("healthCheck"))
                        .put("intervalMs", 60_000).put("timeoutMs", 1000))));
            }
        }
        PrometheusMeterRegistry meters = Meters.prometheus();
        try (MonitorService monitor = monitor("ops-ready", meters, Map.of("max.poll.records", "1"));
             OpsServer ops = OpsServer.start("127.0.0.1", 0, meters, monitor::readiness)) {
            List<Integer> seen = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                int status = get(ops.port(), "/readyz").statusCode();
                seen.add(status);
                return status == 200;
            });
            assertThat(seen.get(0)).as("not ready before the restore").isEqualTo(503);
            assertThat(monitor.activeChecks()).as("ready means every check is running")
                    .hasSizeGreaterThanOrEqualTo(2000);
        }
    }
}
