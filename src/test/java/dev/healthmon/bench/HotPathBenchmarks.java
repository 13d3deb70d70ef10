package dev.healthmon.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import dev.healthmon.aggregate.AggregatorSettings;
import dev.healthmon.aggregate.RecentChecks;
import dev.healthmon.aggregate.StatusFold;
import dev.healthmon.aggregate.StatusJson;
import dev.healthmon.aggregate.StatusState;
import dev.healthmon.aggregate.TrackedBackend;
import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.json.Json;
import dev.healthmon.monitor.CheckTiming;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.registration.RegistrationCodec;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.CircuitState;
import dev.healthmon.status.HealthPolicy;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Observation;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.PolicyState;
import dev.healthmon.status.Reason;
import dev.healthmon.status.Thresholds;
import dev.healthmon.support.Registrations;
import dev.healthmon.support.Schemas;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH microbenchmarks of the per-check hot paths: codecs, the policy step, the next-delay computation.
 * {@code *ByHand} run the hand-written event codec the Jackson mapping replaced, on the same events,
 * so the two are compared in one run (docs/BENCHMARKS.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HotPathBenchmarks {

    private RegistrationCodec registrations;
    private HealthEventCodec events;
    private HandWrittenEventJson byHand;
    private byte[] key;
    private byte[] registration;
    private HealthEvent event;
    private byte[] encodedEvent;
    private HealthEvent failedEvent;
    private byte[] encodedFailedEvent;
    private DecodedRegistration.Valid valid;
    private Schema registrationSchema;
    private JsonNode registrationTree;
    private PolicyState state;
    private StatusJson statusJson;
    private byte[] storedState;
    private byte[] storedStateWithoutChecks;
    private RecentChecks fullRing;
    private RecentChecks.Check check;

    @Setup
    public void setUp() {
        ObjectMapper mapper = Json.mapper();
        registrations = new RegistrationCodec(mapper, CheckDefaults.STANDARD);
        events = new HealthEventCodec(mapper);
        byHand = new HandWrittenEventJson(new ObjectMapper());
        key = "payments-api".getBytes(StandardCharsets.UTF_8);
        registration = Registrations.bytes(Registrations.json("payments-api", "http://10.0.0.5:8080/healthz",
                j -> j.putObject("labels").put("team", "payments")));
        valid = (DecodedRegistration.Valid) registrations.decode(key, registration);
        registrationSchema = Schemas.load("backend-registration.v1.schema.json");
        registrationTree = readTree(mapper, registration);
        Instant at = Instant.parse("2026-11-24T10:00:00Z");
        event = new HealthEvent("payments-api", new RegistrationVersion(3, 1234), 42, "monitor-1", 7, at,
                at.plusMillis(12), 12,
                Outcome.HEALTHY, HealthStatus.HEALTHY, HealthStatus.HEALTHY, Optional.empty(), 0, 42, Optional.empty(),
                CircuitState.CLOSED, Optional.empty());
        encodedEvent = events.encode(event);
        failedEvent = new HealthEvent("payments-api", new RegistrationVersion(3, 1234), 43, "monitor-1", 7, at,
                at.plusMillis(5003), 5003, Outcome.UNHEALTHY, HealthStatus.UNHEALTHY, HealthStatus.HEALTHY,
                Optional.of(Reason.FAILING), 3, 0, Optional.of(Failure.http(FailureKind.HTTP_STATUS, 503, "HTTP 503")),
                CircuitState.OPEN, Optional.empty());
        encodedFailedEvent = events.encode(failedEvent);
        state = new PolicyState(HealthStatus.HEALTHY, Optional.empty(), 0, 10);
        statusJson = new StatusJson(mapper);
        StatusState folded = foldedState(at);
        storedState = statusJson.encode(folded);
        storedStateWithoutChecks = statusJson.encode(new StatusState(folded.view(), folded.applied(),
                folded.flapping(), folded.availability(), folded.history(), RecentChecks.NONE));
        fullRing = folded.checks();
        check = new RecentChecks.Check(at, Outcome.HEALTHY, 12);
    }

    /** A backend's store value after 40 checks a minute apart, as the aggregator folds them (30 kept as ticks). */
    private static StatusState foldedState(Instant at) {
        TrackedBackend backend = new TrackedBackend("payments-api", "Payments API", Map.of("team", "payments"),
                new RegistrationVersion(3, 1234), Thresholds.DEFAULTS, Duration.ofSeconds(10), Duration.ofSeconds(5),
                "fingerprint");
        StatusState folded = StatusFold.registered(Optional.empty(), Optional.empty(), backend, at,
                AggregatorSettings.DEFAULTS).state();
        for (int i = 1; i <= 40; i++) {
            HealthEvent e = new HealthEvent("payments-api", new RegistrationVersion(3, 1234), i, "monitor-1", 7,
                    at.plusSeconds(60L * i), at.plusSeconds(60L * i), 12 + i % 7, i % 10 == 0 ? Outcome.UNHEALTHY
                    : Outcome.HEALTHY, HealthStatus.HEALTHY, HealthStatus.HEALTHY, Optional.empty(), 0, 1,
                    i % 10 == 0 ? Optional.of(Failure.http(FailureKind.HTTP_STATUS, 503, "HTTP 503"))
                    : Optional.empty(), CircuitState.CLOSED, Optional.empty());
            folded = StatusFold.apply(folded, backend, e, AggregatorSettings.DEFAULTS).state();
        }
        return folded;
    }

    @Benchmark
    public DecodedRegistration decodeRegistration() {
        return registrations.decode(key, registration);
    }

    private static JsonNode readTree(ObjectMapper mapper, byte[] json) {
        try {
            return mapper.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What checking a registration against the shipped schema at run time would add to {@link #decodeRegistration}. */
    @Benchmark
    public List<Error> validateRegistrationWithSchema() {
        return registrationSchema.validate(registrationTree);
    }

    @Benchmark
    public byte[] encodeEvent() {
        return events.encode(event);
    }

    @Benchmark
    public HealthEvent decodeEvent() {
        return events.decode(encodedEvent);
    }

    @Benchmark
    public byte[] encodeEventByHand() {
        return byHand.encode(event);
    }

    @Benchmark
    public HealthEvent decodeEventByHand() {
        return byHand.decode(encodedEvent);
    }

    @Benchmark
    public byte[] encodeFailedEvent() {
        return events.encode(failedEvent);
    }

    @Benchmark
    public byte[] encodeFailedEventByHand() {
        return byHand.encode(failedEvent);
    }

    @Benchmark
    public HealthEvent decodeFailedEvent() {
        return events.decode(encodedFailedEvent);
    }

    @Benchmark
    public HealthEvent decodeFailedEventByHand() {
        return byHand.decode(encodedFailedEvent);
    }

    @Benchmark
    public PolicyState policyStep() {
        return HealthPolicy.next(state, Observation.unhealthy(), Thresholds.DEFAULTS);
    }

    @Benchmark
    public Duration nextDelay() {
        return CheckTiming.nextDelay(valid.settings(), HealthStatus.HEALTHY, HealthStatus.HEALTHY, Optional.empty(),
                () -> 0.37);
    }

    /** What the aggregator does with its store value on every event (read it, write it back), with 30 ticks. */
    @Benchmark
    public byte[] statusStateRoundTrip() {
        return statusJson.encode(statusJson.decodeState(storedState));
    }

    /** The same value without the ticks: the difference is what keeping them costs per event. */
    @Benchmark
    public byte[] statusStateRoundTripWithoutChecks() {
        return statusJson.encode(statusJson.decodeState(storedStateWithoutChecks));
    }

    @Benchmark
    public RecentChecks addCheckToFullRing() {
        return fullRing.add(check);
    }
}
