package dev.healthmon.aggregate;

import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Reason;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A change of a backend's authoritative status: a {@code health-transitions} record ({@code
 * schemas/status-transition.v1.schema.json}).
 */
public record StatusTransition(
        String backendId, String name, Map<String, String> labels, Kind kind, HealthStatus from, HealthStatus to,
        Optional<Reason> reason, Instant at) {

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
}
