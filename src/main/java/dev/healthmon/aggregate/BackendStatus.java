package dev.healthmon.aggregate;

import dev.healthmon.events.Failure;
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
 * @param since         when the status last changed (for UNKNOWN: when the registration was read)
 * @param availability  share of up checks over the hour and the day before {@code lastCheckedAt}
 * @param registration  the registration in force
 */
public record BackendStatus(
        String id,
        String name,
        Map<String, String> labels,
        HealthStatus status,
        Optional<Reason> reason,
        Instant since,
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

    /** The last failed check: what failed and when. */
    public record LastFailure(Failure failure, Instant at) {
        public LastFailure {
            Objects.requireNonNull(failure, "failure");
            Objects.requireNonNull(at, "at");
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
}
