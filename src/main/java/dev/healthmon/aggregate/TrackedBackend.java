package dev.healthmon.aggregate;

import dev.healthmon.registration.BackendRegistration;
import dev.healthmon.registration.CheckSettings;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.Thresholds;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the aggregator keeps of a valid registration (the registrations table): who the backend
 * is, the version in force, its thresholds, its timing, and a fingerprint of the fields that affect
 * checking (a change there is a new target, whose status starts again at UNKNOWN).
 *
 * @param longestInterval the longest a live monitor waits between two checks of this backend: the
 *                        larger of its interval and unhealthy interval, plus the largest jitter
 * @param timeout         how long one check may take
 */
public record TrackedBackend(String id, String name, Map<String, String> labels, RegistrationVersion version,
                             Thresholds thresholds, Duration longestInterval, Duration timeout,
                             String checkingFingerprint) {

    public TrackedBackend {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        labels = Map.copyOf(labels);
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(thresholds, "thresholds");
        Objects.requireNonNull(longestInterval, "longestInterval");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(checkingFingerprint, "checkingFingerprint");
    }

    public static TrackedBackend of(BackendRegistration registration, CheckSettings settings,
            RegistrationVersion version) {
        // Records print their components deterministically: equal checking fields, equal fingerprint.
        String fingerprint = List.of(registration.url(), registration.transport(), registration.healthCheck(),
                registration.auth()).toString();
        Duration base = settings.interval().compareTo(settings.unhealthyInterval()) >= 0
                ? settings.interval() : settings.unhealthyInterval();
        Duration longest = base.plus(base.multipliedBy(settings.jitterPercent()).dividedBy(100));
        return new TrackedBackend(registration.id(), registration.name(), registration.labels(), version,
                settings.thresholds(), longest, settings.timeout(), fingerprint);
    }

    /**
     * How long this backend's event stream must have been quiet before an event with a lower
     * {@code ownerEpoch} is taken for a recreated group rather than a zombie (docs/design.md §6.3): the
     * monitors' session timeout (how long a zombie may go on checking after losing the backend) plus
     * one longest interval and one timeout (the most a live owner stays silent between two results).
     */
    public Duration fenceWindow(Duration sessionTimeout) {
        return sessionTimeout.plus(longestInterval).plus(timeout);
    }
}
