package dev.healthmon.monitor;

import dev.healthmon.events.HealthEventSink;
import dev.healthmon.probe.Probe;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * What every check of one monitor shares: who publishes ({@code monitorId}), how a backend is probed, the
 * scheduler that times every check, where results go, the circuit breaker's settings, the jitter source and the
 * metrics. One value handed to {@link HealthMonitor} and from it to each {@link BackendCheck}, instead of seven
 * positional parameters on both. Immutable; its parts are thread-safe as their own classes say.
 *
 * @param random uniform in [0, 1), for jitter; injected so tests can fix it
 */
public record CheckContext(String monitorId, Probe probe, CheckScheduler scheduler, HealthEventSink sink,
        CircuitBreakerSettings circuitSettings, DoubleSupplier random, CheckMetrics metrics) {

    public CheckContext {
        Objects.requireNonNull(monitorId, "monitorId");
        Objects.requireNonNull(probe, "probe");
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(circuitSettings, "circuitSettings");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(metrics, "metrics");
    }

    /** Default circuit breaker, random jitter, no metrics. */
    public static CheckContext of(String monitorId, Probe probe, CheckScheduler scheduler, HealthEventSink sink) {
        return new CheckContext(monitorId, probe, scheduler, sink, CircuitBreakerSettings.DEFAULTS,
                () -> ThreadLocalRandom.current().nextDouble(), CheckMetrics.NONE);
    }

    public CheckContext withCircuit(CircuitBreakerSettings settings) {
        return new CheckContext(monitorId, probe, scheduler, sink, settings, random, metrics);
    }

    public CheckContext withRandom(DoubleSupplier jitter) {
        return new CheckContext(monitorId, probe, scheduler, sink, circuitSettings, jitter, metrics);
    }

    public CheckContext withMetrics(CheckMetrics checkMetrics) {
        return new CheckContext(monitorId, probe, scheduler, sink, circuitSettings, random, checkMetrics);
    }
}
