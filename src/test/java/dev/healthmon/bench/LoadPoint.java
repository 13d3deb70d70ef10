package dev.healthmon.bench;

/**
 * One measured point of the load run: {@code backends} checked every {@code intervalMs}, measured for {@code
 * measureSeconds} after {@code warmupSeconds}; optionally with an aggregator process reading the monitor's events
 * (issue #16 target 6) and with Prometheus blackbox_exporter driven at the same rate after the monitor stops
 * (target 7).
 */
record LoadPoint(int backends, long intervalMs, int warmupSeconds, int measureSeconds, boolean preRegistered,
        boolean aggregator, boolean blackbox) {

    LoadPoint {
        if (backends < 1 || intervalMs < 100 || warmupSeconds < 2 || measureSeconds < 1) {
            throw new IllegalArgumentException("bad load point: " + backends + " backends every " + intervalMs
                    + " ms, warm-up " + warmupSeconds + " s, window " + measureSeconds + " s");
        }
    }

    /** The point that gives {@code checksPerSecond} with {@code backends}: interval = backends ÷ rate. */
    static LoadPoint atRate(int backends, int checksPerSecond, int warmupSeconds, int measureSeconds,
            boolean aggregator, boolean blackbox) {
        return new LoadPoint(backends, Math.round(backends * 1000.0 / checksPerSecond), warmupSeconds,
                measureSeconds, true, aggregator, blackbox);
    }

    /** What the schedule asks for (the interval runs from one check's end to the next's start; answers are at once). */
    double checksPerSecondScheduled() {
        return backends * 1000.0 / intervalMs;
    }

    /**
     * The checks' timeout: the load run's 2 s, or less where the interval is shorter (timeout must stay below it).
     */
    long timeoutMs() {
        return Math.min(2000, intervalMs / 2);
    }
}
