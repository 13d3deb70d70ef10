package dev.healthmon.monitor;

import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.HealthStatus;

/** A read-only view of one running check, for admin reads and tests. */
public record ActiveCheck(String backendId, long generation, RegistrationVersion version, HealthStatus status) {}
