package dev.healthmon.events;

/** Why a check failed, as published in {@code HealthEvent.failure.kind}. */
public enum FailureKind {
    TIMEOUT,
    CONNECTION_REFUSED,
    DNS,
    TLS,
    HTTP_STATUS,
    PROTOCOL,
    AUTH,
    BODY_TOO_LARGE,
    /** A fault on our side (missing secret, no probe for the type); the backend may be fine. */
    INTERNAL
}
