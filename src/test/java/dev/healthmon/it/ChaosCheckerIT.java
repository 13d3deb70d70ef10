package dev.healthmon.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.chaos.ChaosChecker;
import dev.healthmon.chaos.ChaosChecker.MonitorCounters;
import dev.healthmon.chaos.ChaosChecker.Violation;
import dev.healthmon.chaos.ChaosChecker.Window;
import dev.healthmon.kafka.Topics;
import dev.healthmon.support.KafkaFixture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The chaos run's checker can fail: topics written by hand with one breach of each rule, and
 * each breach reported with its evidence (the chaos runs themselves only show it passing, or
 * failing on rules 5 and 6).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChaosCheckerIT {

    private final ObjectMapper json = new ObjectMapper();
    private final Topics topics = Topics.DEFAULTS;
    private final Instant t0 = Instant.now().minusSeconds(300);

    @Test
    void theCheckerReportsABreachOfEachRuleWithItsEvidence() throws Exception {
        try (KafkaFixture fixture = KafkaFixture.start(1);
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(fixture.settings().producer("checker-it"))) {
            send(producer, topics.registry(), "a", "{}".getBytes(StandardCharsets.UTF_8)); // offset 0
            send(producer, topics.registry(), "gone", "{}".getBytes(StandardCharsets.UTF_8)); // offset 1
            send(producer, topics.registry(), "gone", null);
            // Backend a, owner m1/epoch 1/reg 0:0: sequences 1, 2, 4, 3 (a hole its counters do not
            // explain, and a step back), then a second monitor m2 in the settled window, then nothing
            // for 4 minutes (the gap).
            event(producer, "a", 1, "m1", 1, 0);
            event(producer, "a", 2, "m1", 1, 1);
            event(producer, "a", 4, "m1", 1, 2);
            event(producer, "a", 3, "m1", 1, 3);
            event(producer, "a", 1, "m2", 2, 10);
            event(producer, "a", 2, "m2", 2, 12);
            // The status names m1's first event, not the fold's last (m2 seq 2); gone keeps a status.
            status(producer, "a", "m1", 1, 0, "HEALTHY");
            status(producer, "gone", "m1", 1, 0, "HEALTHY");
            // With a 20 s status heartbeat, checked by m3 under registrations 3, 4, 5: b's change to UNHEALTHY at
            // 1 s has no record of its own (only the 2 s one says UNHEALTHY); c's last record is 5 s older than its
            // last event, within the heartbeat; d's is 30 s older, beyond it.
            send(producer, topics.registry(), "b", "{}".getBytes(StandardCharsets.UTF_8)); // offset 3
            send(producer, topics.registry(), "c", "{}".getBytes(StandardCharsets.UTF_8)); // offset 4
            send(producer, topics.registry(), "d", "{}".getBytes(StandardCharsets.UTF_8)); // offset 5
            event(producer, "b", 3, 1, "m3", 0, "HEALTHY");
            event(producer, "b", 3, 2, "m3", 1, "UNHEALTHY");
            event(producer, "b", 3, 3, "m3", 2, "UNHEALTHY");
            status(producer, "b", 3, "m3", 0, "HEALTHY");
            status(producer, "b", 3, "m3", 2, "UNHEALTHY");
            event(producer, "c", 4, 1, "m3", 0, "HEALTHY");
            event(producer, "c", 4, 2, "m3", 5, "HEALTHY");
            status(producer, "c", 4, "m3", 0, "HEALTHY");
            event(producer, "d", 5, 1, "m3", 0, "HEALTHY");
            event(producer, "d", 5, 2, "m3", 30, "HEALTHY");
            status(producer, "d", 5, "m3", 0, "HEALTHY");
            // A failover while the aggregator shows DEGRADED: the new owner m6 (epoch 2) fails first (UNKNOWN on the
            // monitor; the aggregator keeps DEGRADED and publishes for the new owner), then succeeds (DEGRADED on the
            // monitor again). The aggregator's view does not change at m6's seq 2, so nothing is published: no breach.
            send(producer, topics.registry(), "e", "{}".getBytes(StandardCharsets.UTF_8)); // offset 6
            event(producer, "e", 6, 1, "m5", 1, 0, "DEGRADED", "DEGRADED");
            event(producer, "e", 6, 1, "m6", 2, 3, "UNHEALTHY", "UNKNOWN");
            event(producer, "e", 6, 2, "m6", 2, 5, "DEGRADED", "DEGRADED");
            status(producer, "e", 6, "m5", 1, 0, "DEGRADED");
            status(producer, "e", 6, "m6", 2, 3, "DEGRADED");
            // The same failover from HEALTHY: at m6's seq 2 the aggregator changes to DEGRADED and that record is
            // missing (the later one at 8 s hides it from rule 5 (a)): a lost change where the excuse ends.
            send(producer, topics.registry(), "f", "{}".getBytes(StandardCharsets.UTF_8)); // offset 7
            event(producer, "f", 7, 1, "m5", 1, 0, "HEALTHY", "HEALTHY");
            event(producer, "f", 7, 1, "m6", 2, 3, "UNHEALTHY", "UNKNOWN");
            event(producer, "f", 7, 2, "m6", 2, 5, "DEGRADED", "DEGRADED");
            event(producer, "f", 7, 3, "m6", 2, 8, "DEGRADED", "DEGRADED");
            status(producer, "f", 7, "m5", 1, 0, "HEALTHY");
            status(producer, "f", 7, "m6", 2, 3, "HEALTHY");
            status(producer, "f", 7, "m6", 2, 8, "DEGRADED");
            // g's last record is exactly one heartbeat (20 s) older than its last event: the aggregator publishes the
            // first check of each period, so the named event is always strictly less than a heartbeat older.
            send(producer, topics.registry(), "g", "{}".getBytes(StandardCharsets.UTF_8)); // offset 8
            event(producer, "g", 8, 1, "m3", 0, "HEALTHY");
            event(producer, "g", 8, 2, "m3", 20, "HEALTHY");
            status(producer, "g", 8, "m3", 0, "HEALTHY");
            // The aggregators committed health-events-0 up to the last event's offset (21), not past it: that event
            // was never consumed, whatever backend-status shows.
            commit(fixture, "checker-it-aggregator", 21);

            ChaosChecker checker = new ChaosChecker(new ChaosChecker.Scenario(fixture.bootstrapServers(),
                    topics.registry(), topics.events(), topics.status(), t0, t0.plusSeconds(250),
                    List.of(new Window(t0.plusSeconds(2), t0.plusSeconds(20), "a fault")),
                    Map.of("m1", new MonitorCounters(10, 0, 0, 0), "m2", new MonitorCounters(2, 0, 0, 0),
                            "m3", new MonitorCounters(7, 0, 0, 0)),
                    Set.of("a"), Map.of(), Duration.ofSeconds(20), Duration.ofSeconds(20), "checker-it-aggregator"));
            ChaosChecker.Report report = checker.check(Duration.ZERO);

            Map<String, List<Violation>> byRule = report.violations().stream()
                    .collect(Collectors.groupingBy(Violation::rule));
            assertThat(byRule.keySet()).containsExactlyInAnyOrder("1-acknowledged-published", "2-sequence-increases",
                    "3-one-checker-after-settle", "4-gap-within-bound", "5-status-is-the-fold",
                    "6-no-status-when-deregistered", "7-aggregator-consumed-every-event");
            assertThat(byRule.get("1-acknowledged-published")).extracting(Violation::detail).containsExactlyInAnyOrder(
                    "monitor m1 counted 10 events acknowledged, health-events holds 4",
                    "monitor m1: 1 sequence numbers missing, its counters explain 0 (MonitorCounters[published=10, "
                            + "coalesced=0, dropped=0, failed=0]); e.g. 1 missing before {m1/epoch 1/reg 0:0 seq 4 at "
                            + t0.plusSeconds(2)
                            + " outcome HEALTHY status HEALTHY @0:2} after {m1/epoch 1/reg 0:0 seq 2 at "
                            + t0.plusSeconds(1) + " outcome HEALTHY status HEALTHY @0:1}");
            assertThat(byRule.get("2-sequence-increases")).singleElement().extracting(Violation::detail).asString()
                    .contains("seq 4", "then", "seq 3");
            assertThat(byRule.get("3-one-checker-after-settle")).singleElement().extracting(Violation::detail)
                    .asString().contains("m1: 2 events", "m2: 2 events");
            assertThat(byRule.get("4-gap-within-bound")).singleElement().extracting(Violation::detail).asString()
                    .contains("238000 ms > bound 20000 ms");
            Map<String, String> fold = byRule.get("5-status-is-the-fold").stream()
                    .collect(Collectors.toMap(Violation::backend, Violation::detail));
            assertThat(fold).containsOnlyKeys("a", "b", "d", "f", "g");
            assertThat(fold.get("a")).contains("checkedBy=m1", "the fold ends on {m2/epoch 2/reg 0:0 seq 2");
            assertThat(fold.get("b")).contains("no backend-status record of the change to UNHEALTHY at {m3/epoch 1/reg "
                    + "0:3 seq 2", "records naming it: []");
            assertThat(fold.get("d")).contains("lastCheckedAt=" + t0.truncatedTo(ChronoUnit.MILLIS),
                    "the fold ends on {m3/epoch 1/reg 0:5 seq 2",
                    "heartbeat 20000 ms");
            assertThat(fold.get("f")).contains("no backend-status record of the change to DEGRADED at {m6/epoch 2/reg "
                    + "0:7 seq 2", "records naming it: []");
            assertThat(fold.get("g")).contains("lastCheckedAt=" + t0.truncatedTo(ChronoUnit.MILLIS),
                    "the fold ends on {m3/epoch 1/reg 0:8 seq 2", "heartbeat 20000 ms");
            assertThat(byRule.get("7-aggregator-consumed-every-event")).singleElement().extracting(Violation::detail)
                    .asString().startsWith("application checker-it-aggregator committed " + topics.events()
                            + "-0 up to offset 21, its last event is {m3/epoch 1/reg 0:8 seq 2");
            assertThat(byRule.get("6-no-status-when-deregistered")).singleElement().extracting(Violation::backend)
                    .isEqualTo("gone");
        }
    }

    private void event(KafkaProducer<byte[], byte[]> producer, String id, long sequence, String monitor, int epoch,
                       int secondsAfterStart) throws Exception {
        event(producer, id, 0, sequence, monitor, epoch, secondsAfterStart, "HEALTHY");
    }

    /** An event of {@code monitor} at epoch 1 for the registration at {@code registration}. */
    private void event(KafkaProducer<byte[], byte[]> producer, String id, long registration, long sequence,
                       String monitor, int secondsAfterStart, String status) throws Exception {
        event(producer, id, registration, sequence, monitor, 1, secondsAfterStart, status);
    }

    private void event(KafkaProducer<byte[], byte[]> producer, String id, long registration, long sequence,
                       String monitor, int epoch, int secondsAfterStart, String status) throws Exception {
        event(producer, id, registration, sequence, monitor, epoch, secondsAfterStart,
                "HEALTHY".equals(status) ? "HEALTHY" : "UNHEALTHY", status);
    }

    private void event(KafkaProducer<byte[], byte[]> producer, String id, long registration, long sequence,
                       String monitor, int epoch, int secondsAfterStart, String outcome, String status)
            throws Exception {
        ObjectNode e = json.createObjectNode();
        e.put("schemaVersion", 1).put("backendId", id).put("sequence", sequence).put("monitorId", monitor)
                .put("ownerEpoch", epoch).put("checkedAt", t0.plusSeconds(secondsAfterStart).toString())
                .put("outcome", outcome).put("status", status);
        e.putObject("registration").put("partition", 0).put("offset", registration);
        send(producer, topics.events(), id, json.writeValueAsBytes(e));
    }

    private void status(KafkaProducer<byte[], byte[]> producer, String id, String monitor, int epoch,
                        int secondsAfterStart, String status) throws Exception {
        status(producer, id, 0, monitor, epoch, secondsAfterStart, status);
    }

    /** A status naming {@code monitor}'s check (epoch 1) at {@code secondsAfterStart} of that registration. */
    private void status(KafkaProducer<byte[], byte[]> producer, String id, long registration, String monitor,
                        int secondsAfterStart, String status) throws Exception {
        status(producer, id, registration, monitor, 1, secondsAfterStart, status);
    }

    private void status(KafkaProducer<byte[], byte[]> producer, String id, long registration, String monitor,
                        int epoch, int secondsAfterStart, String status) throws Exception {
        ObjectNode s = json.createObjectNode();
        s.put("schemaVersion", 1).put("id", id).put("status", status).put("checkedBy", monitor).put("ownerEpoch", epoch)
                .put("lastCheckedAt", t0.plusSeconds(secondsAfterStart).toString());
        s.putObject("registration").put("partition", 0).put("offset", registration);
        send(producer, topics.status(), id, json.writeValueAsBytes(s));
    }

    /** Commits {@code offset} on health-events-0 for {@code group}, as the aggregators' Streams consumer would. */
    private void commit(KafkaFixture fixture, String group, long offset) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, fixture.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            consumer.commitSync(Map.of(new TopicPartition(topics.events(), 0), new OffsetAndMetadata(offset)),
                    Duration.ofSeconds(30));
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String key, byte[] value)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, 0, key.getBytes(StandardCharsets.UTF_8), value))
                .get(30, TimeUnit.SECONDS);
    }
}
