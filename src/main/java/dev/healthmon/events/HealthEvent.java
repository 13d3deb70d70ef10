package dev.healthmon.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
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
 * <p>The JSON is this record as {@code dev.healthmon.json.Json} maps it: the components in this
 * order after {@code schemaVersion}, absent optionals omitted; {@code required} marks what the
 * schema requires, so a reader names a missing field.
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
@JsonPropertyOrder({"schemaVersion"})
public record HealthEvent(
        @JsonProperty(required = true) String backendId,
        @JsonProperty(required = true) RegistrationVersion registration,
        @JsonProperty(required = true) long sequence,
        @JsonProperty(required = true) String monitorId,
        @JsonProperty(required = true) int ownerEpoch,
        @JsonProperty(required = true) Instant scheduledAt,
        @JsonProperty(required = true) Instant checkedAt,
        @JsonProperty(required = true) long latencyMs,
        @JsonProperty(required = true) Outcome outcome,
        @JsonProperty(required = true) HealthStatus status,
        @JsonProperty(required = true) HealthStatus previousStatus,
        Optional<Reason> reason,
        @JsonProperty(required = true) int consecutiveFailures,
        @JsonProperty(required = true) int consecutiveSuccesses,
        Optional<Failure> failure,
        @JsonProperty(required = true) CircuitState circuit,
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
        requireInIsoYears(scheduledAt, "scheduledAt");
        requireInIsoYears(checkedAt, "checkedAt");
    }

    /** The earliest and the first refused time: four-digit years, as ISO-8601 UTC writes them. */
    private static final Instant EARLIEST = Instant.EPOCH;
    private static final Instant TOO_LATE = Instant.parse("+10000-01-01T00:00:00Z");

    /**
     * Any writer of {@code health-events} could otherwise send {@code +999999999-12-31T23:59:59Z}, whose epoch
     * milliseconds overflow in the aggregator's arithmetic and stopped it on every restart.
     */
    private static void requireInIsoYears(Instant at, String field) {
        if (at.isBefore(EARLIEST) || !at.isBefore(TOO_LATE)) {
            throw new IllegalArgumentException(field + " must lie in the years 1970 to 9999");
        }
    }

    /** Written first in every event; read by the codec, which refuses any other version. */
    @JsonProperty(value = "schemaVersion", access = JsonProperty.Access.READ_ONLY)
    public int schemaVersion() {
        return SCHEMA_VERSION;
    }
}
