package dev.healthmon.support;

import dev.healthmon.events.Failure;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.McpServerInfo;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.CircuitState;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.Reason;
import java.time.Instant;
import java.util.Optional;

/**
 * Builds a {@link HealthEvent} for a test by naming only what the test is about: a healthy first
 * result of monitor {@code m1} (epoch 1) for registration 0@1, checked at a fixed instant, unless told
 * otherwise. {@code HealthEvents.event("api").sequence(3).failed(failure).build()} instead of 17
 * positional arguments. Not thread-safe; one builder per event.
 */
public final class HealthEvents {

    public static final Instant AT = Instant.parse("2026-11-24T10:00:00Z");

    private String backendId;
    private RegistrationVersion registration = new RegistrationVersion(0, 1);
    private long sequence = 1;
    private String monitorId = "m1";
    private int ownerEpoch = 1;
    private Instant scheduledAt = AT;
    private Instant checkedAt = AT;
    private long latencyMs = 1;
    private Outcome outcome = Outcome.HEALTHY;
    private HealthStatus status = HealthStatus.HEALTHY;
    private HealthStatus previousStatus = HealthStatus.UNKNOWN;
    private Optional<Reason> reason = Optional.empty();
    private int consecutiveFailures;
    private int consecutiveSuccesses = 1;
    private Optional<Failure> failure = Optional.empty();
    private CircuitState circuit = CircuitState.CLOSED;
    private Optional<McpServerInfo> mcp = Optional.empty();

    private HealthEvents(String backendId) {
        this.backendId = backendId;
    }

    public static HealthEvents event(String backendId) {
        return new HealthEvents(backendId);
    }

    /** A builder holding every field of {@code e}, to change one or two. */
    public static HealthEvents copyOf(HealthEvent e) {
        HealthEvents b = new HealthEvents(e.backendId());
        b.registration = e.registration();
        b.sequence = e.sequence();
        b.monitorId = e.monitorId();
        b.ownerEpoch = e.ownerEpoch();
        b.scheduledAt = e.scheduledAt();
        b.checkedAt = e.checkedAt();
        b.latencyMs = e.latencyMs();
        b.outcome = e.outcome();
        b.status = e.status();
        b.previousStatus = e.previousStatus();
        b.reason = e.reason();
        b.consecutiveFailures = e.consecutiveFailures();
        b.consecutiveSuccesses = e.consecutiveSuccesses();
        b.failure = e.failure();
        b.circuit = e.circuit();
        b.mcp = e.mcp();
        return b;
    }

    public HealthEvents registration(int partition, long offset) {
        return registration(new RegistrationVersion(partition, offset));
    }

    public HealthEvents registration(RegistrationVersion version) {
        this.registration = version;
        return this;
    }

    public HealthEvents sequence(long sequence) {
        this.sequence = sequence;
        return this;
    }

    public HealthEvents monitor(String monitorId, int ownerEpoch) {
        this.monitorId = monitorId;
        this.ownerEpoch = ownerEpoch;
        return this;
    }

    /** Scheduled and checked at {@code at}. */
    public HealthEvents at(Instant at) {
        return at(at, at);
    }

    public HealthEvents at(Instant scheduledAt, Instant checkedAt) {
        this.scheduledAt = scheduledAt;
        this.checkedAt = checkedAt;
        return this;
    }

    public HealthEvents latencyMs(long latencyMs) {
        this.latencyMs = latencyMs;
        return this;
    }

    public HealthEvents outcome(Outcome outcome) {
        this.outcome = outcome;
        return this;
    }

    /** The status after this check and the one before it. */
    public HealthEvents status(HealthStatus previousStatus, HealthStatus status) {
        this.previousStatus = previousStatus;
        this.status = status;
        return this;
    }

    public HealthEvents reason(Optional<Reason> reason) {
        this.reason = reason;
        return this;
    }

    public HealthEvents counters(int consecutiveFailures, int consecutiveSuccesses) {
        this.consecutiveFailures = consecutiveFailures;
        this.consecutiveSuccesses = consecutiveSuccesses;
        return this;
    }

    public HealthEvents failure(Optional<Failure> failure) {
        this.failure = failure;
        return this;
    }

    public HealthEvents circuit(CircuitState circuit) {
        this.circuit = circuit;
        return this;
    }

    public HealthEvents mcp(McpServerInfo mcp) {
        this.mcp = Optional.of(mcp);
        return this;
    }

    public HealthEvent build() {
        return new HealthEvent(backendId, registration, sequence, monitorId, ownerEpoch, scheduledAt, checkedAt,
                latencyMs, outcome, status, previousStatus, reason, consecutiveFailures, consecutiveSuccesses, failure,
                circuit, mcp);
    }
}
