package dev.healthmon.aggregate;

import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.HealthStatus;
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

    static TrackedBackend tracked() {
        return new TrackedBackend("payments-api", "Payments API", Map.of("team", "payments", "env", "prod"),
                new RegistrationVersion(2, 4711), new Thresholds(3, 2), Duration.ofMillis(33_000),
                Duration.ofMillis(2_000), "[https://payments.internal:8443, http, HealthCheckOverrides[...], "
                + "Optional.empty]");
    }

    /** Every optional present: a failure with an HTTP status, a reason, history whose name differs from the view's. */
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
                availability, history);
    }

    /** A backend just registered: nothing optional set. */
    static StatusState fresh() {
        return StatusState.fresh(BackendStatus.unknown(tracked(), T0));
    }

    static OptionalDouble share(double d) {
        return OptionalDouble.of(d);
    }
}
