package dev.healthmon.aggregate;

import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.Reason;
import dev.healthmon.status.Thresholds;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** Store values with every optional part set, and with none, for codec tests. */
final class StoreValues {

    static final Instant T0 = Instant.parse("2026-11-24T10:00:00.123456789Z");

    private StoreValues() {}

    // Written by StatusJson before the binary format (commit 9e75d6e) for StoreValues.full(), fresh() and tracked().
    static final String LEGACY_FULL = """
            {"view":{"schemaVersion":1,"id":"payments-api","name":"Payments API","labels":{"env":"prod",\
            "team":"payments"},"status":"DEGRADED","reason":"RATE_LIMITED","since":"2026-11-24T09:59:30.123456789Z",\
            "lastCheckedAt":"2026-11-24T10:00:00.123456789Z","latencyMs":1234,"consecutiveFailures":0,\
            "consecutiveSuccesses":2,"flapping":true,"availability":{"lastHour":0.75,"lastDay":0.75},"lastFailure":\
            {"kind":"HTTP_STATUS","message":"HTTP 503 \\"ü\\"","httpStatus":503,"at":"2026-11-24T09:59:00.123456789Z"},\
            "checkedBy":"monitor-7","ownerEpoch":12,"registration":{"partition":2,"offset":4711}},"applied":\
            {"monitorId":"monitor-7","ownerEpoch":12,"registrationOffset":4711,"sequence":99,\
            "checkedAt":"2026-11-24T10:00:00.123456789Z"},"recent":["HEALTHY","HEALTHY","DEGRADED","HEALTHY",\
            "DEGRADED"],"flapping":true,"availability":{"newestMs":1795514400123,"minutes":[[1795510800000,1,1],\
            [1795514340000,1,2],[1795514400000,1,1]],"quarters":[[1795510800000,1,1],[1795513500000,1,2],\
            [1795514400000,1,1]]},"history":[{"schemaVersion":1,"backendId":"payments-api","name":"Old name",\
            "labels":{},"kind":"CHANGE","from":"UNKNOWN","to":"HEALTHY","at":"2026-11-24T08:00:00.123456789Z"},\
            {"schemaVersion":1,"backendId":"payments-api","name":"Payments API","labels":{"env":"prod",\
            "team":"payments"},"kind":"FLAPPING_STARTED","from":"HEALTHY","to":"DEGRADED","reason":"RATE_LIMITED",\
            "at":"2026-11-24T09:59:30.123456789Z"}]}""";
    static final String LEGACY_FRESH = """
            {"view":{"schemaVersion":1,"id":"payments-api","name":"Payments API","labels":{"env":"prod",\
            "team":"payments"},"status":"UNKNOWN","since":"2026-11-24T10:00:00.123456789Z","consecutiveFailures":0,\
            "consecutiveSuccesses":0,"flapping":false,"availability":{},"registration":{"partition":2,"offset":4711}},\
            "recent":[],"flapping":false,"availability":{"newestMs":-9223372036854775808,"minutes":[],"quarters":[]},\
            "history":[]}""";
    static final String LEGACY_TRACKED = """
            {"id":"payments-api","name":"Payments API","labels":{"env":"prod","team":"payments"},"partition":2,\
            "offset":4711,"unhealthyThreshold":3,"healthyThreshold":2,"longestIntervalMs":33000,"timeoutMs":2000,\
            "checkingFingerprint":"[https://payments.internal:8443, http, HealthCheckOverrides[...], \
            Optional.empty]"}""";

    static TrackedBackend tracked() {
        return new TrackedBackend("payments-api", "Payments API", Map.of("team", "payments", "env", "prod"),
                new RegistrationVersion(2, 4711), new Thresholds(3, 2), Duration.ofMillis(33_000),
                Duration.ofMillis(2_000), "[https://payments.internal:8443, http, HealthCheckOverrides[...], "
                + "Optional.empty]");
    }

    /** {@code s} without its recent checks, as every JSON store value was. */
    static StatusState withoutChecks(StatusState s) {
        return new StatusState(s.view(), s.applied(), s.flapping(), s.availability(), s.history(), RecentChecks.NONE);
    }

    /**
     * Every optional present: a failure with an HTTP status, a reason, history whose name differs from the view's,
     * a recent check of every outcome.
     */
    static StatusState full() {
        TrackedBackend b = tracked();
        Availability availability = Availability.EMPTY.record(T0.minusSeconds(3_600), true)
                .record(T0.minusSeconds(60), false).record(T0.minusSeconds(30), true).record(T0, true);
        BackendStatus view = new BackendStatus(b.id(), b.name(), b.labels(), HealthStatus.DEGRADED,
                Optional.of(Reason.RATE_LIMITED), T0.minusSeconds(30), Optional.of(T0), OptionalLong.of(1_234), 0, 2,
                true, availability.figures(),
                Optional.of(new BackendStatus.LastFailure(Failure.http(FailureKind.HTTP_STATUS, 503, "HTTP 503 \"ü\""),
                        T0.minusSeconds(60))),
                Optional.of("monitor-7"), OptionalInt.of(12), b.version());
        List<StatusTransition> history = List.of(
                new StatusTransition(b.id(), "Old name", Map.of(), StatusTransition.Kind.CHANGE, HealthStatus.UNKNOWN,
                        HealthStatus.HEALTHY, Optional.empty(), T0.minusSeconds(7_200)),
                new StatusTransition(b.id(), b.name(), b.labels(), StatusTransition.Kind.FLAPPING_STARTED,
                        HealthStatus.HEALTHY, HealthStatus.DEGRADED, Optional.of(Reason.RATE_LIMITED),
                        T0.minusSeconds(30)));
        return new StatusState(view, Optional.of(new StatusState.Applied("monitor-7", 12, 4711, 99, T0)),
                new Flapping(List.of(HealthStatus.HEALTHY, HealthStatus.HEALTHY, HealthStatus.DEGRADED,
                        HealthStatus.HEALTHY, HealthStatus.DEGRADED), true),
                availability, history, new RecentChecks(List.of(
                        new RecentChecks.Check(T0.minusSeconds(60), Outcome.UNHEALTHY, 1_000),
                        new RecentChecks.Check(T0.minusSeconds(30), Outcome.DEGRADED, 1_234),
                        new RecentChecks.Check(T0.minusMillis(1), Outcome.HEALTHY, 0),
                        new RecentChecks.Check(T0, Outcome.UNAUTHENTICATED, 12))));
    }

    /** A backend just registered: nothing optional set. */
    static StatusState fresh() {
        return StatusState.fresh(BackendStatus.unknown(tracked(), T0));
    }

    static OptionalDouble share(double d) {
        return OptionalDouble.of(d);
    }
}
