package dev.healthmon.bench;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The load run at one point ({@link LoadRun}): one monitor (in this JVM) checks N backends of a target farm (another
 * process) and publishes to a broker (a third process). Reports checks/s achieved vs scheduled, CPU per check,
 * schedule lateness, heap per backend, registration→first event latency and events published/s to {@code
 * target/bench/load-run.{json,md}}. The events are read by an {@link EventRecorder} in a fourth process, so this
 * process's CPU time is the monitor's alone.
 *
 * <p>Run: {@code mvn -B -Pbench test -Dtest=LoadRunBench} with, optionally,
 * {@code -Dbench.backends=20000 -Dbench.intervalMs=5000 -Dbench.warmupSeconds=70 -Dbench.measureSeconds=60
 * -Dbench.targets=512 -Dbench.latencyMs=0 -Dbench.jitterMs=0 -Dbench.failureRate=0
 * -Dbench.kafka=linger.ms=20,compression.type=lz4 -Dbench.preRegistered=false -Dbench.aggregator=false
 * -Dbench.blackbox=false}. Low rates,
 * where fixed costs show: {@code -Dbench.backends=10000 -Dbench.intervalMs=60000}, and an idle monitor: {@code
 * -Dbench.backends=1 -Dbench.intervalMs=60000} ({@code cpuPercentOfCore}, {@code osThreads}). {@code
 * bench.aggregator} adds an aggregator process reading the same events (its CPU per check), {@code
 * -Dbench.yardstick=yardstick-rocksdb-twosources} next to it the plain Streams yardstick reading them too (what the
 * engine alone costs per event at this rate), {@code bench.blackbox} blackbox_exporter probing the same targets at
 * the same rate once the monitor has stopped.
 */
class LoadRunBench {

    private static final int BACKENDS = Integer.getInteger("bench.backends", 20_000);
    private static final long INTERVAL_MS = Long.getLong("bench.intervalMs", 5_000);
    /**
     * Warm-up, in all: up to 10 s with half the backends (for the heap figure), the rest with all of
     * them. The JIT compiler keeps working for about a minute at full load (C2 took 12 % of a core
     * in the first 30 s, under 1 % after 90 s); measured earlier, its work was counted as the checks'.
     */
    private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmupSeconds", 70);
    private static final int MEASURE_SECONDS = Integer.getInteger("bench.measureSeconds", 60);
    /** Every backend registered before the monitor starts ({@link LoadPoint}); no heap-per-backend figure then. */
    private static final boolean PRE_REGISTERED = Boolean.getBoolean("bench.preRegistered");
    private static final boolean AGGREGATOR = Boolean.getBoolean("bench.aggregator");
    private static final boolean BLACKBOX = Boolean.getBoolean("bench.blackbox");

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES) // the suite's 60 s default ended every run inside its warm-up
    void loadRun() throws Exception {
        try (LoadRun run = farm()) {
            BenchResults.write("load-run", run.measure(new LoadPoint(BACKENDS, INTERVAL_MS, WARMUP_SECONDS,
                    MEASURE_SECONDS, PRE_REGISTERED, AGGREGATOR, BLACKBOX)));
        }
    }

    /**
     * The farm and Kafka client settings from the command line: {@code bench.targets} listening sockets over
     * targets / 2 loopback addresses, answer latency ± jitter, a share of 503s; {@code -Dbench.kafka=k=v,k=v} as
     * the monitor's {@code kafka.*} settings would give them. Also {@link CostCurveBench}'s.
     */
    static LoadRun farm() throws Exception {
        String kafka = System.getProperty("bench.kafka", "");
        Map<String, String> overrides = kafka.isBlank() ? Map.of() : Arrays.stream(kafka.split(","))
                .map(kv -> kv.split("=", 2)).collect(Collectors.toMap(kv -> kv[0].trim(), kv -> kv[1].trim()));
        return LoadRun.start(Integer.getInteger("bench.targets", 512), Long.getLong("bench.latencyMs", 0),
                Long.getLong("bench.jitterMs", 0), Double.parseDouble(System.getProperty("bench.failureRate", "0")),
                overrides);
    }
}
