package dev.healthmon.aggregate;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Reason;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The authoritative status of one backend: the value of a {@code backend-status} record and of
 * the query API ({@code schemas/backend-status.v1.schema.json}).
 *
 * <p>The JSON is this record as {@code dev.healthmon.json.Json} maps it: {@code schemaVersion},
 * then the components in this order, absent optionals omitted, labels sorted by name.
 *
 * @param since         when the status last changed (for UNKNOWN: when the registration was read)
 * @param availability  share of up checks over the hour and the day before {@code lastCheckedAt}
 * @param registration  the registration in force
 */
@JsonPropertyOrder({"schemaVersion"})
public record BackendStatus(
        @JsonProperty(required = true) String id,
        @JsonProperty(required = true) String name,
        Map<String, String> labels,
        @JsonProperty(required = true) HealthStatus status,
        Optional<Reason> reason,
        @JsonProperty(required = true) Instant since,
        Optional<Instant> lastCheckedAt,
        OptionalLong latencyMs,
        int consecutiveFailures,
        int consecutiveSuccesses,
        boolean flapping,
        Availability.Figures availability,
        Optional<LastFailure> lastFailure,
        Optional<String> checkedBy,
        OptionalInt ownerEpoch,
        RegistrationVersion registration) {

    public static final int SCHEMA_VERSION = 1;

    /** The last failed check: what failed and when; in JSON the failure's fields and {@code at}, side by side. */
    @JsonPropertyOrder({"kind", "message", "httpStatus", "at"})
    public record LastFailure(@JsonIgnore Failure failure, @JsonProperty(required = true) Instant at) {
        public LastFailure {
            Objects.requireNonNull(failure, "failure");
            Objects.requireNonNull(at, "at");
        }

        @JsonCreator
        static LastFailure fromJson(@JsonProperty(value = "kind", required = true) FailureKind kind,
                                    @JsonProperty(value = "message", required = true) String message,
                                    @JsonProperty("httpStatus") OptionalInt httpStatus,
                                    @JsonProperty(value = "at", required = true) Instant at) {
            return new LastFailure(new Failure(kind, message, httpStatus), at);
        }

        @JsonProperty("kind")
        FailureKind kind() {
            return failure.kind();
        }

        @JsonProperty("message")
        String message() {
            return failure.message();
        }

        @JsonProperty("httpStatus")
        OptionalInt httpStatus() {
            return failure.httpStatus();
        }
    }

    public BackendStatus {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        labels = Map.copyOf(labels);
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(lastCheckedAt, "lastCheckedAt");
        Objects.requireNonNull(latencyMs, "latencyMs");
        Objects.requireNonNull(availability, "availability");
        Objects.requireNonNull(lastFailure, "lastFailure");
        Objects.requireNonNull(checkedBy, "checkedBy");
        Objects.requireNonNull(ownerEpoch, "ownerEpoch");
        Objects.requireNonNull(registration, "registration");
    }

    /** A backend just registered (or re-targeted): UNKNOWN until its first result. */
    public static BackendStatus unknown(TrackedBackend backend, Instant since) {
        return new BackendStatus(backend.id(), backend.name(), backend.labels(), HealthStatus.UNKNOWN, Optional.empty(),
                since, Optional.empty(), OptionalLong.empty(), 0, 0, false, Availability.Figures.NONE, Optional.empty(),
                Optional.empty(), OptionalInt.empty(), backend.version());
    }

    /** This status with the descriptive fields and version of {@code backend}. */
    public BackendStatus describedBy(TrackedBackend backend) {
        return new BackendStatus(id, backend.name(), backend.labels(), status, reason, since, lastCheckedAt, latencyMs,
                consecutiveFailures, consecutiveSuccesses, flapping, availability, lastFailure, checkedBy, ownerEpoch,
                backend.version());
    }

    /**
     * Equal but for the progress every check makes: {@code lastCheckedAt}, {@code latencyMs}, the
     * consecutive counts, {@code availability}, and when the last failure happened (its kind, message
     * and HTTP status do count). What a consumer of {@code backend-status} acts on is the rest.
     */
    public boolean sameBesidesProgress(BackendStatus o) {
        return id.equals(o.id) && name.equals(o.name) && labels.equals(o.labels) && status == o.status
                && reason.equals(o.reason) && since.equals(o.since) && flapping == o.flapping
                && lastFailure.map(LastFailure::failure).equals(o.lastFailure.map(LastFailure::failure))
                && checkedBy.equals(o.checkedBy) && ownerEpoch.equals(o.ownerEpoch)
                && registration.equals(o.registration);
    }

    /** Written first; the only version there is. */
    @JsonProperty(value = "schemaVersion", access = JsonProperty.Access.READ_ONLY)
    public int schemaVersion() {
        return SCHEMA_VERSION;
    }
}
