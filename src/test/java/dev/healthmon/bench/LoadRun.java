package dev.healthmon.bench;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.MonitorConfig;
import dev.healthmon.MonitorService;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.TopicAdmin;
import dev.healthmon.kafka.Topics;
import dev.healthmon.monitor.CircuitBreakerSettings;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registry.RegistryWriter;
import dev.healthmon.support.BrokerProcesses;
import dev.healthmon.target.TargetPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The load run, one {@link LoadPoint} at a time: a monitor in this JVM checks the point's backends on a target farm
 * (a process of its own, started once and kept for every point), publishing to a broker started for the point (a
 * process of its own), its events read by an {@link EventRecorder} (another process) — so this JVM's CPU is the
 * monitor's alone. Optionally an {@link BenchAggregator} folds the same events (and, with {@code
 * -Dbench.yardstick=yardstick-rocksdb-twosources}, a {@link PlainStreamsYardstick} next to it reads them too, for
 * what the engine alone costs per event at this rate), and after the monitor has stopped
 * {@link BlackboxExporter} probes the same targets at the same rate. Figures: see docs/BENCHMARKS.md.
 *
 * <p>Not thread-safe: one thread runs the points one after the other.
 */
final class LoadRun implements AutoCloseable {

    private static final int FRESH = 200;
    /** Outstanding {@code /probe} requests at most: a few keep-alive connections, as a Prometheus server has. */
    private static final int BLACKBOX_CONNECTIONS = 32;
    private static final int PARTITIONS = 12;

    private final Process farm;
    private final String[] hosts;
    private final Map<String, Object> farmSettings;
    private final Map<String, String> kafkaOverrides;
    private BlackboxExporter blackbox;
    private int points;

    private LoadRun(Process farm, String[] hosts, Map<String, Object> farmSettings,
            Map<String, String> kafkaOverrides) {
        this.farm = farm;
        this.hosts = hosts;
        this.farmSettings = farmSettings;
        this.kafkaOverrides = kafkaOverrides;
    }

    /** Starts the farm ({@link TargetFarm}: targets over targets / 2 loopback addresses, answer latency ± jitter). */
    static LoadRun start(int targets, long latencyMs, long jitterMs, double failureRate,
            Map<String, String> kafkaOverrides) throws Exception {
        Process farm = TargetFarm.start(targets, 2, latencyMs, jitterMs, failureRate);
        String hello = new BufferedReader(new InputStreamReader(farm.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        if (hello == null || !hello.startsWith("farm=")) {
            farm.destroyForcibly();
            throw new IllegalStateException("the target farm did not start: " + hello);
        }
        return new LoadRun(farm, hello.substring("farm=".length()).split(","), Map.of("targets", targets,
                "latencyMs", latencyMs, "jitterMs", jitterMs, "failureRate", failureRate), kafkaOverrides);
    }

    /** Runs one point (a broker of its own, a fresh monitor) and returns its figures, in the order they are shown. */
    Map<String, Object> measure(LoadPoint point) throws Exception {
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("backends", point.backends());
        results.put("intervalMs", point.intervalMs());
        results.put("warmupSeconds", point.warmupSeconds());
        results.put("measureSeconds", point.measureSeconds());
        results.put("farm", farmSettings);
        // The host's speed at the time, measured before anything else runs: this shared machine has
        // run the same code 2–3× slower for hours (no steal reported), and per-check CPU with it.
        results.put("hostReferenceEventEncodeNanos", eventEncodeNanos());
        results.put("loadAverageAtStart", loadAverage());
        results.put("kafkaOverrides", kafkaOverrides);
        String pointId = "point-" + ++points;
        Optional<String> yardstickSpec = yardstick(point);
        try (BrokerProcesses broker = BrokerProcesses.start(1)) {
            KafkaSettings settings = new KafkaSettings(broker.bootstrapServers(), kafkaOverrides);
            try (TopicAdmin admin = new TopicAdmin(settings, Topics.DEFAULTS)) {
                admin.createTopics(PARTITIONS, (short) 1);
            }
            // Started before the first registration, so it has folded every event when the window opens.
            try (BenchAggregator aggregator = point.aggregator()
                    ? BenchAggregator.start(broker.bootstrapServers(), "bench-aggregator-" + pointId) : null;
                    BenchAggregator yardstick = yardstickSpec.isPresent()
                            ? BenchAggregator.yardstick(broker.bootstrapServers(), "bench-yardstick-" + pointId,
                                    yardstickSpec.get(), PARTITIONS) : null) {
                yardstickSpec.ifPresent(spec -> results.put("yardstick", spec));
                runMonitor(point, broker, settings, Optional.ofNullable(aggregator), Optional.ofNullable(yardstick),
                        results);
            }
        }
        if (point.blackbox()) {
            results.put("blackbox", blackbox(point));
        }
        results.put("loadAverageAtEnd", loadAverage());
        return results;
    }

    /** {@code -Dbench.yardstick}'s spec, checked before anything starts; it needs the aggregator it is compared to. */
    private static Optional<String> yardstick(LoadPoint point) {
        String spec = System.getProperty("bench.yardstick", "").trim();
        if (spec.isEmpty()) {
            return Optional.empty();
        }
        if (!point.aggregator()) {
            throw new IllegalArgumentException("bench.yardstick needs -Dbench.aggregator=true: it is measured"
                    + " against the aggregator");
        }
        try {
            return Optional.of(PlainStreamsYardstick.parse(spec).name());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bench.yardstick=" + spec + ": " + e.getMessage(), e);
        }
    }

    private void runMonitor(LoadPoint point, BrokerProcesses broker, KafkaSettings settings,
            Optional<BenchAggregator> aggregator, Optional<BenchAggregator> yardstick, Map<String, Object> results)
            throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(RegistryWriter.writerSettings(settings))) {
            if (point.preRegistered()) {
                register(producer, point, 0, point.backends());
            }
            try (MonitorService monitor = MonitorService.start(new MonitorConfig(settings, Topics.DEFAULTS,
                    "bench", "classic", "bench-monitor", CheckDefaults.STANDARD, CircuitBreakerSettings.DEFAULTS,
                    TargetPolicy.DEFAULT, Duration.ofSeconds(5), Duration.ofSeconds(10), 200_000), meters)) {
                measureMonitor(point, broker, settings, aggregator, yardstick, meters, monitor, producer, results);
            }
        }
    }

    private void measureMonitor(LoadPoint point, BrokerProcesses broker, KafkaSettings settings,
            Optional<BenchAggregator> aggregator, Optional<BenchAggregator> yardstick, SimpleMeterRegistry meters,
            MonitorService monitor, KafkaProducer<byte[], byte[]> producer, Map<String, Object> results)
            throws Exception {
        warmUp(point, monitor, producer, results);
        Process recorder = EventRecorder.start(broker.bootstrapServers(), Topics.DEFAULTS.events(),
                point.measureSeconds() * 1000L, "fresh-", FRESH, 60_000);
        try {
            BufferedReader recorderOut = new BufferedReader(new InputStreamReader(recorder.getInputStream(),
                    StandardCharsets.UTF_8));
            String ready = recorderOut.readLine();
            if (ready == null || !ready.startsWith("ready ")) {
                throw new IllegalStateException("event recorder did not start: " + ready);
            }
            MonitorWindow.Sample before = MonitorWindow.sample(meters, farm, broker, aggregator, yardstick);
            TimeUnit.SECONDS.sleep(point.measureSeconds()); // the measurement window
            MonitorWindow.Sample after = MonitorWindow.sample(meters, farm, broker, aggregator, yardstick);
            MonitorWindow.figures(point, yardstick.isPresent(), before, after, results);
            if (aggregator.isPresent()) {
                try (Admin admin = Admin.create(settings.admin())) {
                    results.put("aggregatorLagAtWindowEnd", aggregator.get().lag(admin,
                            Topics.DEFAULTS.events()));
                    if (yardstick.isPresent()) {
                        results.put("yardstickLagAtWindowEnd", yardstick.get().lag(admin, Topics.DEFAULTS.events()));
                    }
                }
            }
            recordFreshRegistrations(producer, point, recorderOut, results);
            if (point.preRegistered()) {
                results.put("heapUsedAfterGcMiB", Math.round(usedHeapAfterGc() / 1024.0 / 1024.0));
            }
        } finally {
            recorder.destroy();
        }
    }

    /**
     * Pre-registered: the whole warm-up at full load. Otherwise half the backends, then after a while the rest: heap
     * per backend is the slope between the two, what one more backend costs without the fixed costs (classes,
     * buffers, pools) a before/after difference would spread over them. Then the rest of the warm-up at full load.
     */
    private void warmUp(LoadPoint point, MonitorService monitor, KafkaProducer<byte[], byte[]> producer,
            Map<String, Object> results) throws Exception {
        if (point.preRegistered()) {
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500))
                    .until(() -> monitor.activeChecks().size() == point.backends());
            // Warm-up of a benchmark: a fixed time, not a condition. The heap is measured after the window
            // (measureMonitor): three full collections here stopped the monitor and the farm in its JVM just as the
            // window opened, longer than the 125 ms timeout of a 250 ms interval, and opened circuit breakers.
            TimeUnit.SECONDS.sleep(point.warmupSeconds());
            return;
        }
        int half = point.backends() / 2;
        register(producer, point, 0, half);
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500))
                .until(() -> monitor.activeChecks().size() == half);
        int halfWarmup = Math.min(10, point.warmupSeconds() / 2);
        TimeUnit.SECONDS.sleep(halfWarmup); // warm-up of a benchmark: a fixed time, not a condition
        long heapHalf = usedHeapAfterGc();
        register(producer, point, half, point.backends());
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500))
                .until(() -> monitor.activeChecks().size() == point.backends());
        TimeUnit.SECONDS.sleep(halfWarmup); // both heap figures as long after their registrations
        long heapAll = usedHeapAfterGc();
        results.put("heapBytesPerBackend", point.backends() - half == 0 ? 0
                : Math.round((heapAll - heapHalf) / (double) (point.backends() - half)));
        results.put("heapUsedAfterGcMiB", Math.round(heapAll / 1024.0 / 1024.0));
        TimeUnit.SECONDS.sleep(point.warmupSeconds() - 2L * halfWarmup);
    }

    /**
     * After the window, {@link #FRESH} backends registered one at a time: broker timestamp of each one's first
     * event minus its registration's; and the recorder's lateness of the checks due in the window.
     */
    private void recordFreshRegistrations(KafkaProducer<byte[], byte[]> producer, LoadPoint point,
            BufferedReader recorderOut, Map<String, Object> results) throws Exception {
        Map<String, Long> registeredAt = new HashMap<>();
        for (int i = 0; i < FRESH; i++) {
            String id = "fresh-" + i;
            long acked = producer.send(new ProducerRecord<>(Topics.DEFAULTS.registry(),
                    id.getBytes(StandardCharsets.UTF_8),
                    registration(id, "http://" + hosts[i % hosts.length] + "/" + id, point.intervalMs(),
                            point.timeoutMs())))
                    .get().timestamp();
            registeredAt.put(id, acked);
            TimeUnit.MILLISECONDS.sleep(10); // spread the registrations: one at a time, as people register
        }
        JsonNode recorded = EventRecorder.result(recorderOut);
        results.put("latenessMs", recorded.get("lateness"));
        results.put("failedChecksInWindow", recorded.get("failures"));
        results.put("registrationToFirstEventMs", EventRecorder.registrationToFirstEvent(recorded, registeredAt));
    }

    /**
     * blackbox_exporter probing the point's targets at the point's rate, the monitor and broker stopped: 5 s to warm
     * the driver up, then a window as long as the monitor's (30 s at most). Its process's CPU only ÷ probes answered.
     */
    private Map<String, Object> blackbox(LoadPoint point) throws Exception {
        if (blackbox == null) {
            blackbox = BlackboxExporter.start();
        }
        ProbeDriver driver = new ProbeDriver(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(),
                BLACKBOX_CONNECTIONS, Duration.ofSeconds(5));
        double rate = point.checksPerSecondScheduled();
        driver.drive(n -> blackbox.probeUri(target(point, n)), rate, Duration.ofSeconds(5));
        long farm0 = MonitorWindow.cpuNanos(farm);
        Duration cpu0 = blackbox.cpu();
        ProbeDriver.Result run = driver.drive(n -> blackbox.probeUri(target(point, n)), rate,
                Duration.ofSeconds(Math.min(30, point.measureSeconds())));
        long cpuNanos = blackbox.cpu().minus(cpu0).toNanos();
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("probesPerSecondScheduled", Math.round(rate));
        figures.put("probesPerSecondAnswered", Math.round(run.answeredPerSecond()));
        figures.put("probes", Map.of("scheduled", run.scheduled(), "sent", run.sent(), "answered", run.answered(),
                "succeeded", run.succeeded(), "skippedWhileAllConnectionsBusy", run.skipped()));
        figures.put("cpuMicrosPerProbe", run.answered() == 0 ? 0 : Math.round(cpuNanos / 1e3 / run.answered()));
        figures.put("cpuPercentOfCore", Math.round(cpuNanos / 1e9 / run.seconds() * 1000) / 10.0);
        figures.put("targetFarmCpuMicrosPerProbe", run.answered() == 0 ? 0
                : Math.round((MonitorWindow.cpuNanos(farm) - farm0) / 1e3 / run.answered()));
        return figures;
    }

    private String target(LoadPoint point, long n) {
        int i = (int) (n % point.backends());
        return "http://" + hosts[i % hosts.length] + "/b" + i;
    }

    private void register(KafkaProducer<byte[], byte[]> producer, LoadPoint point, int from, int to) {
        for (int i = from; i < to; i++) {
            String id = "b" + i;
            producer.send(new ProducerRecord<>(Topics.DEFAULTS.registry(), id.getBytes(StandardCharsets.UTF_8),
                    registration(id, "http://" + hosts[i % hosts.length] + "/" + id, point.intervalMs(),
                            point.timeoutMs())));
        }
        producer.flush();
    }

    private static byte[] registration(String id, String url, long intervalMs, long timeoutMs) {
        return bytes(json(id, url, j -> ((ObjectNode) j.get("healthCheck")).put("intervalMs", intervalMs)
                .put("timeoutMs", timeoutMs)));
    }

    /** JMH's {@code encodeEvent} done by hand, single-threaded: the best of five rounds after a warm-up. */
    static long eventEncodeNanos() {
        HotPathBenchmarks hotPaths = new HotPathBenchmarks();
        hotPaths.setUp();
        long sink = 0;
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 8; round++) {
            long start = System.nanoTime();
            for (int i = 0; i < 100_000; i++) {
                sink += hotPaths.encodeEvent().length;
            }
            long took = (System.nanoTime() - start) / 100_000;
            if (round >= 3) { // the first rounds are the warm-up
                best = Math.min(best, took);
            }
        }
        if (sink == 0) {
            throw new IllegalStateException("nothing encoded"); // also keeps the loop from being optimised away
        }
        return best;
    }

    /** The host's 1-minute load average: the machine is shared, and figures move with it. */
    private static double loadAverage() {
        return Math.round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() * 100) / 100.0;
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    @Override
    public void close() throws Exception {
        if (blackbox != null) {
            blackbox.close();
        }
        farm.getOutputStream().close();
        if (!farm.waitFor(10, TimeUnit.SECONDS)) {
            farm.destroyForcibly();
        }
    }
}
