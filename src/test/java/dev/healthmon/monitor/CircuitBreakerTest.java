package dev.healthmon.monitor;

import static dev.healthmon.support.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.CircuitState;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Observation;
import dev.healthmon.status.Reason;
import dev.healthmon.support.FakeProbe;
import dev.healthmon.support.ManualScheduler;
import dev.healthmon.support.Schemas;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The circuit breaker as seen from outside: probes sent, and what the events say. Time is driven by hand. */
class CircuitBreakerTest {

    /** Far past any interval or open period used here (the longest is the 60 s default open period). */
    private static final Duration PROBE_WAIT_LIMIT = Duration.ofMinutes(10);

    private final ManualScheduler scheduler = new ManualScheduler();
    private final FakeProbe probe = new FakeProbe();
    private final List<HealthEvent> events = new CopyOnWriteArrayList<>();

    private HealthMonitor monitor(CircuitBreakerSettings settings) {
        HealthMonitor monitor = new HealthMonitor(CheckContext.of("m1", probe, scheduler, events::add)
                .withCircuit(settings).withRandom(() -> 0.5));
        DecodedRegistration.Valid r = valid("dead", "http://dead.test/"); // interval 1 s, timeout 500 ms
        monitor.upsert(r.registration(), r.settings(), new RegistrationVersion(0, 1), 1, StartMode.NEW);
        return monitor;
    }

    /**
     * Runs due checks and answers each new probe call with {@code observation}, {@code n} times. The wait for a probe
     * is bounded in hand-driven time: a breaker that never probes again fails the test instead of hanging it.
     */
    private void answer(int n, Observation observation) {
        for (int i = 0; i < n; i++) {
            int before = probe.calls().size();
            Duration waited = Duration.ZERO;
            while (probe.calls().size() == before) {
                assertThat(waited).as("no probe within %s of simulated time", PROBE_WAIT_LIMIT)
                        .isLessThan(PROBE_WAIT_LIMIT);
                scheduler.advance(Duration.ofMillis(100));
                waited = waited.plusMillis(100);
            }
            probe.last().answer(observation);
        }
    }

    private HealthEvent lastEvent() {
        return events.get(events.size() - 1);
    }

    @Test
    void opensAfterFiveFailuresAndSendsNoProbeWhileOpen() {
        monitor(CircuitBreakerSettings.DEFAULTS);
        answer(4, Observation.unhealthy());
        assertThat(lastEvent().circuit()).isEqualTo(CircuitState.CLOSED);
        assertThat(lastEvent().reason()).contains(Reason.FAILING);

        answer(1, Observation.unhealthy());
        assertThat(lastEvent().circuit()).isEqualTo(CircuitState.OPEN);
        assertThat(lastEvent().status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(lastEvent().reason()).contains(Reason.CIRCUIT_OPEN);

        int probesWhenOpened = probe.calls().size();
        scheduler.advance(Duration.ofSeconds(59));
        assertThat(probe.calls()).as("no probe while open").hasSize(probesWhenOpened);
        scheduler.advance(Duration.ofSeconds(1));
        assertThat(probe.calls()).as("one half-open trial").hasSize(probesWhenOpened + 1);
    }

    @Test
    void successfulTrialClosesTheCircuitAndStartsRecovery() {
        monitor(CircuitBreakerSettings.DEFAULTS);
        answer(5, Observation.unhealthy());

        scheduler.advance(Duration.ofSeconds(60));
        probe.last().answer(Observation.healthy());

        assertThat(lastEvent().circuit()).isEqualTo(CircuitState.CLOSED);
        assertThat(lastEvent().status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(lastEvent().reason()).contains(Reason.RECOVERING);
        int calls = probe.calls().size();
        scheduler.advance(Duration.ofSeconds(1));
        assertThat(probe.calls()).as("back to the normal interval").hasSize(calls + 1);
    }

    @Test
    void failedTrialReopensForTheFullDuration() {
        monitor(CircuitBreakerSettings.DEFAULTS);
        answer(5, Observation.unhealthy());

        scheduler.advance(Duration.ofSeconds(60));
        probe.last().answer(Observation.unhealthy());

        assertThat(lastEvent().circuit()).isEqualTo(CircuitState.OPEN);
        int calls = probe.calls().size();
        scheduler.advance(Duration.ofSeconds(59));
        assertThat(probe.calls()).hasSize(calls);
        scheduler.advance(Duration.ofSeconds(1));
        assertThat(probe.calls()).hasSize(calls + 1);
    }

    @Test
    void eventsCarryExactlyTheCircuitStatesTheSchemaListsAndTheTrialsEventSaysHowItEnded() throws Exception {
        monitor(CircuitBreakerSettings.DEFAULTS);
        answer(5, Observation.unhealthy());
        scheduler.advance(Duration.ofSeconds(60));
        probe.last().answer(Observation.unhealthy()); // a failed trial
        HealthEvent failedTrial = lastEvent();
        scheduler.advance(Duration.ofSeconds(60));
        probe.last().answer(Observation.healthy()); // a successful one
        HealthEvent successfulTrial = lastEvent();

        assertThat(failedTrial.circuit()).as("failed trial: open again").isEqualTo(CircuitState.OPEN);
        assertThat(successfulTrial.circuit()).as("successful trial: closed").isEqualTo(CircuitState.CLOSED);
        JsonNode circuitEnum = new ObjectMapper().readTree(Path.of("schemas", "health-event.v1.schema.json").toFile())
                .at("/properties/circuit/enum");
        Set<String> promised = new HashSet<>();
        circuitEnum.forEach(value -> promised.add(value.asText()));
        assertThat(events.stream().map(e -> e.circuit().name()).collect(Collectors.toSet()))
                .as("what the schema promises a reader is what a breaker's whole cycle publishes")
                .isEqualTo(promised);
        Schema schema = Schemas.load("health-event.v1.schema.json");
        HealthEventCodec codec = new HealthEventCodec(new ObjectMapper());
        assertThat(events).allSatisfy(e -> assertThat(Schemas.validate(schema, codec.encode(e))).isEmpty());
    }

    @Test
    void neverOpensBeforeTheUnhealthyThreshold() {
        // Breaker threshold 1 but unhealthy threshold 3: ToolHive would open while the backend reads healthy.
        monitor(new CircuitBreakerSettings(true, 1, Duration.ofSeconds(60)));
        answer(1, Observation.healthy());
        answer(2, Observation.unhealthy());
        assertThat(lastEvent().status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(lastEvent().circuit()).isEqualTo(CircuitState.CLOSED);

        answer(1, Observation.unhealthy());
        assertThat(lastEvent().status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(lastEvent().circuit()).isEqualTo(CircuitState.OPEN);
    }

    @Test
    void disabledBreakerKeepsCheckingEveryInterval() {
        monitor(CircuitBreakerSettings.DISABLED);
        answer(10, Observation.unhealthy());

        assertThat(events).allSatisfy(e -> assertThat(e.circuit()).isEqualTo(CircuitState.CLOSED));
        assertThat(lastEvent().reason()).contains(Reason.FAILING);
    }

    @Test
    void illegalTransitionsThrow() {
        assertThatThrownBy(()
                -> CircuitState.CLOSED.to(CircuitState.HALF_OPEN)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> CircuitState.OPEN.to(CircuitState.CLOSED)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void settingsOutOfRangeNameTheFlag() {
        assertThatThrownBy(() -> new CircuitBreakerSettings(true, 0, Duration.ofSeconds(60)))
                .hasMessageContaining("circuit-breaker-failures");
        assertThatThrownBy(() -> new CircuitBreakerSettings(true, 5, Duration.ofMillis(10)))
                .hasMessageContaining("circuit-breaker-open-ms");
    }
}
