package dev.healthmon.status;

/** The verdict of one check, before any policy: what this single probe saw. */
public enum Outcome {
    HEALTHY,
    DEGRADED,
    UNHEALTHY,
    UNAUTHENTICATED;

    /** A success keeps the backend in service: HEALTHY or DEGRADED. */
    public boolean isSuccess() {
        return this == HEALTHY || this == DEGRADED;
    }
}
