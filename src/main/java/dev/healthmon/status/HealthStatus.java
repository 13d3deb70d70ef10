package dev.healthmon.status;

/** The status of a backend after the {@link HealthPolicy} has been applied to its check results. */
public enum HealthStatus {
    /** No result yet, or only failures below the unhealthy threshold for a backend never seen healthy. */
    UNKNOWN,
    HEALTHY,
    /** Usable but not at full health; always carries a {@link Reason}. */
    DEGRADED,
    UNHEALTHY,
    /** The backend answers but asks for credentials the registration does not provide. */
    UNAUTHENTICATED
}
