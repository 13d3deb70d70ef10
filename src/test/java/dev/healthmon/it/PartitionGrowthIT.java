package dev.healthmon.it;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.healthmon.MonitorConfig;
import dev.healthmon.MonitorService;
import dev.healthmon.aggregate.AggregatorConfig;
import dev.healthmon.aggregate.AggregatorService;
import dev.healthmon.aggregate.AggregatorSettings;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.TopicAdmin;
import dev.healthmon.kafka.Topics;
import dev.healthmon.monitor.CircuitBreakerSettings;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registry.RegistryWriter;
import dev.healthmon.support.KafkaFixture;
import dev.healthmon.support.TopicTail;
import dev.healthmon.target.TargetPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * backend-registry grows at run time while a monitor runs (issue #15): the monitor picks up the new
 * partition, but health-events does not have it yet. The new partition's backends are not checked,
 * the other partitions' backends keep publishing, the monitor says which partition is missing, and
 * once health-events has grown ({@code topics create}) the new partition's backend is checked and
 * published too.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PartitionGrowthIT {

    /** Clients see the new partition within seconds instead of metadata.max.age.ms's five minutes. */
    private static final Map<String, String> QUICK_METADATA = Map.of("metadata.max.age.ms", "2000");

    private static KafkaFixture fixture;

    @BeforeAll
    static void startBroker() throws Exception {
        fixture = KafkaFixture.start(3, QUICK_METADATA);
    }

    @AfterAll
    static void stopBroker() throws Exception {
        fixture.close();
    }

    @Test
    void aRegistryPartitionWithoutItsEventsPartitionHoldsUpNoOtherBackendAndIsReportedUntilTheEventsTopicGrows(
            @TempDir Path stateDir) throws Exception {
        KafkaSettings settings = fixture.settings();
        List<String> settled = IntStream.range(0, 9).mapToObj(i -> "settled-" + i).toList();
        try (RegistryWriter writer = new RegistryWriter(settings, Topics.DEFAULTS.registry())) {
            for (String id : settled) {
                writer.register(id, bytes(json(id, fixture.backend().url("/" + id))));
            }
        }
        MonitorConfig config = new MonitorConfig(settings, Topics.DEFAULTS, "growth", "classic", "growth-m1",
                CheckDefaults.STANDARD, CircuitBreakerSettings.DEFAULTS, TargetPolicy.DEFAULT, Duration.ofSeconds(1),
                Duration.ofSeconds(10), 10_000);
        try (MonitorService monitor = MonitorService.start(config, new SimpleMeterRegistry());
             AggregatorService aggregator = AggregatorService.start(new AggregatorConfig(settings, Topics.DEFAULTS,
                     "growth-aggregator", CheckDefaults.STANDARD, AggregatorSettings.DEFAULTS, "127.0.0.1", 0,
                     "127.0.0.1", stateDir, 0), new SimpleMeterRegistry());
             TopicTail events = new TopicTail(settings, Topics.DEFAULTS.events())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> backendsIn(events.records()).containsAll(settled));

            try (Admin admin = Admin.create(settings.admin())) {
                admin.createPartitions(Map.of(Topics.DEFAULTS.registry(), NewPartitions.increaseTo(4))).all()
                        .get(30, TimeUnit.SECONDS);
            }
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings.producer("growth-test"))) {
                producer.send(new ProducerRecord<>(Topics.DEFAULTS.registry(), 3,
                        "grown".getBytes(StandardCharsets.UTF_8),
                        bytes(json("grown", fixture.backend().url("/grown"))))).get(30, TimeUnit.SECONDS);
            }
            // The monitor takes partition 3 over, but does not check its backends: their results would have nowhere to
            // go.
            await().atMost(Duration.ofSeconds(60)).until(() -> String.join("\n", monitor.readiness().reasons())
                    .contains("health-events has no partition [3]"));
            assertThat(monitor.activeChecks()).doesNotContainKey("grown");

            // From now on every backend of the old partitions publishes again, while partition 3 is missing.
            int seen = events.records().size();
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    backendsIn(events.records().subList(seen, events.records().size())).containsAll(settled));
            assertThat(backendsIn(events.records())).doesNotContain("grown");

            assertThat(monitor.activeChecks()).doesNotContainKey("grown");
            try (TopicAdmin admin = new TopicAdmin(settings, Topics.DEFAULTS)) {
                assertThat(admin.growEventsToRegistry()).contains(
                        "health-events grown from 3 to 4 partitions to match backend-registry");
            }
            // A tail assigns the partitions it found when it started: read the grown topic anew.
            try (TopicTail grownEvents = new TopicTail(settings, Topics.DEFAULTS.events())) {
                await().atMost(Duration.ofSeconds(60)).until(() -> grownEvents.records().stream()
                        .anyMatch(r -> key(r).equals("grown") && r.partition() == 3));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> monitor.readiness().ready());

            // The aggregator joins the grown topics: it grows its changelogs to match and keeps running (the
            // chaos run saw every instance stop on "changelog has invalid partitions" here).
            await().atMost(Duration.ofSeconds(90)).until(() -> status(aggregator, "grown") == 200);
            await().atMost(Duration.ofSeconds(30)).until(aggregator::ready);
        }
    }

    private static int status(AggregatorService aggregator, String id) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + aggregator.httpPort()
                + "/api/status/" + id)).timeout(Duration.ofSeconds(10)).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static Set<String> backendsIn(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(PartitionGrowthIT::key).collect(Collectors.toSet());
    }

    private static String key(ConsumerRecord<byte[], byte[]> record) {
        return new String(record.key(), StandardCharsets.UTF_8);
    }
}
