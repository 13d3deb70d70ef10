package dev.healthmon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.MonitorConfig;
import dev.healthmon.MonitorService;
import dev.healthmon.events.DeadLetter;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.Topics;
import dev.healthmon.monitor.CircuitBreakerSettings;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.support.BadRegistrations;
import dev.healthmon.support.BadRegistrations.Entry;
import dev.healthmon.support.HostileServer;
import dev.healthmon.support.KafkaFixture;
import dev.healthmon.support.Registrations;
import dev.healthmon.support.TopicTail;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.Header;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole registration corpus ({@link BadRegistrations}) goes through a real broker to
 * {@code backend-registry}, next to three good registrations: every bad record reaches
 * {@code backend-registry-dlq} with its reason (records lost: 0), and the good backends keep
 * being checked. One broker and one monitor for the class; the monitor runs under the corpus's
 * target policy (loopback IPv4 denied), so the good backends listen on {@code [::1]}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BadRegistrationsIT {

    private static final int GOOD = 3;
    /** Room for the corpus's value of just over 1 MiB, which must be dead-lettered, not refused by the broker. */
    private static final int MAX_RECORD_BYTES = 4 * 1024 * 1024;

    private static KafkaFixture kafka;
    private static MonitorService monitor;
    private static TopicTail dlq;
    private static TopicTail events;
    private static final List<HostileServer> goodBackends = new ArrayList<>();
    /** Where each bad record was written: partition and offset, as the DLQ headers name them. */
    private static final Map<String, Entry> written = new HashMap<>();
    private static final List<Entry> current = BadRegistrations.load(BadRegistrations.CURRENT);
    private static Instant corpusWritten;

    @BeforeAll
    static void writeTheCorpusNextToGoodBackends() throws Exception {
        kafka = KafkaFixture.start(3);
        KafkaSettings settings = kafka.settings();
        try (Admin admin = Admin.create(settings.admin())) {
            ConfigResource registry = new ConfigResource(ConfigResource.Type.TOPIC, Topics.DEFAULTS.registry());
            AlterConfigOp largerRecords = new AlterConfigOp(new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                    Integer.toString(MAX_RECORD_BYTES)), AlterConfigOp.OpType.SET);
            admin.incrementalAlterConfigs(Map.of(registry, List.of(largerRecords))).all().get(30, TimeUnit.SECONDS);
        }
        monitor = MonitorService.start(new MonitorConfig(settings, Topics.DEFAULTS, "healthmon-corpus", "classic",
                "corpus-monitor", CheckDefaults.STANDARD, CircuitBreakerSettings.DEFAULTS, BadRegistrations.POLICY,
                Duration.ofSeconds(1), Duration.ofSeconds(10), 10_000).withSecrets(BadRegistrations.SECRETS),
                new SimpleMeterRegistry());
        dlq = new TopicTail(settings, Topics.DEFAULTS.registryDlq());
        events = new TopicTail(settings, Topics.DEFAULTS.events());

        Map<String, Object> producerConfig = new HashMap<>(settings.producer("corpus-writer"));
        producerConfig.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_RECORD_BYTES);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig)) {
            for (int i = 1; i <= GOOD; i++) {
                HostileServer backend = new HostileServer(HostileServer.Mode.GOOD, InetAddress.getByName("::1"));
                goodBackends.add(backend);
                String id = "good-" + i;
                producer.send(new ProducerRecord<>(Topics.DEFAULTS.registry(), id.getBytes(StandardCharsets.UTF_8),
                        Registrations.bytes(Registrations.json(id, backend.url())))).get(30, TimeUnit.SECONDS);
            }
            // A record without a key never gets in: the broker refuses it (compacted topic); the codec test covers it.
            List<Entry> keyed = current.stream()
                    .filter(e -> e.key().isPresent()).toList();
            for (Entry entry : keyed) {
                RecordMetadata at = producer.send(new ProducerRecord<>(Topics.DEFAULTS.registry(), entry.keyBytes(),
                        entry.value())).get(30, TimeUnit.SECONDS);
                written.put(at.partition() + "@" + at.offset(), entry);
            }
        }
        corpusWritten = Instant.now();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {events, dlq, monitor}) {
            if (c != null) {
                c.close();
            }
        }
        for (HostileServer backend : goodBackends) {
            backend.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void everyBadRecordReachesTheDeadLetterTopicWithItsReason() {
        assertDeadLettered(current);
    }

    @Test
    void goodBackendsKeepBeingCheckedWhileTheCorpusIsRefused() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (int i = 1; i <= GOOD; i++) {
                String id = "good-" + i;
                List<HealthEvent> after = events(id).stream()
                        .filter(e -> e.checkedAt().isAfter(corpusWritten)).toList();
                assertThat(after).as(id + " checked after the corpus was written").hasSizeGreaterThanOrEqualTo(3);
                assertThat(after.get(after.size() - 1).status()).isEqualTo(HealthStatus.HEALTHY);
            }
        });
    }

    /** DLQ reasons by source partition@offset; filled once for both corpus files (a lost record costs one wait). */
    private static final Map<String, String> reasons = new HashMap<>();
    private static boolean collected;

    private static synchronized void collectDeadLetters() {
        if (collected) {
            return;
        }
        collected = true;
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : dlq.records()) {
                    reasons.put(header(r, DeadLetter.SOURCE_PARTITION_HEADER) + "@"
                            + header(r, DeadLetter.SOURCE_OFFSET_HEADER), header(r, DeadLetter.ERROR_HEADER));
                }
                return reasons.keySet().containsAll(written.keySet());
            });
        } catch (ConditionTimeoutException e) {
            // some never came: each test names its own
        }
    }

    private static void assertDeadLettered(List<Entry> entries) {
        collectDeadLetters();
        List<String> lost = new ArrayList<>();
        List<String> wrongReason = new ArrayList<>();
        written.forEach((at, entry) -> {
            if (!entries.contains(entry)) {
                return;
            }
            String reason = reasons.get(at);
            if (reason == null) {
                lost.add(entry.name());
            } else if (!reason.contains(entry.expect())) {
                wrongReason.add(entry.name() + ": " + reason);
            }
        });
        assertThat(lost).as("records lost (not in the DLQ) of " + entries.size()).isEmpty();
        assertThat(wrongReason).as("DLQ reason without the expected fragment").isEmpty();
    }

    private static List<HealthEvent> events(String backendId) {
        HealthEventCodec codec = new HealthEventCodec(new ObjectMapper());
        return events.records().stream().map(r -> codec.decode(r.value()))
                .filter(e -> e.backendId().equals(backendId)).toList();
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
    }
}
