package dev.healthmon.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * One point of the cost curve as the table and the plot show it, read from the load run's figures. Saturated: the
 * monitor did not keep its schedule — fewer than 97 % of the scheduled checks a second, a schedule lateness p99
 * of a second or more, or more than 1 % of the window's checks failed (the farm answers every check: a failure is
 * the monitor's or the machine's, file descriptors at 100,000 backends × 8,000 a second).
 */
record CurveRow(int backends, long scheduled, long achieved, long latenessP99Ms, long failedPerMille,
        long monitorMicros,
        double monitorPercentOfCore, OptionalLong aggregatorMicros, OptionalLong aggregatorLag,
        OptionalLong blackboxAnswered, OptionalLong blackboxSucceeded, OptionalLong blackboxMicros,
        long referenceNanos) {

    static final double KEPT_SHARE = 0.97;
    static final long LATENESS_LIMIT_MS = 1_000;
    static final long FAILED_LIMIT_PER_MILLE = 10;

    static CurveRow of(JsonNode figures) {
        JsonNode blackbox = figures.path("blackbox");
        return new CurveRow(figures.get("backends").asInt(), figures.get("checksPerSecondScheduled").asLong(),
                figures.get("checksPerSecondAchieved").asLong(), figures.path("latenessMs").path("p99").asLong(-1),
                failedPerMille(figures),
                figures.get("cpuMicrosPerCheck").asLong(), figures.get("cpuPercentOfCore").asDouble(),
                optional(figures.path("aggregatorCpuMicrosPerCheck")),
                optional(figures.path("aggregatorLagAtWindowEnd")),
                optional(blackbox.path("probesPerSecondAnswered")),
                optional(blackbox.path("probes").path("succeeded")), optional(blackbox.path("cpuMicrosPerProbe")),
                figures.get("hostReferenceEventEncodeNanos").asLong());
    }

    /** Failed checks per thousand due in the window: every failure kind the recorder counted. */
    private static long failedPerMille(JsonNode figures) {
        long checks = figures.path("latenessMs").path("count").asLong(0);
        long failed = 0;
        for (JsonNode count : figures.path("failedChecksInWindow")) {
            failed += count.isNumber() ? count.asLong() : 0;
        }
        return checks == 0 ? 0 : Math.round(1000.0 * failed / checks);
    }

    private static OptionalLong optional(JsonNode node) {
        return node.isNumber() ? OptionalLong.of(node.asLong()) : OptionalLong.empty();
    }

    boolean saturated() {
        return achieved < KEPT_SHARE * scheduled || latenessP99Ms >= LATENESS_LIMIT_MS
                || failedPerMille > FAILED_LIMIT_PER_MILLE;
    }

    /** Monitor and aggregator for the same checks (issue #16 target 6). */
    OptionalLong pipelineMicros() {
        return aggregatorMicros.isPresent() ? OptionalLong.of(monitorMicros + aggregatorMicros.getAsLong())
                : OptionalLong.empty();
    }

    /** blackbox_exporter's CPU per probe ÷ the monitor's per check (issue #16 target 7: ≥ 10). */
    OptionalDouble ratio() {
        return blackboxMicros.isPresent() && monitorMicros > 0
                ? OptionalDouble.of(blackboxMicros.getAsLong() / (double) monitorMicros) : OptionalDouble.empty();
    }

    /** One line of docs/BENCHMARKS.md's cost-curve table. */
    String markdown() {
        return "| " + String.format("%,d", backends) + " | " + String.format("%,d", scheduled) + " | "
                + String.format("%,d", achieved) + " | " + latenessP99Ms + " | " + failedPerMille / 10.0 + " % | "
                + monitorMicros + " | "
                + monitorPercentOfCore + " % | " + show(aggregatorMicros) + " | " + show(pipelineMicros()) + " | "
                + show(aggregatorLag) + " | " + show(blackboxAnswered) + " (" + show(blackboxSucceeded) + " ok) | "
                + show(blackboxMicros) + " | "
                + (ratio().isPresent() ? String.format("%.1f×", ratio().getAsDouble()) : "—") + " | "
                + (saturated() ? "**saturated**" : "kept") + " | "
                + String.format("%,d", referenceNanos) + " |";
    }

    static String markdownHeader() {
        return "| backends | checks/s scheduled | achieved | lateness p99 (ms) | failed | monitor µs/check | monitor "
                + "share of a core | aggregator µs/check | monitor + aggregator µs/check | aggregator lag (events) | "
                + "blackbox probes/s answered | blackbox µs/probe | blackbox ÷ monitor | schedule | reference (ns) |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|";
    }

    private static String show(OptionalLong value) {
        return value.isPresent() ? String.format("%,d", value.getAsLong()) : "—";
    }
}
