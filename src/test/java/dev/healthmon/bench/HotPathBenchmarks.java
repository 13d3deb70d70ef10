package dev.healthmon.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
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
import dev.healthmon.status.Thresholds;
import dev.healthmon.support.Registrations;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** JMH microbenchmarks of the per-check hot paths: codecs, the policy step, the next-delay computation. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HotPathBenchmarks {

    private RegistrationCodec registrations;
    private HealthEventCodec events;
    private byte[] key;
    private byte[] registration;
    private HealthEvent event;
    private byte[] encodedEvent;
    private DecodedRegistration.Valid valid;
    private PolicyState state;

    @Setup
    public void setUp() {
        ObjectMapper mapper = new ObjectMapper();
        registrations = new RegistrationCodec(mapper, CheckDefaults.STANDARD);
        events = new HealthEventCodec(mapper);
        key = "payments-api".getBytes(StandardCharsets.UTF_8);
        registration = Registrations.bytes(Registrations.json("payments-api", "http://10.0.0.5:8080/healthz",
                j -> j.putObject("labels").put("team", "payments")));
        valid = (DecodedRegistration.Valid) registrations.decode(key, registration);
        Instant at = Instant.parse("2026-11-24T10:00:00Z");
        event = new HealthEvent("payments-api", new RegistrationVersion(3, 1234), 42, "monitor-1", 7, at,
                at.plusMillis(12), 12,
                Outcome.HEALTHY, HealthStatus.HEALTHY, HealthStatus.HEALTHY, Optional.empty(), 0, 42, Optional.empty(),
                CircuitState.CLOSED, Optional.empty());
        encodedEvent = events.encode(event);
        state = new PolicyState(HealthStatus.HEALTHY, Optional.empty(), 0, 10);
    }

    @Benchmark
    public DecodedRegistration decodeRegistration() {
        return registrations.decode(key, registration);
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
    public PolicyState policyStep() {
        return HealthPolicy.next(state, Observation.unhealthy(), Thresholds.DEFAULTS);
    }

    @Benchmark
    public Duration nextDelay() {
        return CheckTiming.nextDelay(valid.settings(), HealthStatus.HEALTHY, HealthStatus.HEALTHY, Optional.empty(),
                () -> 0.37);
    }
}
