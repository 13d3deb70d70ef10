package dev.healthmon.registration;

import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One backend's registration, the value of a {@code backend-registry} record
 * ({@code schemas/backend-registration.v1.schema.json}). Only {@link RegistrationCodec} builds
 * these from untrusted bytes, so an instance is always valid.
 */
public record BackendRegistration(
        String id,
        String name,
        URI url,
        Transport transport,
        HealthCheckOverrides healthCheck,
        Optional<AuthSpec> auth,
        Map<String, String> labels) {

    public BackendRegistration {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(healthCheck, "healthCheck");
        Objects.requireNonNull(auth, "auth");
        labels = Map.copyOf(labels);
    }

    /**
     * True when {@code other} is checked the same way: same url, transport, health-check
     * overrides and auth. A change to any of these restarts the check; a change to only
     * {@code name} or {@code labels} does not.
     */
    public boolean checkedLike(BackendRegistration other) {
        return url.equals(other.url)
                && transport == other.transport
                && healthCheck.equals(other.healthCheck)
                && auth.equals(other.auth);
    }
}
