package dev.healthmon.aggregate;

import dev.healthmon.registry.BackendRegistration;
import dev.healthmon.registry.CheckSettings;
import dev.healthmon.registry.RegistrationVersion;
import dev.healthmon.status.Thresholds;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the aggregator keeps of a valid registration (the registrations table): who the backend
 * is, the version in force, its thresholds, and a fingerprint of the fields that affect checking
 * (a change there is a new target, whose status starts again at UNKNOWN).
 */
public record TrackedBackend(String id, String name, Map<String, String> labels, RegistrationVersion version,
                             Thresholds thresholds, String checkingFingerprint) {

    public TrackedBackend {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        labels = Map.copyOf(labels);
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(thresholds, "thresholds");
        Objects.requireNonNull(checkingFingerprint, "checkingFingerprint");
    }

    public static TrackedBackend of(BackendRegistration registration, CheckSettings settings, RegistrationVersion version) {
        // Records print their components deterministically: equal checking fields, equal fingerprint.
        String fingerprint = List.of(registration.url(), registration.transport(), registration.healthCheck(),
                registration.auth()).toString();
        return new TrackedBackend(registration.id(), registration.name(), registration.labels(), version,
                settings.thresholds(), fingerprint);
    }
}
