package dev.healthmon.aggregate;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Reason;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A change of a backend's authoritative status: a {@code health-transitions} record ({@code
 * schemas/status-transition.v1.schema.json}). The JSON is this record as {@code dev.healthmon.json.Json}
 * maps it: {@code schemaVersion}, then the components in this order, an absent reason omitted.
 */
@JsonPropertyOrder({"schemaVersion"})
public record StatusTransition(
        @JsonProperty(required = true) String backendId, @JsonProperty(required = true) String name,
        Map<String, String> labels, @JsonProperty(required = true) Kind kind,
        @JsonProperty(required = true) HealthStatus from, @JsonProperty(required = true) HealthStatus to,
        Optional<Reason> reason, @JsonProperty(required = true) Instant at) {

    public static final int SCHEMA_VERSION = 1;

    /** CHANGE for an ordinary change; while a backend flaps only its entry and exit are reported. */
    public enum Kind { CHANGE, FLAPPING_STARTED, FLAPPING_ENDED }

    public StatusTransition {
        Objects.requireNonNull(backendId, "backendId");
        Objects.requireNonNull(name, "name");
        labels = Map.copyOf(labels);
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(at, "at");
    }

    /** Written first; the only version there is. */
    @JsonProperty(value = "schemaVersion", access = JsonProperty.Access.READ_ONLY)
    public int schemaVersion() {
        return SCHEMA_VERSION;
    }
}
