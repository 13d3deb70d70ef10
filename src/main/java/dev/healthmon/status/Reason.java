package dev.healthmon.status;

/** Why a status or outcome is what it is; DEGRADED always has one. */
public enum Reason {
    /** Success slower than the degraded-latency threshold. */
    SLOW,
    /** First successes after failures, before the healthy threshold is reached. */
    RECOVERING,
    /** The backend answered HTTP 429. */
    RATE_LIMITED,
    /** The backend asks for credentials the registration does not provide. */
    AUTH_REQUIRED,
    /** The circuit breaker is open: checks are spaced out. */
    CIRCUIT_OPEN,
    /** Consecutive failures reached the unhealthy threshold. */
    FAILING
}
