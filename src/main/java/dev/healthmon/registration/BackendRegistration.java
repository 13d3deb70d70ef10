package dev.healthmon.registration;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One backend's registration, the value of a {@code backend-registry} record
 * ({@code schemas/backend-registration.v1.schema.json}). Only {@link RegistrationCodec} builds
 * these from untrusted bytes, so an instance is always valid.
 *
 * <p>Written ({@code healthmon register}) as this record as {@code dev.healthmon.json.Json} maps it:
 * {@code schemaVersion}, then the components in this order; no {@code healthCheck} object when there
 * are no overrides, no {@code labels} when there are none. Read only by {@link RegistrationCodec#decode},
 * which validates.
 */
@JsonPropertyOrder({"schemaVersion"})
public record BackendRegistration(
        String id,
        String name,
        URI url,
        Transport transport,
        @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = HealthCheckOverrides.IsNone.class)
        HealthCheckOverrides healthCheck,
        Optional<AuthSpec> auth,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> labels) {

    public BackendRegistration {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(healthCheck, "healthCheck");
        Objects.requireNonNull(auth, "auth");
        labels = Map.copyOf(labels);
    }

    @JsonProperty(value = "schemaVersion", access = JsonProperty.Access.READ_ONLY)
    public int schemaVersion() {
        return RegistrationCodec.SCHEMA_VERSION;
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
