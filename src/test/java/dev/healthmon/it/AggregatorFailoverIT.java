package dev.healthmon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.aggregate.AggregatorSettings;
import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.kafka.Topics;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Outcome;
import dev.healthmon.support.AggregatorProcess;
import dev.healthmon.support.HealthEvents;
import dev.healthmon.support.KafkaFixture;
import dev.healthmon.support.LoopbackPorts;
import dev.healthmon.support.Registrations;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once under failure (docs/design.md §8.8): two aggregator processes share the work with a standby
 * each; one is killed with SIGKILL while a stream of health events keeps arriving. The survivor
 * answers queries for every backend during the outage, and {@code health-transitions} and
 * {@code backend-status}, read committed, hold per backend exactly the transitions and statuses its
 * events imply — none twice, none missing — also after the killed instance is restarted and rejoins.
 * The aggregators run with their default status heartbeat (docs/design.md §8.9): a status record at every
 * change and at the first check of every heartbeat period, and at no other event.
 *
 * <p>The test writes the events itself (transactionally), so the expected output is known in
 * advance: thresholds of 1 make every check decide the status, and each backend alternates runs of
 * successes and failures of its own length.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class AggregatorFailoverIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HealthEventCodec EVENTS = new HealthEventCodec(MAPPER);
    private static final int BACKENDS = 6;
    /** Steps before the kill, during the outage, and after the restart; one event per backend per step. */
    private static final int BEFORE_KILL = 30;
    private static final int TOTAL_BEFORE_RESTART = 120;
    private static final int TOTAL = 150;
    private static final Duration STEP = Duration.ofMillis(100);
    private static final Instant BASE = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofHours(1));

    @TempDir
    static Path stateDirs;
    private static KafkaFixture kafka;
    private static final Map<String, RegistrationVersion> versions = new HashMap<>();
    private static AggregatorProcess first;
    private static AggregatorProcess second;

    @BeforeAll
    static void startBrokerAndRegisterBackends() throws Exception {
        kafka = KafkaFixture.start(3);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties(Optional.empty()))) {
            for (int i = 0; i < BACKENDS; i++) {
                String id = "backend-" + i;
                ObjectNode registration = Registrations.json(id, "http://127.0.0.1:9/health", j ->
                        ((ObjectNode) j.get("healthCheck")).put("unhealthyThreshold", 1).put("healthyThreshold", 1));
                RecordMetadata written = producer.send(new ProducerRecord<>(Topics.DEFAULTS.registry(),
                        id.getBytes(StandardCharsets.UTF_8), Registrations.bytes(registration))).get();
                versions.put(id, new RegistrationVersion(written.partition(), written.offset()));
            }
        }
    }

    @AfterAll
    static void stopEverything() throws Exception {
        for (AggregatorProcess aggregator : new AggregatorProcess[] {first, second}) {
            if (aggregator != null) {
                aggregator.close();
            }
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    private static AggregatorProcess startAggregator(String name) throws Exception {
        return AggregatorProcess.start(name, LoopbackPorts.unused(), stateDirs.resolve(name), List.of(
                "--bootstrap-servers", kafka.bootstrapServers(), "--application-id", "failover-it",
                "--standby-replicas", "1", "--flap-changes", "999", "--flap-window", "1000",
                // A killed member leaves the group after 6 s (the broker's minimum), not the default 45 s.
                "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000"));
    }

    @Test
    void aKilledAggregatorLosesNoTransitionAndDuplicatesNoneWhileTheStandbyAnswers() throws Exception {
        first = startAggregator("failover-a");
        second = startAggregator("failover-b");
        await("both instances own some backends").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(() -> localCount(first) > 0 && localCount(second) > 0
                        && localCount(first) + localCount(second) == BACKENDS);

        AtomicInteger written = new AtomicInteger();
        CompletableFuture<Void> stream = CompletableFuture.runAsync(() -> writeSteps(1, TOTAL_BEFORE_RESTART, written));
        await().atMost(Duration.ofSeconds(30)).until(() -> written.get() >= BEFORE_KILL || stream.isDone());
        AggregatorProcess victim = localCount(first) >= localCount(second) ? first : second;
        AggregatorProcess survivor = victim == first ? second : first;
        victim.kill();
        int writtenAtKill = written.get();

        // (a) The survivor takes the victim's partitions (its standbys) and answers for every backend,
        // with events written after the kill applied, while the victim is still down.
        await("the survivor answers for every backend with events written after the kill")
                .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .untilAsserted(() -> {
                    for (String id : versions.keySet()) {
                        HttpResponse<String> answer = survivor.get("/api/status/" + id);
                        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                        JsonNode status = MAPPER.readTree(answer.body());
                        assertThat(Instant.parse(status.get("lastCheckedAt").asText()))
                                .isAfter(checkedAt(writtenAtKill));
                    }
                });
        assertThat(victim.alive()).isFalse();
        stream.get(60, TimeUnit.SECONDS);

        // (b) Everything consumed: the committed output holds each chain exactly once.
        awaitApplied(survivor, TOTAL_BEFORE_RESTART);
        assertCommittedOutputIsExactly(TOTAL_BEFORE_RESTART);

        // The victim comes back on its state directory, takes partitions again; more events follow.
        victim.restart();
        await("the restarted instance owns some backends again").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> localCount(victim) > 0 && localCount(victim) + localCount(survivor) == BACKENDS);
        writeSteps(TOTAL_BEFORE_RESTART + 1, TOTAL, new AtomicInteger());
        awaitApplied(victim, TOTAL);
        assertCommittedOutputIsExactly(TOTAL);
    }

    // ---- the events and what they must produce ----

    /** Backend {@code i} alternates runs of {@code 2 + i % 4} successes and as many failures. */
    private static boolean healthy(int backend, int step) {
        return ((step - 1) / (2 + backend % 4)) % 2 == 0;
    }

    private static HealthStatus statusAfter(int backend, int step) {
        if (step == 0) {
            return HealthStatus.UNKNOWN;
        }
        return healthy(backend, step) ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY;
    }

    private static Instant checkedAt(int step) {
        return BASE.plusSeconds(step);
    }

    private static HealthEvent event(int backend, int step) {
        String id = "backend-" + backend;
        boolean success = healthy(backend, step);
        int run = 1;
        while (step - run >= 1 && healthy(backend, step - run) == success) {
            run++;
        }
        return HealthEvents.event(id).registration(versions.get(id)).sequence(step).monitor("it-monitor", 1)
                .at(checkedAt(step).minusMillis(5), checkedAt(step)).latencyMs(3)
                .outcome(success ? Outcome.HEALTHY : Outcome.UNHEALTHY)
                .status(statusAfter(backend, step - 1), statusAfter(backend, step))
                .counters(success ? 0 : run, success ? run : 0)
                .failure(success ? Optional.empty() : Optional.of(Failure.http(FailureKind.HTTP_STATUS, 503,
                "HTTP 503")))
                .build();
    }

    /** Writes steps {@code from..to}, one transaction per step holding one event per backend, paced. */
    private static void writeSteps(int from, int to, AtomicInteger written) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                producerProperties(Optional.of("failover-it-events-" + from)))) {
            producer.initTransactions();
            for (int step = from; step <= to; step++) {
                long started = System.nanoTime();
                producer.beginTransaction();
                for (int b = 0; b < BACKENDS; b++) {
                    HealthEvent e = event(b, step);
                    producer.send(new ProducerRecord<>(Topics.DEFAULTS.events(), e.registration().partition(),
                            e.backendId().getBytes(StandardCharsets.UTF_8), EVENTS.encode(e)));
                }
                producer.commitTransaction();
                written.set(step);
                long left = STEP.toNanos() - (System.nanoTime() - started);
                if (left > 0) {
                    TimeUnit.NANOSECONDS.sleep(left); // pacing the stream, not waiting for a result
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<String> expectedTransitions(int backend, int steps) {
        List<String> chain = new ArrayList<>();
        for (int step = 1; step <= steps; step++) {
            HealthStatus before = statusAfter(backend, step - 1);
            HealthStatus after = statusAfter(backend, step);
            if (before != after) {
                chain.add(before + "->" + after + "@" + checkedAt(step));
            }
        }
        return chain;
    }

    private static List<String> expectedStatuses(int backend, int steps) {
        List<String> statuses = new ArrayList<>(List.of("UNKNOWN@never")); // published when the registration is read
        long heartbeat = AggregatorSettings.DEFAULTS.statusHeartbeat().toMillis();
        for (int step = 1; step <= steps; step++) {
            // The first check, every change, and the first check of each heartbeat period (aligned on the epoch).
            boolean newPeriod = step == 1 || Math.floorDiv(checkedAt(step - 1).toEpochMilli(), heartbeat)
                    != Math.floorDiv(checkedAt(step).toEpochMilli(), heartbeat);
            if (newPeriod || statusAfter(backend, step) != statusAfter(backend, step - 1)) {
                statuses.add(statusAfter(backend, step) + "@" + checkedAt(step));
            }
        }
        return statuses;
    }

    // ---- reading what the aggregators published ----

    private static void awaitApplied(AggregatorProcess instance, int steps) {
        await("every backend's last event applied").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().untilAsserted(() -> {
                    for (String id : versions.keySet()) {
                        HttpResponse<String> answer = instance.get("/api/status/" + id);
                        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                        assertThat(MAPPER.readTree(answer.body()).get("lastCheckedAt").asText())
                                .isEqualTo(checkedAt(steps).toString());
                    }
                });
    }

    private static void assertCommittedOutputIsExactly(int steps) throws Exception {
        Map<String, List<String>> transitions = new HashMap<>();
        for (JsonNode t : readCommitted(Topics.DEFAULTS.transitions())) {
            transitions.computeIfAbsent(t.get("backendId").asText(), k -> new ArrayList<>())
                    .add(t.get("from").asText() + "->" + t.get("to").asText() + "@" + t.get("at").asText());
        }
        Map<String, List<String>> statuses = new HashMap<>();
        for (JsonNode s : readCommitted(Topics.DEFAULTS.status())) {
            statuses.computeIfAbsent(s.get("id").asText(), k -> new ArrayList<>())
                    .add(s.get("status").asText() + "@" + s.path("lastCheckedAt").asText("never"));
        }
        for (int b = 0; b < BACKENDS; b++) {
            String id = "backend-" + b;
            assertThat(transitions.get(id)).as("health-transitions of " + id).isEqualTo(expectedTransitions(b, steps));
            assertThat(statuses.get(id)).as("backend-status of " + id).isEqualTo(expectedStatuses(b, steps));
        }
    }

    /**
     * Every committed record of {@code topic}, read to the end: to the log end offset (not only the
     * last stable offset), so a transaction the killed instance left open must be aborted first.
     */
    private static List<JsonNode> readCommitted(String topic) throws Exception {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        Properties uncommitted = new Properties();
        uncommitted.putAll(props);
        uncommitted.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        List<JsonNode> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props);
             KafkaConsumer<byte[], byte[]> ends = new KafkaConsumer<>(uncommitted)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, Long> logEnd = ends.endOffsets(partitions);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await("read committed to the log end of " + topic).atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() != null) {
                        records.add(MAPPER.readTree(r.value()));
                    }
                }
                return partitions.stream().allMatch(p -> consumer.position(p) >= logEnd.get(p));
            });
        }
        return records;
    }

    private static int localCount(AggregatorProcess instance) throws Exception {
        HttpResponse<String> answer = instance.get("/api/status?scope=local");
        if (answer.statusCode() != 200) {
            return 0;
        }
        return MAPPER.readTree(answer.body()).get("total").asInt();
    }

    private static Properties producerProperties(Optional<String> transactionalId) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        transactionalId.ifPresent(id -> props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id));
        return props;
    }
}
