package dev.healthmon.aggregate;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static dev.healthmon.support.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import dev.healthmon.events.DeadLetter;
import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.events.OutageBuffer;
import dev.healthmon.kafka.Topics;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.CircuitState;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Observation;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.Reason;
import dev.healthmon.support.HealthEvents;
import dev.healthmon.support.Schemas;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The aggregator's topology, record by record, with {@link TopologyTestDriver}. */
class StatusTopologyTest {

    private static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");
    private static final Topics TOPICS = Topics.DEFAULTS;

    @TempDir
    Path stateDir;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final StatusJson json = new StatusJson(new ObjectMapper());
    private final HealthEventCodec eventCodec = new HealthEventCodec(new ObjectMapper());
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> registry;
    private TestInputTopic<byte[], byte[]> events;
    private TestOutputTopic<String, byte[]> statuses;
    private TestOutputTopic<String, byte[]> transitions;
    private TestOutputTopic<String, byte[]> dlq;
    private long registryOffset = -1;
    private final Map<String, Long> sequences = new HashMap<>();

    @BeforeEach
    void startDriver() {
        startDriver(AggregatorSettings.DEFAULTS);
    }

    private void startDriver(AggregatorSettings settings) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "aggregator-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(StatusTopology.build(TOPICS, CheckDefaults.STANDARD, settings, meters),
                props, T0);
        registry = driver.createInputTopic(TOPICS.registry(), new ByteArraySerializer(), new ByteArraySerializer());
        events = driver.createInputTopic(TOPICS.events(), new ByteArraySerializer(), new ByteArraySerializer());
        statuses = driver.createOutputTopic(TOPICS.status(), new StringDeserializer(), new ByteArrayDeserializer());
        transitions = driver.createOutputTopic(TOPICS.transitions(), new StringDeserializer(),
                new ByteArrayDeserializer());
        dlq = driver.createOutputTopic(TOPICS.eventsDlq(), new StringDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    // ---- helpers

    /** Registers {@code id} (thresholds 3 failures / 2 successes) and returns the record's offset. */
    private long register(String id, String url, Consumer<ObjectNode> edit) {
        registry.pipeInput(id.getBytes(StandardCharsets.UTF_8), bytes(json(id, url, edit)), T0);
        return ++registryOffset;
    }

    private long register(String id) {
        return register(id, "http://" + id + ".test/", j -> j.putObject("labels").put("team", "payments"));
    }

    private void deregister(String id) {
        registry.pipeInput(id.getBytes(StandardCharsets.UTF_8), null, T0);
        registryOffset++;
    }

    private HealthEvent event(String id, int epoch, long registration, long sequence, Outcome outcome, Instant at,
                              Optional<Failure> failure, CircuitState circuit) {
        return HealthEvents.event(id).registration(0, registration).sequence(sequence)
                .monitor("monitor-" + epoch, epoch)
                .at(at).latencyMs(12).outcome(outcome).status(HealthStatus.UNKNOWN, HealthStatus.UNKNOWN)
                .reason(outcome == Outcome.DEGRADED ? Optional.of(Reason.SLOW) : Optional.empty()).counters(0, 0)
                .failure(failure).circuit(circuit).build();
    }

    private void send(HealthEvent e) {
        events.pipeInput(e.backendId().getBytes(StandardCharsets.UTF_8), eventCodec.encode(e), e.checkedAt());
    }

    /** Sends the next event of {@code id} from owner {@code epoch} for registration {@code registration}. */
    private void send(String id, int epoch, long registration, Outcome outcome, Instant at) {
        long sequence = sequences.merge(id + "/" + epoch + "/" + registration, 1L, Long::sum);
        Optional<Failure> failure = outcome.isSuccess() ? Optional.empty()
                : Optional.of(Failure.of(FailureKind.CONNECTION_REFUSED, "connection refused"));
        send(event(id, epoch, registration, sequence, outcome, at, failure, CircuitState.CLOSED));
    }

    private Map<String, BackendStatus> latest() {
        Map<String, BackendStatus> latest = new HashMap<>();
        for (var kv : statuses.readKeyValuesToList()) {
            if (kv.value == null) {
                latest.put(kv.key, null);
            } else {
                latest.put(kv.key, json.decodeStatus(kv.value));
            }
        }
        return latest;
    }

    private BackendStatus status(String id) {
        return json.decodeState(driver.<String, byte[]>getKeyValueStore(StatusStores.STATUSES).get(id)).view();
    }

    private List<RecentChecks.Check> checks(String id) {
        return json.decodeState(driver.<String, byte[]>getKeyValueStore(StatusStores.STATUSES).get(id)).checks()
                .checks();
    }

    private List<StatusTransition> transitions() {
        return transitions.readValuesToList().stream().map(json::decodeTransition).toList();
    }

    /** Registers {@code id} and returns a real monitor checking it (epoch 1). */
    private MonitorRun monitored(String id) {
        ObjectNode registration = json(id, "http://" + id + ".test/");
        registry.pipeInput(id.getBytes(StandardCharsets.UTF_8), bytes(registration), T0);
        return new MonitorRun(valid(registration), new RegistrationVersion(0, ++registryOffset), 1);
    }

    private double trusted(String how) {
        return meters.get("healthmon.aggregator.trusted.monitor").tag("how", how).counter().count();
    }

    private double dropped(String reason) {
        return meters.get("healthmon.aggregator.events.dropped").tag("reason", reason).counter().count();
    }

    // ---- tests

    @Test
    void storeValuesAnEarlierVersionWroteAsJsonAreFoldedOnAndRewrittenInBinary() {
        // The stores as a version before the binary format left them: payments-api DEGRADED and flapping,
        // last applied monitor-7 epoch 12 sequence 99.
        var registrations = driver.<String, byte[]>getKeyValueStore(StatusStores.REGISTRATIONS);
        var states = driver.<String, byte[]>getKeyValueStore(StatusStores.STATUSES);
        registrations.put("payments-api", StoreValues.LEGACY_TRACKED.getBytes(StandardCharsets.UTF_8));
        states.put("payments-api", StoreValues.LEGACY_FULL.getBytes(StandardCharsets.UTF_8));
        Instant next = StoreValues.T0.plusSeconds(30);
        HealthEvents replayed = HealthEvents.event("payments-api").registration(2, 4711).monitor("monitor-7", 12)
                .latencyMs(12).outcome(Outcome.HEALTHY).status(HealthStatus.DEGRADED, HealthStatus.HEALTHY)
                .counters(0, 3);

        send(replayed.sequence(99).at(next).build());
        assertThat(statuses.isEmpty()).as("sequence 99 was applied before the upgrade: stale").isTrue();
        send(replayed.sequence(100).at(next).build());

        BackendStatus status = latest().get("payments-api");
        assertThat(status.lastCheckedAt()).contains(next);
        assertThat(status.consecutiveSuccesses()).isEqualTo(3);
        assertThat(status.flapping()).isTrue();
        assertThat(status.availability().lastHour()).hasValue(0.8); // the legacy buckets' 3 of 4, and this one
        byte[] rewritten = states.get("payments-api");
        assertThat(rewritten[0]).isEqualTo((byte) StatusStoreCodec.FORMAT);
        assertThat(json.decodeState(rewritten).history()).isEqualTo(StoreValues.full().history());
    }

    /** A driver whose aggregator publishes a status after every applied event (--status-heartbeat-ms 0). */
    private void withAStatusPerEvent() {
        driver.close();
        AggregatorSettings d = AggregatorSettings.DEFAULTS;
        startDriver(new AggregatorSettings(d.flapChanges(), d.flapWindow(), d.monitorSessionTimeout(),
                d.historyPerBackend(), Duration.ZERO));
    }

    @Test
    void byDefaultEveryChangeIsPublishedAtItsEventAndNothingLagsMoreThanAMinute() {
        assertThat(AggregatorSettings.DEFAULTS.statusHeartbeat()).isEqualTo(Duration.ofMinutes(1));
        long seed = 1_616L;
        Random random = new Random(seed);
        long r = register("api");
        BackendStatus before = latest().get("api");
        Instant lastPublished = T0;
        Instant t = T0;
        int events = 0;
        int published = 0;
        int changes = 0;
        Outcome outcome = Outcome.HEALTHY;
        for (int i = 0; i < 400; i++) {
            if (random.nextInt(6) == 0) { // runs of one outcome, as backends behave
                outcome = Outcome.values()[random.nextInt(Outcome.values().length)];
            }
            send("api", 1, r, outcome, t = t.plusSeconds(1 + random.nextInt(20)));
            events++;
            BackendStatus now = status("api");
            List<BackendStatus> out = statuses.readValuesToList().stream().map(json::decodeStatus).toList();
            String at = "seed " + seed + " event " + i + " at " + t;
            if (!significant(now).equals(significant(before))) {
                changes++;
                assertThat(out).as("a change is published at its event: " + at).containsExactly(now);
            } else {
                assertThat(out).as("nothing but the status of this event: " + at).isSubsetOf(now);
            }
            if (!out.isEmpty()) {
                published++;
                lastPublished = t;
            }
            assertThat(Duration.between(lastPublished, t)).as("lag behind the status store: " + at)
                    .isLessThan(Duration.ofMinutes(1));
            before = now;
        }
        assertThat(changes).as("the run went through changes").isGreaterThan(20);
        assertThat(published).as("fewer records than events").isLessThan(events / 2);
    }

    /** What a consumer of backend-status acts on, as docs/design.md §8.9 lists it: all but check progress. */
    private static List<Object> significant(BackendStatus s) {
        return List.of(s.id(), s.name(), s.labels(), s.status(), s.reason(), s.since(), s.flapping(),
                s.lastFailure().map(f -> List.of(f.failure().kind(), f.failure().message(), f.failure().httpStatus())),
                s.checkedBy(), s.ownerEpoch(), s.registration());
    }

    @Test
    void byDefaultASteadyBackendIsPublishedOnceAMinuteAtTheMinutesFirstCheck() {
        long r = register("api");
        statuses.readValuesToList();
        for (int i = 1; i <= 60; i++) {
            send("api", 1, r, Outcome.HEALTHY, T0.plusSeconds(10L * i));
        }
        List<Instant> checks = statuses.readValuesToList().stream().map(json::decodeStatus)
                .map(s -> s.lastCheckedAt().orElseThrow()).toList();
        // 10:00:10 (UNKNOWN -> HEALTHY), then the first check of each minute, 10:01:00 to 10:10:00
        assertThat(checks).first().isEqualTo(T0.plusSeconds(10));
        assertThat(checks.subList(1, checks.size())).containsExactlyElementsOf(
                IntStream.rangeClosed(1, 10).mapToObj(m -> T0.plusSeconds(60L * m)).toList());
    }

    @Test
    void withAHeartbeatOfZeroEveryAppliedEventIsPublishedAndDroppedOnesAreNot() {
        withAStatusPerEvent();
        long r = register("api");
        statuses.readValuesToList();
        for (int i = 1; i <= 30; i++) {
            send("api", 1, r, Outcome.HEALTHY, T0.plusSeconds(10L * i));
        }
        send(event("api", 1, r, 30, Outcome.UNHEALTHY, T0.plusSeconds(400), Optional.empty(),
                CircuitState.CLOSED)); // a duplicate of sequence 30: stale

        assertThat(statuses.readValuesToList().stream().map(json::decodeStatus)
                .map(s -> s.lastCheckedAt().orElseThrow()).toList()).containsExactlyElementsOf(
                IntStream.rangeClosed(1, 30).mapToObj(i -> T0.plusSeconds(10L * i)).toList());
    }

    @Test
    void aHeartbeatBelowASecondIsRefusedNamingTheSetting() {
        AggregatorSettings d = AggregatorSettings.DEFAULTS;
        assertThatThrownBy(() -> new AggregatorSettings(d.flapChanges(),
                d.flapWindow(), d.monitorSessionTimeout(), d.historyPerBackend(), Duration.ofMillis(500)))
                .hasMessageContaining("status-heartbeat-ms");
    }

    @Test
    void newRegistrationIsPublishedAsUnknownWithItsLabels() {
        register("api");

        BackendStatus status = latest().get("api");
        assertThat(status.status()).isEqualTo(HealthStatus.UNKNOWN);
        assertThat(status.labels()).containsEntry("team", "payments");
        assertThat(status.registration().offset()).isZero();
        assertThat(status.since()).isEqualTo(T0);
    }

    @Test
    void statusFollowsThePolicyFromRawOutcomes() {
        long r = register("api");
        Instant t = T0;
        send("api", 1, r, Outcome.HEALTHY, t = t.plusSeconds(10));
        assertThat(status("api").status()).isEqualTo(HealthStatus.HEALTHY);
        send("api", 1, r, Outcome.UNHEALTHY, t = t.plusSeconds(10));
        send("api", 1, r, Outcome.UNHEALTHY, t = t.plusSeconds(10));
        assertThat(status("api").status()).as("below the unhealthy threshold").isEqualTo(HealthStatus.HEALTHY);
        send("api", 1, r, Outcome.UNHEALTHY, t = t.plusSeconds(10));
        assertThat(status("api")).satisfies(s -> {
            assertThat(s.status()).isEqualTo(HealthStatus.UNHEALTHY);
            assertThat(s.reason()).contains(Reason.FAILING);
            assertThat(s.lastFailure()).hasValueSatisfying(f
                    -> assertThat(f.failure().kind()).isEqualTo(FailureKind.CONNECTION_REFUSED));
        });
        send("api", 1, r, Outcome.HEALTHY, t = t.plusSeconds(10));
        assertThat(status("api").reason()).contains(Reason.RECOVERING);
        assertThat(status("api").status()).isEqualTo(HealthStatus.DEGRADED);
        Instant recovered = t = t.plusSeconds(10);
        send("api", 1, r, Outcome.HEALTHY, recovered);
        assertThat(status("api").status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(status("api").since()).isEqualTo(recovered);

        assertThat(transitions()).extracting(StatusTransition::from, StatusTransition::to).containsExactly(
                tuple(HealthStatus.UNKNOWN, HealthStatus.HEALTHY),
                tuple(HealthStatus.HEALTHY, HealthStatus.UNHEALTHY),
                tuple(HealthStatus.UNHEALTHY, HealthStatus.DEGRADED),
                tuple(HealthStatus.DEGRADED, HealthStatus.HEALTHY));
    }

    @Test
    void degradedCarriesSlowOrRateLimitedAndCircuitOpenIsReported() {
        long r = register("slow");
        send("slow", 1, r, Outcome.DEGRADED, T0.plusSeconds(1));
        assertThat(status("slow").reason()).contains(Reason.SLOW);
        send(event("slow", 1, r, 2, Outcome.DEGRADED, T0.plusSeconds(2),
                Optional.of(new Failure(FailureKind.HTTP_STATUS, "HTTP 429", OptionalInt.of(429))),
                CircuitState.CLOSED));
        assertThat(status("slow").reason()).contains(Reason.RATE_LIMITED);

        long d = register("dead");
        for (int i = 1; i <= 5; i++) {
            send(event("dead", 1, d, i, Outcome.UNHEALTHY, T0.plusSeconds(i),
                    Optional.of(Failure.of(FailureKind.TIMEOUT, "t")),
                    i == 5 ? CircuitState.OPEN : CircuitState.CLOSED));
        }
        assertThat(status("dead").reason()).contains(Reason.CIRCUIT_OPEN);
    }

    @Test
    void failureCountSurvivesAMonitorFailover() {
        long r = register("api");
        send("api", 1, r, Outcome.HEALTHY, T0.plusSeconds(1));
        send("api", 1, r, Outcome.UNHEALTHY, T0.plusSeconds(2));
        send("api", 1, r, Outcome.UNHEALTHY, T0.plusSeconds(3));
        // monitor-1 dies; monitor-2 owns the partition from epoch 2 on and its check starts at sequence 1
        send("api", 2, r, Outcome.UNHEALTHY, T0.plusSeconds(20));

        assertThat(status("api").status()).as("third consecutive failure, across owners")
                .isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(status("api").consecutiveFailures()).isEqualTo(3);
        assertThat(status("api").checkedBy()).contains("monitor-2");
    }

    @Test
    void deregistrationTombstonesTheStatus() {
        long r = register("api");
        send("api", 1, r, Outcome.HEALTHY, T0.plusSeconds(1));
        deregister("api");

        Map<String, BackendStatus> latest = latest();
        assertThat(latest).containsEntry("api", null);
        send("api", 1, r, Outcome.HEALTHY, T0.plusSeconds(2));
        assertThat(dropped("unknown_backend")).isEqualTo(1);
        assertThat(statuses.isEmpty()).as("nothing published for a deregistered backend").isTrue();
    }

    private double unreadable(String store) {
        return meters.get("healthmon.aggregator.store.unreadable").tag("store", store).counter().count();
    }

    /** What a torn write leaves: the value's first bytes. */
    private void truncate(String store, String id) {
        var values = driver.<String, byte[]>getKeyValueStore(store);
        values.put(id, Arrays.copyOf(values.get(id), 6));
    }

    @Test
    void aStatusValueThatCannotBeReadStartsOverAtTheNextEventInsteadOfStoppingTheAggregator() {
        long a = register("api");
        long b = register("web");
        send("api", 1, a, Outcome.UNHEALTHY, T0.plusSeconds(1));
        truncate(StatusStores.STATUSES, "api");

        send("api", 1, a, Outcome.HEALTHY, T0.plusSeconds(2));
        send("web", 1, b, Outcome.HEALTHY, T0.plusSeconds(2));

        assertThat(unreadable(StatusStores.STATUSES)).isEqualTo(1);
        assertThat(status("api").lastCheckedAt()).as("rebuilt, with this event in it").contains(T0.plusSeconds(2));
        assertThat(latest()).containsKeys("api", "web");
    }

    @Test
    void anEarlierVersionsJsonValueOfTheWrongShapeStartsOverInsteadOfStoppingTheAggregator() {
        // Valid JSON, not a status: the JSON reader failed with a NullPointerException, which the store's reader takes
        // for a bug, so the stream thread stopped at this event after every restart.
        long a = register("api");
        long b = register("web");
        send("api", 1, a, Outcome.UNHEALTHY, T0.plusSeconds(1));
        driver.<String, byte[]>getKeyValueStore(StatusStores.STATUSES).put("api",
                "{\"view\": null}".getBytes(StandardCharsets.UTF_8));

        send("api", 1, a, Outcome.HEALTHY, T0.plusSeconds(2));
        send("web", 1, b, Outcome.HEALTHY, T0.plusSeconds(2));

        assertThat(unreadable(StatusStores.STATUSES)).isEqualTo(1);
        assertThat(status("api").lastCheckedAt()).as("rebuilt, with this event in it").contains(T0.plusSeconds(2));
        assertThat(latest()).containsKeys("api", "web");
    }

    @Test
    void aRegistrationValueThatCannotBeReadDropsItsEventsUntilTheBackendIsRegisteredAgain() {
        long r = register("api");
        send("api", 1, r, Outcome.HEALTHY, T0.plusSeconds(1));
        truncate(StatusStores.REGISTRATIONS, "api");

        send("api", 1, r, Outcome.HEALTHY, T0.plusSeconds(2));
        assertThat(dropped("unknown_backend")).isEqualTo(1);
        assertThat(unreadable(StatusStores.REGISTRATIONS)).isEqualTo(1);

        long again = register("api");
        send("api", 1, again, Outcome.HEALTHY, T0.plusSeconds(3));
        assertThat(status("api").lastCheckedAt()).contains(T0.plusSeconds(3));
        assertThat(status("api").registration().offset()).isEqualTo(again);
    }

    @Test
    void aDeregistrationDeletesValuesThatCannotBeRead() {
        register("api");
        truncate(StatusStores.REGISTRATIONS, "api");
        truncate(StatusStores.STATUSES, "api");

        deregister("api");

        assertThat(latest()).containsEntry("api", null);
        assertThat(driver.<String, byte[]>getKeyValueStore(StatusStores.REGISTRATIONS).get("api")).isNull();
        assertThat(driver.<String, byte[]>getKeyValueStore(StatusStores.STATUSES).get("api")).isNull();
    }

    @Test
    void eventsOfASupersededRegistrationAreDropped() {
        long v1 = register("api", "http://old.test/", j -> {});
        send("api", 1, v1, Outcome.HEALTHY, T0.plusSeconds(1));
        long v2 = register("api", "http://new.test/", j -> {});
        assertThat(status("api").status()).as("a new target starts over").isEqualTo(HealthStatus.UNKNOWN);

        send("api", 1, v1, Outcome.UNHEALTHY, T0.plusSeconds(2)); // the old check's late result
        assertThat(dropped("superseded")).isEqualTo(1);
        send("api", 1, v2, Outcome.HEALTHY, T0.plusSeconds(3));
        assertThat(status("api").status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(status("api").registration().offset()).isEqualTo(v2);
    }

    @Test
    void descriptiveChangeKeepsTheStatusAndUpdatesTheLabels() {
        long v1 = register("api");
        send("api", 1, v1, Outcome.HEALTHY, T0.plusSeconds(1));
        long v2 = register("api", "http://api.test/", j -> j.putObject("labels").put("team", "platform"));
        send("api", 1, v2, Outcome.HEALTHY, T0.plusSeconds(2));

        assertThat(status("api").status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(status("api").labels()).containsEntry("team", "platform");
        assertThat(status("api").since()).isEqualTo(T0.plusSeconds(1));
    }

    @Test
    void firstEventOfALabelsOnlyReRegistrationIsPublishedWithinTheMinute() {
        long v1 = register("api");
        send("api", 1, v1, Outcome.HEALTHY, T0.plusSeconds(1));
        send("api", 1, v1, Outcome.HEALTHY, T0.plusSeconds(2));
        long v2 = register("api", "http://api.test/", j -> j.putObject("labels").put("team", "platform"));
        statuses.readValuesToList();
        send("api", 1, v2, Outcome.HEALTHY, T0.plusSeconds(3));
        send("api", 1, v2, Outcome.HEALTHY, T0.plusSeconds(4));

        // The registration's own record carried v1's last check (10:00:02); the record of v2's first event names
        // an event of v2, as §8.9 promises of the last record; v2's next event within the minute is progress only.
        assertThat(statuses.readValuesToList().stream().map(json::decodeStatus).toList())
                .extracting(s -> s.registration().offset(), s -> s.lastCheckedAt().orElseThrow())
                .containsExactly(tuple(v2, T0.plusSeconds(3)));
    }

    @Test
    void zombieOwnerIsFencedOnceTheNewOwnerHasReported() {
        long v1 = register("api");
        send("api", 1, v1, Outcome.HEALTHY, T0.plusSeconds(1));
        send("api", 2, v1, Outcome.HEALTHY, T0.plusSeconds(2)); // the new owner's first event
        long v2 = register("api", "http://api.test/", j -> j.put("name", "renamed"));

        // The zombie (epoch 1) has read the newer registration too, and reports a failure.
        send(event("api", 1, v2, 99, Outcome.UNHEALTHY, T0.plusSeconds(3),
                Optional.of(Failure.of(FailureKind.TIMEOUT, "t")), CircuitState.CLOSED));

        assertThat(dropped("stale")).isEqualTo(1);
        assertThat(status("api").consecutiveFailures()).isZero();
        assertThat(status("api").ownerEpoch()).hasValue(2);
    }

    @Test
    void lowerEpochIsAcceptedOnceTheBackendsOwnFenceWindowHasPassed() {
        // 10 s session timeout + 1.1 s longest interval (1 s + 10 % jitter) + 500 ms timeout: an 11.6 s window
        long r = register("api");
        send("api", 7, r, Outcome.HEALTHY, T0.plusSeconds(1));
        send("api", 1, r, Outcome.UNHEALTHY, T0.plusSeconds(12)); // 11 s of quiet: a zombie
        assertThat(dropped("stale")).isEqualTo(1);

        // 12 s of quiet: the owner is gone for longer than it could be alive; the group was recreated
        send(event("api", 1, r, 1, Outcome.UNHEALTHY, T0.plusSeconds(13),
                Optional.of(Failure.of(FailureKind.TIMEOUT, "t")), CircuitState.CLOSED));

        assertThat(status("api").ownerEpoch()).hasValue(1);
        assertThat(status("api").consecutiveFailures()).isEqualTo(1);
    }

    @Test
    void zombieOfABackendCheckedDailyStaysFencedForADay() {
        long r = register("daily", "http://daily.test/", j -> ((ObjectNode) j.get("healthCheck"))
                .put("intervalMs", Duration.ofDays(1).toMillis()).put("timeoutMs", 10_000).put("jitterPercent", 0));
        send("daily", 2, r, Outcome.HEALTHY, T0.plusSeconds(1)); // the new owner
        send("daily", 1, r, Outcome.UNHEALTHY, T0.plus(Duration.ofHours(1))); // the zombie, an hour later

        assertThat(dropped("stale")).isEqualTo(1);
        assertThat(status("daily").ownerEpoch()).hasValue(2);

        // a day + its timeout + the session timeout of quiet: the group was recreated
        send(event("daily", 1, r, 1, Outcome.UNHEALTHY, T0.plusSeconds(1).plus(Duration.ofDays(1)).plusSeconds(21),
                Optional.of(Failure.of(FailureKind.TIMEOUT, "t")), CircuitState.CLOSED));
        assertThat(status("daily").ownerEpoch()).hasValue(1);
    }

    @Test
    void zombieThatReadTheNewTargetFirstIsFencedAfterACheckingFieldChange() {
        long v1 = register("api", "http://old.test/", j -> {});
        send("api", 1, v1, Outcome.HEALTHY, T0.plusSeconds(1));
        send("api", 2, v1, Outcome.HEALTHY, T0.plusSeconds(2)); // the new owner's first event
        long v2 = register("api", "http://new.test/", j -> {});

        // The zombie (epoch 1) read the new registration before the new owner restored it; its check restarted.
        send(event("api", 1, v2, 1, Outcome.UNHEALTHY, T0.plusSeconds(3),
                Optional.of(Failure.of(FailureKind.TIMEOUT, "t")), CircuitState.CLOSED));
        assertThat(dropped("stale")).isEqualTo(1);
        assertThat(status("api").consecutiveFailures()).isZero();

        send("api", 2, v2, Outcome.HEALTHY, T0.plusSeconds(4));
        assertThat(status("api").status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(status("api").ownerEpoch()).hasValue(2);
    }

    @Test
    void threeFailuresCoalescedDuringAnOutageMakeTheBackendUnhealthyAsOnTheMonitor() {
        MonitorRun monitor = monitored("api");
        send(monitor.check(Observation.healthy()));
        send(monitor.check(Observation.healthy()));
        OutageBuffer outage = new OutageBuffer(100);
        HealthEvent third = null;
        for (int i = 0; i < 3; i++) {
            third = monitor.check(Observation.unhealthy());
            outage.offer(third);
        }
        assertThat(third).as("the monitor").satisfies(e -> {
            assertThat(e.previousStatus()).isEqualTo(HealthStatus.HEALTHY);
            assertThat(e.status()).isEqualTo(HealthStatus.UNHEALTHY);
            assertThat(e.consecutiveFailures()).isEqualTo(3);
        });
        List<HealthEvent> afterOutage = outage.drain();
        assertThat(afterOutage).as("one event stands for the three results").containsExactly(third);

        afterOutage.forEach(this::send);

        assertThat(status("api")).satisfies(s -> {
            assertThat(s.status()).isEqualTo(HealthStatus.UNHEALTHY);
            assertThat(s.reason()).contains(Reason.FAILING);
            assertThat(s.consecutiveFailures()).isEqualTo(3);
        });
        assertThat(transitions()).extracting(StatusTransition::from, StatusTransition::to).containsExactly(
                tuple(HealthStatus.UNKNOWN, HealthStatus.HEALTHY),
                tuple(HealthStatus.HEALTHY, HealthStatus.UNHEALTHY));
        assertThat(trusted("extended")).isEqualTo(1);
    }

    @Test
    void unhealthyEpisodeWhoseEventsWereLostStillAppearsInTheTransitions() {
        MonitorRun monitor = monitored("api");
        send(monitor.check(Observation.healthy()));
        for (int i = 0; i < 3; i++) {
            monitor.check(Observation.unhealthy()); // lost: e.g. refused by a full outage buffer
        }
        HealthEvent recovering = monitor.check(Observation.healthy());
        assertThat(recovering.previousStatus()).isEqualTo(HealthStatus.UNHEALTHY);

        send(recovering);

        assertThat(status("api")).satisfies(s -> {
            assertThat(s.status()).isEqualTo(HealthStatus.DEGRADED);
            assertThat(s.reason()).contains(Reason.RECOVERING);
            assertThat(s.consecutiveSuccesses()).isEqualTo(1);
        });
        assertThat(transitions()).extracting(StatusTransition::from, StatusTransition::to).containsExactly(
                tuple(HealthStatus.UNKNOWN, HealthStatus.HEALTHY),
                tuple(HealthStatus.HEALTHY, HealthStatus.UNHEALTHY),
                tuple(HealthStatus.UNHEALTHY, HealthStatus.DEGRADED));
        assertThat(trusted("adopted")).isEqualTo(1);
    }

    @Test
    void duplicateSequenceIsIgnored() {
        long r = register("api");
        HealthEvent failure = event("api", 1, r, 1, Outcome.UNHEALTHY, T0.plusSeconds(1),
                Optional.of(Failure.of(FailureKind.TIMEOUT, "t")), CircuitState.CLOSED);
        send(failure);
        send(failure);

        assertThat(status("api").consecutiveFailures()).isEqualTo(1);
        assertThat(dropped("stale")).isEqualTo(1);
    }

    @Test
    void everyAppliedEventIsATickAndDroppedOnesAreNot() {
        long v1 = register("api");
        send("api", 1, v1, Outcome.HEALTHY, T0.plusSeconds(1));
        HealthEvent failure = event("api", 1, v1, 2, Outcome.UNHEALTHY, T0.plusSeconds(2),
                Optional.of(Failure.of(FailureKind.TIMEOUT, "t")), CircuitState.CLOSED);
        send(failure);
        send(failure); // redelivered: stale
        send("api", 2, v1, Outcome.DEGRADED, T0.plusSeconds(3)); // the new owner
        send(event("api", 1, v1, 3, Outcome.UNAUTHENTICATED, T0.plusSeconds(4), Optional.empty(),
                CircuitState.CLOSED)); // the zombie, fenced
        register("api", "http://api.test/", j -> j.put("name", "renamed")
                .putObject("labels").put("team", "payments"));
        send("api", 1, v1, Outcome.UNHEALTHY, T0.plusSeconds(5)); // a superseded registration's

        assertThat(dropped("stale")).isEqualTo(2);
        assertThat(dropped("superseded")).isEqualTo(1);
        assertThat(checks("api")).as("a descriptive change keeps them").containsExactly(
                new RecentChecks.Check(T0.plusSeconds(1), Outcome.HEALTHY, 12),
                new RecentChecks.Check(T0.plusSeconds(2), Outcome.UNHEALTHY, 12),
                new RecentChecks.Check(T0.plusSeconds(3), Outcome.DEGRADED, 12));

        register("api", "http://elsewhere.test/", j -> {});
        assertThat(checks("api")).as("a new target starts over, as its status does").isEmpty();
    }

    @Test
    void ticksStayBoundedWhateverTheNumberOfEvents() {
        long v1 = register("api");
        for (int i = 1; i <= RecentChecks.CAPACITY + 5; i++) {
            send("api", 1, v1, Outcome.HEALTHY, T0.plusSeconds(i));
        }

        assertThat(checks("api")).hasSize(RecentChecks.CAPACITY).last().extracting(RecentChecks.Check::at)
                .isEqualTo(T0.plusSeconds(RecentChecks.CAPACITY + 5));
    }

    @Test
    void flappingBackendReportsEntryAndExitInsteadOfEveryChange() {
        AggregatorSettings s = AggregatorSettings.DEFAULTS;
        long r = register("flaky", "http://flaky.test/", j -> ((ObjectNode) j.get("healthCheck"))
                .put("unhealthyThreshold", 1).put("healthyThreshold", 1));
        Instant t = T0;
        for (int i = 0; i < 6; i++) { // HEALTHY, UNHEALTHY, HEALTHY, … : a change on every result
            send("flaky", 1, r, i % 2 == 0 ? Outcome.HEALTHY : Outcome.UNHEALTHY, t = t.plusSeconds(10));
        }
        assertThat(status("flaky").flapping()).isTrue();
        List<StatusTransition> whileFlapping = transitions();
        // UNKNOWN→H, H→U, U→H, H→U are ordinary; the fourth change within the window starts flapping,
        // and the sixth result's change is not reported on its own.
        assertThat(whileFlapping).extracting(StatusTransition::kind).containsExactly(
                StatusTransition.Kind.CHANGE, StatusTransition.Kind.CHANGE, StatusTransition.Kind.CHANGE,
                StatusTransition.Kind.CHANGE, StatusTransition.Kind.FLAPPING_STARTED);

        for (int i = 0; i < s.flapWindow(); i++) { // steady again: the changes leave the window
            send("flaky", 1, r, Outcome.HEALTHY, t = t.plusSeconds(10));
        }
        assertThat(status("flaky").flapping()).isFalse();
        assertThat(transitions()).extracting(StatusTransition::kind)
                .containsExactly(StatusTransition.Kind.FLAPPING_ENDED);
    }

    @Test
    void availabilityCoversTheLastHourAndDay() {
        long r = register("api");
        Instant t = T0;
        for (int i = 0; i < 30; i++) { // 30 min of failures, a day ago
            send("api", 1, r, Outcome.UNHEALTHY, t = t.plusSeconds(60));
        }
        t = t.plus(Duration.ofHours(20));
        for (int i = 0; i < 30; i++) { // then 30 min up
            send("api", 1, r, Outcome.HEALTHY, t = t.plusSeconds(60));
        }
        assertThat(status("api").availability().lastHour()).hasValue(1.0);
        assertThat(status("api").availability().lastDay()).hasValue(0.5);

        send("api", 1, r, Outcome.HEALTHY, t.plus(Duration.ofHours(5))); // the failures fall out of the day
        assertThat(status("api").availability().lastDay()).hasValue(1.0);
    }

    @Test
    void unreadableEventGoesToTheDeadLetterTopicAndTheNextIsApplied() {
        long r = register("api");
        events.pipeInput("api".getBytes(StandardCharsets.UTF_8), "{not json".getBytes(StandardCharsets.UTF_8), T0);
        send("api", 1, r, Outcome.HEALTHY, T0.plusSeconds(1));

        TestRecord<String, byte[]> dead = dlq.readRecord();
        assertThat(new String(dead.headers().lastHeader(DeadLetter.ERROR_HEADER).value(), StandardCharsets.UTF_8))
                .contains("not JSON");
        assertThat(dead.headers().lastHeader(DeadLetter.SOURCE_OFFSET_HEADER)).isNotNull();
        assertThat(status("api").status()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void publishedRecordsValidateAgainstTheirSchemas() {
        long r = register("api");
        send("api", 1, r, Outcome.UNHEALTHY, T0.plusSeconds(1));
        send("api", 1, r, Outcome.UNHEALTHY, T0.plusSeconds(2));
        send("api", 1, r, Outcome.UNHEALTHY, T0.plusSeconds(3));
        send("api", 1, r, Outcome.HEALTHY, T0.plusSeconds(4));

        Schema status = Schemas.load("backend-status.v1.schema.json");
        Schema transition = Schemas.load("status-transition.v1.schema.json");
        // the registration, the first check, the third failure (UNHEALTHY), the success (DEGRADED): the second
        // failure changed nothing but check progress
        assertThat(statuses.readValuesToList()).hasSize(4)
                .allSatisfy(v -> assertThat(Schemas.validate(status, v)).as(new String(v,
                StandardCharsets.UTF_8)).isEmpty());
        assertThat(transitions.readValuesToList()).isNotEmpty()
                .allSatisfy(v -> assertThat(Schemas.validate(transition, v)).as(new String(v,
                StandardCharsets.UTF_8)).isEmpty());
    }
}
