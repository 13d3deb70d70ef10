package dev.healthmon.it;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.MonitorConfig;
import dev.healthmon.MonitorService;
import dev.healthmon.events.DeadLetter;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.TopicAdmin;
import dev.healthmon.kafka.Topics;
import dev.healthmon.monitor.CircuitBreakerSettings;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registry.RegistryWriter;
import dev.healthmon.support.CliRun;
import dev.healthmon.support.CountingBackend;
import dev.healthmon.support.KafkaFixture;
import dev.healthmon.support.Resources;
import dev.healthmon.support.TopicTail;
import dev.healthmon.target.TargetPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Against a real broker: records the monitor cannot apply all reach the dead-letter topic, however
 * large, before their offsets are committed; and one backend id has one registration, whichever
 * partitioner wrote it. Each test has its own topics and group.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RegistryIntegrityIT {

    private static final int PARTITIONS = 4;
    private static final AtomicInteger testCounter = new AtomicInteger();
    private static KafkaFixture kafka;
    private static KafkaSettings settings;
    private static CountingBackend backend;

    private final Resources resources = new Resources();
    private Topics topics;
    private String group;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = KafkaFixture.start(PARTITIONS); // its default topics stay unused: each test has its own
        settings = kafka.settings();
        backend = kafka.backend();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        kafka.close();
    }

    @BeforeEach
    void createTopics() {
        int n = testCounter.incrementAndGet();
        topics = new Topics("ri-registry-" + n, "ri-events-" + n, "ri-dlq-" + n, "ri-status-" + n,
                "ri-transitions-" + n, "ri-events-dlq-" + n);
        group = "healthmon-ri-" + n;
        try (TopicAdmin admin = new TopicAdmin(settings, topics)) {
            admin.createTopics(PARTITIONS, (short) 1);
        }
    }

    @AfterEach
    void closeResources() throws Exception {
        resources.close();
    }

    private MonitorService startMonitor(String id) {
        return resources.closeLater(startUnmanagedMonitor(id));
    }

    /** A monitor the test closes itself. */
    private MonitorService startUnmanagedMonitor(String id) {
        MonitorConfig config = new MonitorConfig(settings, topics, group, "classic", id, CheckDefaults.STANDARD,
                CircuitBreakerSettings.DEFAULTS, TargetPolicy.DEFAULT, Duration.ofMillis(500), Duration.ofSeconds(10),
                10_000);
        return MonitorService.start(config, new SimpleMeterRegistry());
    }

    private byte[] registration(String id, String path) {
        return bytes(json(id, backend.url(path), j -> ((ObjectNode) j.get("healthCheck"))
                .put("intervalMs", 500).put("timeoutMs", 300).put("jitterPercent", 0)));
    }

    /** A value the codec refuses (no url), padded with spaces to {@code size} bytes. */
    private static byte[] invalidOfSize(String id, int size) {
        byte[] head = ("{\"schemaVersion\":1,\"id\":\"" + id + "\",\"pad\":\"").getBytes(StandardCharsets.UTF_8);
        byte[] value = new byte[size];
        Arrays.fill(value, (byte) ' ');
        System.arraycopy(head, 0, value, 0, head.length);
        value[size - 2] = '"';
        value[size - 1] = '}';
        return value;
    }

    /** Writes raw records as a foreign client would: explicit partition, any compression, large requests. */
    private void produce(String compression, ProducerRecord<byte[], byte[]> record) throws Exception {
        Map<String, Object> props = settings.producer("it-raw");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            producer.send(record).get(30, TimeUnit.SECONDS);
        }
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static String sha256(byte[] value) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value));
    }

    private long committed(int partition) throws Exception {
        try (Admin admin = Admin.create(settings.admin())) {
            OffsetAndMetadata done = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS).get(new TopicPartition(topics.registry(), partition));
            return done == null ? -1 : done.offset();
        }
    }

    @Test
    void oversizedInvalidRecordsReachTheDeadLetterTopicCutToFitWithTheirSizeAndHash() throws Exception {
        int dlqLimit = 200_000; // below both values: proves the topic's own limit is read
        try (Admin admin = Admin.create(settings.admin())) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topics.registryDlq()),
                    List.of(new AlterConfigOp(new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                            Integer.toString(dlqLimit)), AlterConfigOp.OpType.SET)))).all().get(10, TimeUnit.SECONDS);
        }
        try (TopicAdmin admin = new TopicAdmin(settings, topics)) { // KRaft brokers apply the change a moment later
            await().atMost(Duration.ofSeconds(10)).until(() -> admin.maxMessageBytes(topics.registryDlq()) == dlqLimit);
        }
        startMonitor("m1");
        TopicTail dlq = resources.closeLater(new TopicTail(settings, topics.registryDlq()));
        byte[] nearOneMb = invalidOfSize("near-1mb", 1_048_000);
        byte[] fiveMbGzipped = invalidOfSize("five-mb", 5 * 1024 * 1024);
        produce("none", new ProducerRecord<>(topics.registry(), 1, key("near-1mb"), nearOneMb));
        produce("gzip", new ProducerRecord<>(topics.registry(), 1, key("five-mb"), fiveMbGzipped));
        produce("none", new ProducerRecord<>(topics.registry(), 1, key("after"), registration("after", "/after")));

        await().atMost(Duration.ofSeconds(60)).until(() -> dlq.records().size() >= 2);

        assertThat(dlq.records()).hasSize(2);
        for (ConsumerRecord<byte[], byte[]> letter : dlq.records()) {
            boolean near = "near-1mb".equals(new String(letter.key(), StandardCharsets.UTF_8));
            byte[] original = near ? nearOneMb : fiveMbGzipped;
            assertThat(header(letter, DeadLetter.ORIGINAL_SIZE_HEADER)).isEqualTo(Integer.toString(original.length));
            assertThat(header(letter, DeadLetter.ORIGINAL_SHA256_HEADER)).isEqualTo(sha256(original));
            assertThat(header(letter, DeadLetter.TRUNCATED_HEADER)).isEqualTo("true");
            assertThat(header(letter, DeadLetter.ERROR_HEADER)).contains(near ? "url: is required" : "5242880 bytes");
            assertThat(header(letter, DeadLetter.SOURCE_TOPIC_HEADER)).isEqualTo(topics.registry());
            assertThat(header(letter, DeadLetter.SOURCE_PARTITION_HEADER)).isEqualTo("1");
            assertThat(letter.value().length).isLessThan(dlqLimit).isGreaterThan(dlqLimit / 2);
            assertThat(letter.value()).isEqualTo(Arrays.copyOf(original, letter.value().length));
        }
        assertThat(dlq.records()).extracting(r -> header(r, DeadLetter.SOURCE_OFFSET_HEADER))
                .containsExactlyInAnyOrder("0", "1");
        await().atMost(Duration.ofSeconds(30)).until(() -> committed(1) == 3);
    }

    @Test
    void deregisterRemovesARegistrationWrittenToAnotherPartitionAndItIsNotCheckedAfterARestart() throws Exception {
        String id = "crc32-written";
        int home = RegistryWriter.homePartition(id, PARTITIONS);
        int elsewhere = (home + 1) % PARTITIONS; // where kcat's CRC32 partitioner could have put it
        produce("none", new ProducerRecord<>(topics.registry(), elsewhere, key(id), registration(id, "/crc32")));
        MonitorService first = startUnmanagedMonitor("m1");
        await().atMost(Duration.ofSeconds(30)).until(() -> first.activeChecks().containsKey(id));

        CliRun deregistered = CliRun.of("deregister", "--bootstrap-servers", kafka.bootstrapServers(),
                "--registry-topic", topics.registry(), id);

        assertThat(deregistered.exit()).as(deregistered.err()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> !first.activeChecks().containsKey(id));
        first.close();
        TopicTail registry = resources.closeLater(new TopicTail(settings, topics.registry()));
        registry.awaitCaughtUp(settings, topics.registry());
        assertThat(registry.records()).filteredOn(r -> r.partition() == elsewhere).last()
                .satisfies(r -> assertThat(r.value()).as("its own partition ends with a tombstone").isNull());

        MonitorService restarted = startMonitor("m2");
        await().atMost(Duration.ofSeconds(30)).until(restarted::ready);
        assertThat(restarted.activeChecks()).doesNotContainKey(id);
    }

    @Test
    void registerReplacesARegistrationLivingInAnotherPartition() throws Exception {
        String id = "moved";
        int home = RegistryWriter.homePartition(id, PARTITIONS);
        int elsewhere = (home + 1) % PARTITIONS;
        produce("none", new ProducerRecord<>(topics.registry(), elsewhere, key(id), registration(id, "/old-home")));

        try (RegistryWriter writer = new RegistryWriter(settings, topics.registry())) {
            assertThat(writer.register(id, registration(id, "/new-home")).partition()).isEqualTo(home);
        }
        MonitorService monitor = startMonitor("m1");
        await().atMost(Duration.ofSeconds(30)).until(monitor::ready);

        assertThat(monitor.activeChecks()).containsKey(id);
        assertThat(monitor.activeChecks().get(id).version().partition()).isEqualTo(home);
        TopicTail registry = resources.closeLater(new TopicTail(settings, topics.registry()));
        registry.awaitCaughtUp(settings, topics.registry());
        assertThat(registry.records()).filteredOn(r -> r.partition() == elsewhere).last()
                .satisfies(r -> assertThat(r.value()).as("the old one's partition ends with a tombstone").isNull());
    }
}
