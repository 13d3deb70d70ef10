package dev.healthmon.events;

import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.CircuitState;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.Reason;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One check result, the value of a {@code health-events} record
 * ({@code schemas/health-event.v1.schema.json}).
 *
 * @param registration the registry record that was checked: its version
 * @param sequence     1, 2, … within one check lifetime (restarts when the check restarts)
 * @param ownerEpoch   the consumer-group generation (or KIP-848 member epoch) under which the
 *                     publishing monitor owned the backend's partition
 * @param scheduledAt  when the check was due
 * @param checkedAt    when its result was known
 * @param outcome      what this one check saw
 * @param status       the status after the policy, with {@code previousStatus} and {@code reason}
 * @param circuit      the backend's circuit breaker after this check, CLOSED or OPEN (OPEN: the next
 *                     check is the half-open trial, one open duration later; the trial's own event
 *                     says how it ended). Never HALF_OPEN: that lasts only while the trial runs.
 * @param mcp          for MCP checks that got through {@code initialize}: the negotiated protocol
 *                     version and the server's name and version
 */
public record HealthEvent(
        String backendId,
        RegistrationVersion registration,
        long sequence,
        String monitorId,
        int ownerEpoch,
        Instant scheduledAt,
        Instant checkedAt,
        long latencyMs,
        Outcome outcome,
        HealthStatus status,
        HealthStatus previousStatus,
        Optional<Reason> reason,
        int consecutiveFailures,
        int consecutiveSuccesses,
        Optional<Failure> failure,
        CircuitState circuit,
        Optional<McpServerInfo> mcp) {

    public static final int SCHEMA_VERSION = 1;

    public HealthEvent {
        Objects.requireNonNull(backendId, "backendId");
        Objects.requireNonNull(registration, "registration");
        Objects.requireNonNull(monitorId, "monitorId");
        Objects.requireNonNull(scheduledAt, "scheduledAt");
        Objects.requireNonNull(checkedAt, "checkedAt");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(previousStatus, "previousStatus");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(failure, "failure");
        Objects.requireNonNull(circuit, "circuit");
        Objects.requireNonNull(mcp, "mcp");
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence starts at 1, was " + sequence);
        }
    }
}
