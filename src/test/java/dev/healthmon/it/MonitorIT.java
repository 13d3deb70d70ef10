package dev.healthmon.it;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import dev.healthmon.MonitorConfig;
import dev.healthmon.MonitorService;
import dev.healthmon.events.DeadLetter;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.kafka.EmbeddedKafka;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.TopicAdmin;
import dev.healthmon.kafka.Topics;
import dev.healthmon.monitor.CircuitBreakerSettings;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registry.RegistryWriter;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.support.CountingBackend;
import dev.healthmon.support.DeclaredSecrets;
import dev.healthmon.support.McpTestServer;
import dev.healthmon.support.Resources;
import dev.healthmon.support.Schemas;
import dev.healthmon.support.TopicTail;
import dev.healthmon.target.TargetPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * The monitor end to end against a real Apache Kafka broker (KRaft, in-process, shared by the
 * class). Each test uses its own topics and consumer group, so tests cannot see each other's data.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MonitorIT {

    private static final int PARTITIONS = 4;
    private static final AtomicInteger testCounter = new AtomicInteger();
    private static EmbeddedKafka kafka;
    private static KafkaSettings settings;
    private static CountingBackend backend;

    private final HealthEventCodec eventCodec = new HealthEventCodec(new ObjectMapper());
    private final Resources resources = new Resources();
    private Topics topics;
    private String group;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = EmbeddedKafka.start(OptionalInt.empty());
        settings = KafkaSettings.of(kafka.bootstrapServers());
        backend = new CountingBackend();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        backend.close();
        kafka.close();
    }

    @BeforeEach
    void createTopics() {
        int n = testCounter.incrementAndGet();
        topics = new Topics("registry-" + n, "events-" + n, "dlq-" + n, "status-" + n, "transitions-" + n,
                "events-dlq-" + n);
        group = "healthmon-it-" + n;
        try (TopicAdmin admin = new TopicAdmin(settings, topics)) {
            admin.createTopics(PARTITIONS, (short) 1);
        }
    }

    @AfterEach
    void closeResources() throws Exception {
        resources.close();
    }

    private MonitorService startMonitor(String id) {
        return startMonitor(id, "classic");
    }

    private MonitorService startMonitor(String id, String groupProtocol) {
        return startMonitor(id, groupProtocol, SecretCatalog.EMPTY);
    }

    private MonitorService startMonitor(String id, String groupProtocol, SecretCatalog secrets) {
        MonitorConfig config = new MonitorConfig(settings, topics, group, groupProtocol, id, CheckDefaults.STANDARD,
                CircuitBreakerSettings.DEFAULTS, TargetPolicy.DEFAULT, Duration.ofSeconds(1), Duration.ofSeconds(10),
                10_000, secrets);
        return resources.closeLater(MonitorService.start(config, new SimpleMeterRegistry()));
    }

    private RegistryWriter writer() {
        return resources.closeLater(new RegistryWriter(settings, topics.registry()));
    }

    private TopicTail tail(String topic) {
        return resources.closeLater(new TopicTail(settings, topic));
    }

    private List<HealthEvent> events(TopicTail tail, String backendId) {
        return tail.records().stream().map(r -> eventCodec.decode(r.value()))
                .filter(e -> e.backendId().equals(backendId)).toList();
    }

    /** A fast-checking registration of {@code path} on the shared test backend. */
    private byte[] registration(String id, String path) {
        return bytes(json(id, backend.url(path),
                j -> ((ObjectNode) j.get("healthCheck"))
                .put("intervalMs", 500).put("timeoutMs", 300).put("jitterPercent", 0)));
    }

    @Test
    void publishesASchemaValidHealthEventSoonAfterRegistration() {
        startMonitor("m1");
        TopicTail events = tail(topics.events());
        long offset = writer().register("api", registration("api", "/api")).offset();

        await().atMost(Duration.ofSeconds(20)).until(() -> !events(events, "api").isEmpty());

        ConsumerRecord<byte[], byte[]> record = events.records().get(0);
        Schema schema = Schemas.load("health-event.v1.schema.json");
        assertThat(Schemas.validate(schema, record.value())).isEmpty();
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("api");
        HealthEvent event = eventCodec.decode(record.value());
        assertThat(event.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(event.monitorId()).isEqualTo("m1");
        assertThat(event.registration().offset()).isEqualTo(offset);
        assertThat(event.ownerEpoch()).isPositive();
    }

    @Test
    void afterAUrlChangeOnlyTheNewUrlIsChecked() {
        startMonitor("m1");
        TopicTail events = tail(topics.events());
        RegistryWriter writer = writer();
        writer.register("moving", registration("moving", "/old"));
        await().atMost(Duration.ofSeconds(20)).until(() -> events(events, "moving").size() >= 2);

        long newOffset = writer.register("moving", registration("moving", "/new")).offset();
        await().atMost(Duration.ofSeconds(20))
                .until(() -> events(events, "moving").stream().anyMatch(e -> e.registration().offset() == newOffset));
        int oldHitsAtSwitch = backend.hits("/old");
        await().atMost(Duration.ofSeconds(20)).until(() -> events(events, "moving").stream()
                .filter(e -> e.registration().offset() == newOffset).count() >= 4);

        List<HealthEvent> all = events(events, "moving");
        int firstNew = IntStream.range(0, all.size()).filter(i -> all.get(i).registration().offset() == newOffset)
                .findFirst().orElseThrow();
        assertThat(all.subList(firstNew, all.size())).allSatisfy(e
                -> assertThat(e.registration().offset()).isEqualTo(newOffset));
        assertThat(all.get(firstNew).sequence()).as("the new check starts a new lifetime").isEqualTo(1);
        assertThat(backend.hits("/old")).as("no request to the old URL after the switch").isEqualTo(oldHitsAtSwitch);
    }

    @Test
    void tombstoneStopsTheChecks() {
        MonitorService monitor = startMonitor("m1");
        TopicTail events = tail(topics.events());
        RegistryWriter writer = writer();
        writer.register("leaving", registration("leaving", "/leaving"));
        await().atMost(Duration.ofSeconds(20)).until(() -> !events(events, "leaving").isEmpty());

        writer.deregister("leaving");
        await().atMost(Duration.ofSeconds(20)).until(() -> !monitor.activeChecks().containsKey("leaving"));
        int hitsAfterStop = backend.hits("/leaving");
        int eventsAfterStop = events(events, "leaving").size();

        // Absence over four intervals: the check would have run at least three more times.
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                .until(() -> backend.hits("/leaving") == hitsAfterStop);
        assertThat(events(events, "leaving")).hasSize(eventsAfterStop);
    }

    @Test
    void invalidRecordGoesToTheDeadLetterTopicAndConsumptionContinues() throws Exception {
        startMonitor("m1");
        TopicTail events = tail(topics.events());
        TopicTail dlq = tail(topics.registryDlq());
        RegistryWriter writer = writer();
        byte[] mismatched = registration("not-the-key", "/x");
        long badOffset = writer.register("the-key", mismatched).offset();
        writer.register("after-bad", registration("after-bad", "/after-bad"));

        await().atMost(Duration.ofSeconds(20)).until(() -> !dlq.records().isEmpty()
                && !events(events, "after-bad").isEmpty());

        ConsumerRecord<byte[], byte[]> letter = dlq.records().get(0);
        assertThat(letter.key()).isEqualTo("the-key".getBytes(StandardCharsets.UTF_8));
        assertThat(letter.value()).isEqualTo(mismatched);
        assertThat(header(letter, DeadLetter.ERROR_HEADER)).contains("id: must equal the record key");
        assertThat(header(letter, DeadLetter.SOURCE_OFFSET_HEADER)).isEqualTo(Long.toString(badOffset));
        assertThat(header(letter, DeadLetter.SOURCE_PARTITION_HEADER)).matches("\\d+");
    }

    @Test
    void invalidUpdateLeavesThePreviousRegistrationInForce() {
        startMonitor("m1");
        TopicTail events = tail(topics.events());
        TopicTail dlq = tail(topics.registryDlq());
        RegistryWriter writer = writer();
        long goodOffset = writer.register("steady", registration("steady", "/steady")).offset();
        await().atMost(Duration.ofSeconds(20)).until(() -> !events(events, "steady").isEmpty());

        writer.register("steady", "{\"schemaVersion\":1,\"id\":\"steady\"}".getBytes(StandardCharsets.UTF_8));
        await().atMost(Duration.ofSeconds(20)).until(() -> !dlq.records().isEmpty());
        int seen = events(events, "steady").size();

        await().atMost(Duration.ofSeconds(20)).until(() -> events(events, "steady").size() >= seen + 3);
        assertThat(events(events, "steady")).allSatisfy(e
                -> assertThat(e.registration().offset()).isEqualTo(goodOffset));
    }

    @Test
    void twoMonitorsInOneGroupCheckEachBackendExactlyOnce() {
        MonitorService first = startMonitor("m1");
        RegistryWriter writer = writer();
        Set<String> ids = IntStream.range(0, 16).mapToObj(i -> "split-" + i).collect(Collectors.toSet());
        ids.forEach(id -> writer.register(id, registration(id, "/" + id)));
        await().atMost(Duration.ofSeconds(20)).until(() -> first.activeChecks().keySet().equals(ids));

        MonitorService second = startMonitor("m2");
        await().atMost(Duration.ofSeconds(40)).until(() -> {
            Set<String> a = first.activeChecks().keySet();
            Set<String> b = second.activeChecks().keySet();
            Set<String> union = new HashSet<>(a);
            union.addAll(b);
            return !a.isEmpty() && !b.isEmpty() && union.equals(ids) && a.stream().noneMatch(b::contains);
        });

        // After the group settled, each backend's events come from one monitor only.
        TopicTail events = tail(topics.events());
        await().atMost(Duration.ofSeconds(20)).until(() -> ids.stream().allMatch(id -> events(events, id).size() >= 8));
        Map<String, Set<String>> checkers = events.records().stream().map(r -> eventCodec.decode(r.value()))
                .filter(e -> e.checkedAt().isAfter(Instant.now().minusSeconds(2)))
                .collect(Collectors.groupingBy(HealthEvent::backendId,
                Collectors.mapping(HealthEvent::monitorId, Collectors.toSet())));
        assertThat(checkers).hasSize(ids.size());
        assertThat(checkers.values()).allSatisfy(monitors -> assertThat(monitors).hasSize(1));
        assertThat(checkers.values().stream().flatMap(Set::stream).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("m1", "m2");
    }

    @Test
    void closedMonitorPublishesNothingMoreAndItsBackendsMoveAtOnce() throws Exception {
        MonitorService leaving = MonitorService.start(new MonitorConfig(settings, topics, group, "classic", "leaving",
                CheckDefaults.STANDARD, CircuitBreakerSettings.DEFAULTS, TargetPolicy.DEFAULT, Duration.ofSeconds(1),
                Duration.ofSeconds(10),
                10_000), new SimpleMeterRegistry());
        MonitorService staying = startMonitor("staying");
        TopicTail events = tail(topics.events());
        RegistryWriter writer = writer();
        Set<String> ids = IntStream.range(0, 8).mapToObj(i -> "handover-" + i).collect(Collectors.toSet());
        ids.forEach(id -> writer.register(id, registration(id, "/" + id)));
        await().atMost(Duration.ofSeconds(30)).until(() -> !leaving.activeChecks().isEmpty()
                && !staying.activeChecks().isEmpty()
                && leaving.activeChecks().size() + staying.activeChecks().size() == ids.size());

        leaving.close();
        events.awaitCaughtUp(settings, topics.events());
        long publishedByLeaving = events.records().stream().filter(r
                -> eventCodec.decode(r.value()).monitorId().equals("leaving")).count();

        // Leaving the group hands its partitions over without waiting for the session timeout (10 s).
        await().atMost(Duration.ofSeconds(8)).until(() -> staying.activeChecks().keySet().equals(ids));
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> events.records().stream()
                .filter(r -> eventCodec.decode(r.value()).monitorId().equals("leaving")).count() == publishedByLeaving);
    }

    @Test
    void mcpBackendIsCheckedOverMcpAndItsEventsCarryTheNegotiatedProtocol() throws Exception {
        McpTestServer server = resources.closeLater(McpTestServer.start(McpTestServer.Kind.STREAMABLE_HTTP, false));
        startMonitor("m1");
        TopicTail events = tail(topics.events());
        writer().register("mcp", bytes(json("mcp", server.url(), j -> {
            j.put("transport", "streamable-http");
            // A generous timeout: the in-process test server's own cold start must not fail the first check.
            ((ObjectNode) j.get("healthCheck")).put("intervalMs",
                    2500).put("timeoutMs", 2000);
        })));

        await().atMost(Duration.ofSeconds(20)).until(() -> events(events, "mcp").size() >= 2);

        Schema schema = Schemas.load("health-event.v1.schema.json");
        assertThat(events.records()).allSatisfy(r -> assertThat(Schemas.validate(schema, r.value())).isEmpty());
        assertThat(events(events, "mcp")).allSatisfy(e -> {
            assertThat(e.status()).isEqualTo(HealthStatus.HEALTHY);
            assertThat(e.mcp()).hasValueSatisfying(info -> assertThat(info.serverName()).isEqualTo("test-mcp-server"));
        });
        assertThat(server.requests("initialize")).as("one session, reused by every check").isEqualTo(1);
    }

    /**
     * Everything a log line can carry to an appender: the message, its key-value pairs and MDC, and the whole logged
     * exception (stack trace, causes and suppressed ones, as an appender would print them).
     */
    private static String rendered(ILoggingEvent line) {
        StringBuilder all = new StringBuilder(line.getFormattedMessage());
        all.append(' ').append(line.getKeyValuePairs()).append(' ').append(line.getMDCPropertyMap());
        if (line.getThrowableProxy() != null) {
            all.append('\n').append(ThrowableProxyUtil.asString(line.getThrowableProxy()));
        }
        return all.toString();
    }

    @Test
    void secretsNeverAppearInLogsEventsOrDeadLetterHeaders(@TempDir Path dir) throws Exception {
        String secret = "s3cr3t-" + UUID.randomUUID();
        Path good = Files.writeString(dir.resolve("token"), secret + "\n");
        Path broken = Files.writeString(dir.resolve("broken"), secret + "\nsecond line\n");
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        Logger mcpSdk = (Logger) LoggerFactory.getLogger("io.modelcontextprotocol");
        Level mcpSdkLevel = mcpSdk.getLevel();
        root.setLevel(Level.DEBUG);
        mcpSdk.setLevel(Level.DEBUG);
        logs.start();
        root.addAppender(logs);
        McpTestServer mcpServer = resources.closeLater(McpTestServer.start(McpTestServer.Kind.SSE, false));
        mcpServer.behaviour().requiredAuthorization = () -> "Bearer " + secret;
        try {
            startMonitor("m1", "classic", DeclaredSecrets.catalog(DeclaredSecrets.toLoopback("good", "file:" + good),
                    DeclaredSecrets.toLoopback("broken", "file:" + broken)));
            TopicTail events = tail(topics.events());
            TopicTail dlq = tail(topics.registryDlq());
            RegistryWriter writer = writer();
            writer.register("with-secret", bytes(json("with-secret", backend.url("/with-secret"),
                    j -> j.putObject("auth")
                    .put("type", "bearer").put("secretRef", "good"))));
            writer.register("broken-secret", bytes(json("broken-secret", backend.url("/broken"),
                    j -> j.putObject("auth")
                    .put("type", "header").put("header", "X-Api-Key").put("secretRef", "broken"))));
            writer.register("pasted", bytes(json("pasted", backend.url("/pasted"), j -> j.putObject("auth")
                    .put("type", "bearer").put("secretRef", secret))));
            writer.register("mcp-with-secret", bytes(json("mcp-with-secret", mcpServer.url(),
                    j -> j.put("transport", "sse")
                    .putObject("auth").put("type", "bearer").put("secretRef", "good"))));

            await().atMost(Duration.ofSeconds(20)).until(() -> events(events, "with-secret").size() >= 2
                    && events(events, "broken-secret").size() >= 2 && !dlq.records().isEmpty()
                    && events(events, "mcp-with-secret").stream().anyMatch(e -> e.mcp().isPresent()));

            assertThat(events(events, "broken-secret").get(0).failure())
                    .hasValueSatisfying(f -> assertThat(f.message()).contains("not allowed in an HTTP header"));
            List<ILoggingEvent> logged;
            synchronized (logs) { // the appender adds under this lock while the monitor runs
                logged = new ArrayList<>(logs.list);
            }
            assertThat(logged).isNotEmpty().allSatisfy(line -> assertThat(rendered(line)).doesNotContain(secret));
            assertThat(events.records()).allSatisfy(r -> assertThat(new String(r.value(),
                    StandardCharsets.UTF_8)).doesNotContain(secret));
            assertThat(dlq.records()).allSatisfy(r -> r.headers().forEach(h ->
                    assertThat(new String(h.value(), StandardCharsets.UTF_8)).doesNotContain(secret)));
        } finally {
            root.detachAppender(logs);
            root.setLevel(Level.INFO);
            mcpSdk.setLevel(mcpSdkLevel);
        }
    }

    @ParameterizedTest(name = "group.protocol={0}")
    @ValueSource(strings = {"classic", "consumer"})
    void newOwnerPublishesANewerEpochAndUnmovedChecksKeepRunning(String protocol) {
        MonitorService first = startMonitor("first", protocol);
        TopicTail events = tail(topics.events());
        RegistryWriter writer = writer();
        Set<String> ids = IntStream.range(0, 12).mapToObj(i -> "epoch-" + i).collect(Collectors.toSet());
        ids.forEach(id -> writer.register(id, registration(id, "/" + id)));
        await().atMost(Duration.ofSeconds(30)).until(() -> first.activeChecks().keySet().equals(ids)
                && ids.stream().allMatch(id -> !events(events, id).isEmpty()));
        int firstEpoch = events.records().stream().map(r
                -> eventCodec.decode(r.value()).ownerEpoch()).max(Integer::compare).orElseThrow();
        Map<String, Long> generationsBefore = first.activeChecks().values().stream()
                .collect(Collectors.toMap(c -> c.backendId(), c -> c.generation()));

        MonitorService second = startMonitor("second", protocol);
        await().atMost(Duration.ofSeconds(60)).until(() -> !second.activeChecks().isEmpty()
                && first.activeChecks().size() + second.activeChecks().size() == ids.size()
                && second.activeChecks().keySet().stream().allMatch(id -> events(events, id).stream()
                        .anyMatch(e -> e.monitorId().equals("second"))));

        assertThat(events.records()).map(r -> eventCodec.decode(r.value())).filteredOn(e
                -> e.monitorId().equals("second"))
                .isNotEmpty().allSatisfy(e -> assertThat(e.ownerEpoch()).isGreaterThan(firstEpoch));
        assertThat(first.activeChecks().values()).as("checks of partitions that did not move were not restarted")
                .isNotEmpty().allSatisfy(c
                -> assertThat(c.generation()).isEqualTo(generationsBefore.get(c.backendId())));
    }

    @Test
    void eventsLandInThePartitionOfTheRegistrationNotTheKeyHash() throws Exception {
        startMonitor("m1");
        TopicTail events = tail(topics.events());
        String id = "kcat-written";
        int javaDefault = Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
        int elsewhere = (javaDefault + 1) % PARTITIONS;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings.producer("it-foreign"))) {
            producer.send(new ProducerRecord<>(topics.registry(), elsewhere, id.getBytes(StandardCharsets.UTF_8),
                    registration(id, "/foreign"))).get(10, TimeUnit.SECONDS);
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> events.records().stream()
                .anyMatch(r -> new String(r.key(), StandardCharsets.UTF_8).equals(id)));

        assertThat(events.records()).filteredOn(r -> new String(r.key(), StandardCharsets.UTF_8).equals(id))
                .allSatisfy(r -> assertThat(r.partition()).isEqualTo(elsewhere));
    }

    @Test
    void refusesToStartWhenEventsAndRegistryPartitionCountsDiffer() throws Exception {
        Topics mismatched = new Topics(topics.registry() + "-m", topics.events() + "-m", topics.registryDlq(),
                topics.status(), topics.transitions(), topics.eventsDlq());
        try (Admin admin = Admin.create(settings.admin())) {
            admin.createTopics(List.of(new NewTopic(mismatched.registry(), 3, (short) 1),
                    new NewTopic(mismatched.events(), 2, (short) 1))).all().get(10, TimeUnit.SECONDS);
        }
        MonitorConfig config = new MonitorConfig(settings, mismatched, group, "classic", "m1", CheckDefaults.STANDARD,
                CircuitBreakerSettings.DEFAULTS, TargetPolicy.DEFAULT, Duration.ofSeconds(1), Duration.ofSeconds(10),
                10_000);

        assertThatThrownBy(() -> MonitorService.start(config, new SimpleMeterRegistry()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(mismatched.events() + " has 2 partitions")
                .hasMessageContaining(mismatched.registry() + " has 3");
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}
