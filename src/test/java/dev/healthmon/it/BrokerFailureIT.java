package dev.healthmon.it;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.healthmon.MonitorConfig;
import dev.healthmon.MonitorService;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.TopicAdmin;
import dev.healthmon.kafka.Topics;
import dev.healthmon.monitor.CircuitBreakerSettings;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registry.RegistryWriter;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.support.BrokerProcesses;
import dev.healthmon.support.Figures;
import dev.healthmon.support.Resources;
import dev.healthmon.support.TopicTail;
import dev.healthmon.target.TargetPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Broker trouble under a running monitor, with brokers as real processes: the only broker gone
 * for 20 s, and one of three brokers killed. The monitor runs in the test JVM (its clients are
 * what is being tested).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BrokerFailureIT {

    private final HealthEventCodec codec = new HealthEventCodec(new ObjectMapper());
    private final AtomicBoolean flakyUp = new AtomicBoolean(true);
    private HttpServer backends;
    private final Resources resources = new Resources();

    @BeforeEach
    void startBackends() throws Exception {
        backends = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        backends.createContext("/ok", e -> {
            e.sendResponseHeaders(200, -1);
            e.close();
        });
        backends.createContext("/flaky", e -> {
            e.sendResponseHeaders(flakyUp.get() ? 200 : 503, -1);
            e.close();
        });
        backends.setExecutor(Executors.newFixedThreadPool(2));
        backends.start();
    }

    @AfterEach
    void stop() throws Exception {
        resources.close();
        backends.stop(0);
    }

    private List<String> register(KafkaSettings settings, int count) {
        String base = "http://127.0.0.1:" + backends.getAddress().getPort();
        List<String> ids = new ArrayList<>();
        try (RegistryWriter writer = new RegistryWriter(settings, Topics.DEFAULTS.registry())) {
            for (int i = 0; i < count; i++) {
                String id = i == 0 ? "flaky" : "ok-" + i;
                ids.add(id);
                writer.register(id, bytes(json(id, base + (i == 0 ? "/flaky" : "/ok"),
                        j -> ((ObjectNode) j.get("healthCheck"))
                        .put("intervalMs", 500).put("timeoutMs", 300).put("jitterPercent", 0))));
            }
        }
        return ids;
    }

    private static MonitorService monitor(KafkaSettings settings) {
        return MonitorService.start(new MonitorConfig(settings, Topics.DEFAULTS, "broker-it", "classic", "survivor",
                CheckDefaults.STANDARD, CircuitBreakerSettings.DEFAULTS, TargetPolicy.DEFAULT, Duration.ofSeconds(1),
                Duration.ofSeconds(10), 10_000), new SimpleMeterRegistry());
    }

    private List<HealthEvent> events(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> codec.decode(r.value())).toList();
    }

    @Test
    void resultsSurviveA20SecondOutageOfTheOnlyBrokerAndTheStatusChangeIsPublished() throws Exception {
        BrokerProcesses broker = resources.closeLater(BrokerProcesses.start(1));
        KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers());
        try (TopicAdmin admin = new TopicAdmin(settings, Topics.DEFAULTS)) {
            admin.createTopics(3, (short) 1);
        }
        List<String> ids = register(settings, 5);
        resources.closeLater(monitor(settings));
        List<HealthEvent> acknowledged;
        try (TopicTail before = new TopicTail(settings, Topics.DEFAULTS.events())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> events(before.records()).stream()
                    .map(HealthEvent::backendId).collect(Collectors.toSet()).containsAll(ids));
            acknowledged = events(before.records()); // read back from the broker: acknowledged
        }

        Instant outageFrom = Instant.now();
        broker.kill(1);
        flakyUp.set(false); // goes down while nobody can publish
        TimeUnit.SECONDS.sleep(20); // the outage itself: its length is the scenario, not a wait for a condition
        Instant outageTo = Instant.now();
        long restartedAt = System.nanoTime();
        broker.restart(1);
        broker.awaitBrokers(1, Duration.ofSeconds(60));

        try (TopicTail after = new TopicTail(settings, Topics.DEFAULTS.events())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> events(after.records()).stream()
                    .anyMatch(e -> e.backendId().equals("flaky") && e.status() == HealthStatus.UNHEALTHY));
            Duration recovered = Duration.ofNanos(System.nanoTime() - restartedAt);
            // Partitions become readable one by one after the restart: wait for all before judging.
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(events(after.records()))
                    .as("nothing acknowledged was lost").containsAll(acknowledged));
            after.awaitCaughtUp(settings, Topics.DEFAULTS.events());
            List<HealthEvent> all = events(after.records());
            // What was produced while nobody could publish arrives, coalesced by the buffer's rules: every status
            // change is kept. flaky went HEALTHY -> UNHEALTHY during the outage (three failures at 500 ms): that very
            // result, checked during the outage, is published once the broker is back; not just a later UNHEALTHY.
            assertThat(all).as("flaky's change, checked during the outage")
                    .filteredOn(e -> e.backendId().equals("flaky") && e.previousStatus() == HealthStatus.HEALTHY
                            && e.status() == HealthStatus.UNHEALTHY)
                    .singleElement().satisfies(e -> assertThat(e.checkedAt()).isBetween(outageFrom, outageTo));
            // And every backend's results go on from the outage: each has a result checked during it or after it
            // that was published (the latest result survives coalescing).
            assertThat(all.stream().filter(e -> e.checkedAt().isAfter(outageFrom)).map(HealthEvent::backendId)
                    .collect(Collectors.toSet())).as("backends with a result from the outage on").containsAll(ids);
            Map<String, List<Long>> sequences = new HashMap<>();
            all.forEach(e -> sequences.computeIfAbsent(e.backendId(), k -> new ArrayList<>()).add(e.sequence()));
            sequences.forEach((id, seq) -> {
                for (int i = 1; i < seq.size(); i++) {
                    assertThat(seq.get(i)).as("order of %s: %s", id, seq).isGreaterThan(seq.get(i - 1));
                }
            });
            HealthEvent change = all.stream().filter(e -> e.backendId().equals("flaky")
                    && e.status() == HealthStatus.UNHEALTHY)
                    .findFirst().orElseThrow();
            Figures.record("broker outage 20 s: status change of a backend that failed during the outage published "
                    + recovered.toMillis() + " ms after the broker restarted (checked at " + change.checkedAt() + ")");
        }
    }

    @Test
    void killingOneOfThreeBrokersPausesPublishingBriefly() throws Exception {
        BrokerProcesses cluster = resources.closeLater(BrokerProcesses.start(3));
        KafkaSettings settings = KafkaSettings.of(cluster.bootstrapServers());
        try (TopicAdmin admin = new TopicAdmin(settings, Topics.DEFAULTS)) {
            admin.createTopics(3, (short) 3);
        }
        List<String> ids = register(settings, 10);
        resources.closeLater(monitor(settings));
        TopicTail tail = resources.closeLater(new TopicTail(settings, Topics.DEFAULTS.events()));
        await().atMost(Duration.ofSeconds(60)).until(() -> events(tail.records()).stream()
                .map(HealthEvent::backendId).collect(Collectors.toSet()).containsAll(ids));

        int leader;
        try (Admin admin = Admin.create(settings.admin())) {
            TopicDescription events = admin.describeTopics(Set.of(Topics.DEFAULTS.events())).allTopicNames()
                    .get(10, TimeUnit.SECONDS).get(Topics.DEFAULTS.events());
            leader = events.partitions().get(0).leader().id();
        }
        long killedAt = System.nanoTime();
        int before = tail.records().size();
        cluster.kill(leader);

        await().atMost(Duration.ofSeconds(60)).until(() -> events(tail.records().subList(before, tail.records().size()))
                .stream().map(HealthEvent::backendId).collect(Collectors.toSet()).containsAll(ids));
        Duration allBack = Duration.ofNanos(System.nanoTime() - killedAt);
        Duration pause = tail.longestArrivalGap(killedAt);
        Figures.record("3 brokers, leader of health-events-0 (node " + leader
                + ") killed: longest pause in published events "
                + pause.toMillis() + " ms; every backend published again within " + allBack.toMillis() + " ms");
        assertThat(pause).as("leader election, not an outage").isLessThan(Duration.ofSeconds(30));
    }
}
