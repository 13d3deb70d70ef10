package dev.healthmon.registration;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Where a registration record sits in {@code backend-registry}: its partition and offset. The
 * offset is the registration's version; every HealthEvent names the version it checked.
 */
public record RegistrationVersion(@JsonProperty(required = true) int partition,
                                  @JsonProperty(required = true) long offset) {

    public RegistrationVersion {
        if (partition < 0 || offset < 0) {
            throw new IllegalArgumentException("partition and offset must be >= 0");
        }
    }
}
