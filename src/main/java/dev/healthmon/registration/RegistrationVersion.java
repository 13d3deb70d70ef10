package dev.healthmon.registration;

/**
 * Where a registration record sits in {@code backend-registry}: its partition and offset. The
 * offset is the registration's version; every HealthEvent names the version it checked.
 */
public record RegistrationVersion(int partition, long offset) {

    public RegistrationVersion {
        if (partition < 0 || offset < 0) {
            throw new IllegalArgumentException("partition and offset must be >= 0");
        }
    }
}
