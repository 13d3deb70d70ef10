package dev.healthmon.monitor;

import dev.healthmon.registration.CheckType;
import dev.healthmon.status.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The per-check series: checks by outcome and probe type, check latency and schedule lateness
 * (how long after it was due a check started) as histograms. Tags are bounded enums: never a
 * backend id. Thread-safe.
 */
public final class CheckMetrics {

    public static final CheckMetrics NONE = new CheckMetrics(new SimpleMeterRegistry());

    private final Map<CheckType, Map<Outcome, Counter>> checks = new EnumMap<>(CheckType.class);
    private final Map<CheckType, Timer> latency = new EnumMap<>(CheckType.class);
    private final Timer lateness;

    public CheckMetrics(MeterRegistry meters) {
        for (CheckType type : CheckType.values()) {
            Map<Outcome, Counter> byOutcome = new EnumMap<>(Outcome.class);
            for (Outcome outcome : Outcome.values()) {
                byOutcome.put(outcome, Counter.builder("healthmon.checks").description("Completed checks")
                        .tag("type", type.wireName()).tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                        .register(meters));
            }
            checks.put(type, byOutcome);
            latency.put(type,
                    Timer.builder("healthmon.check.latency").description("Latency of a check, as the probe saw it")
                    .tag("type", type.wireName()).publishPercentileHistogram()
                    .maximumExpectedValue(Duration.ofMinutes(5)).register(meters));
        }
        lateness = Timer.builder("healthmon.check.lateness").description("How long after it was due a check started")
                .publishPercentileHistogram().maximumExpectedValue(Duration.ofMinutes(1)).register(meters);
    }

    void started(Duration late) {
        lateness.record(late.isNegative() ? Duration.ZERO : late);
    }

    void completed(CheckType type, Outcome outcome, Duration took) {
        checks.get(type).get(outcome).increment();
        latency.get(type).record(took);
    }
}
