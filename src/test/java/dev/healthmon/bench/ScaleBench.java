package dev.healthmon.bench;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.MonitorConfig;
import dev.healthmon.MonitorService;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.management.ObjectName;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue #16 target 4, one monitor at scale: {@code bench.backends} (100,000) backends at {@code bench.intervalMs}
 * (30 s) on one monitor (in this JVM), a target farm and an event recorder in processes of their own, the broker
 * in a third. In one run, in this order:
 * <ol>
 *   <li><b>Heap baseline.</b> A first monitor restores {@code bench.baselineBackends} (10,000) of them, runs one
 *       interval and 10 s more, and takes a live-object class histogram (the {@code GC.class_histogram}
 *       diagnostic command, which runs a full GC first); then it is closed.
 *   <li><b>Restore.</b> The rest are registered, and the measured monitor (a group of its own) starts with every
 *       registration in the compacted registry. Reports the time from start to ready and to all checks started,
 *       and how the first checks spread: first checks per 1 s bucket (from the monitor's start), max and mean
 *       per bucket over the first interval, and when the last backend had its first check. Read from the
 *       events themselves at the end of the run (each backend's first event from this monitor: its check
 *       started at {@code checkedAt - latencyMs}), so reading costs the monitor nothing while it is measured.
 *   <li><b>Lateness</b> over a {@code bench.measureSeconds} window after a warm-up, by the {@link EventRecorder}
 *       (start minus due of every check due in the window), then <b>registration → first event</b> of 200
 *       fresh backends registered one at a time, 10 ms apart (as {@link LoadRunBench} does).
 *   <li><b>Heap per backend</b>, settled: the fresh backends deregistered, 10 s later (over two intervals after
 *       the restore) a second histogram. Per backend: the slope between the two histograms, in all and class by
 *       class. Fixed costs (classes, client buffers, pools) are in both and cancel out.
 * </ol>
 * Writes {@code target/bench/scale.{json,md}} and the histograms to {@code target/bench/scale-histo-*.txt}.
 *
 * <p>Run: {@code flock /work/heavy.lock mvn -B -o -Pbench test -Dtest=ScaleBench} with, optionally,
 * {@code -Dbench.backends=100000 -Dbench.intervalMs=30000 -Dbench.warmupSeconds=60 -Dbench.measureSeconds=60}.
 */
class ScaleBench {

    private static final int BACKENDS = Integer.getInteger("bench.backends", 100_000);
    private static final long INTERVAL_MS = Long.getLong("bench.intervalMs", 30_000);
    /** From the monitor's start to the lateness window: the restore, one whole interval and the JIT's work. */
    private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmupSeconds", 60);
    private static final int MEASURE_SECONDS = Integer.getInteger("bench.measureSeconds", 60);
    private static final int TARGETS = 512;
    private static final int FRESH = 200;
    private static final int PARTITIONS = 12;
    private static final String PREFIX = "b";
    /** Backends of the heap figure's baseline, and how long each monitor runs after an interval before its figure. */
    private static final int BASELINE = Integer.getInteger("bench.baselineBackends", 10_000);
    private static final int SETTLE_SECONDS = 10;
    private static final String MONITOR_ID = "scale-monitor";

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void oneMonitorAtScale() throws Exception {
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("backends", BACKENDS);
        results.put("intervalMs", INTERVAL_MS);
        results.put("loadAverageAtStart", loadAverage());
        Process farm = TargetFarm.start(TARGETS, 2, 0, 0, 0);
        try (BrokerProcesses broker = BrokerProcesses.start(1)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers());
            try (TopicAdmin admin = new TopicAdmin(settings, Topics.DEFAULTS)) {
                admin.createTopics(PARTITIONS, (short) 1);
            }
            String[] hosts = new BufferedReader(new InputStreamReader(farm.getInputStream(), StandardCharsets.UTF_8))
                    .readLine().substring("farm=".length()).split(",");
            try (KafkaProducer<byte[], byte[]> producer =
                    new KafkaProducer<>(RegistryWriter.writerSettings(settings))) {
                for (int i = 0; i < BASELINE; i++) {
                    String id = PREFIX + i;
                    producer.send(new ProducerRecord<>(Topics.DEFAULTS.registry(), id.getBytes(StandardCharsets.UTF_8),
                            registration(id, "http://" + hosts[i % hosts.length] + "/" + id)));
                }
                producer.flush();
                Map<String, long[]> baseline = baseline(settings);
                for (int i = BASELINE; i < BACKENDS; i++) {
                    String id = PREFIX + i;
                    producer.send(new ProducerRecord<>(Topics.DEFAULTS.registry(), id.getBytes(StandardCharsets.UTF_8),
                            registration(id, "http://" + hosts[i % hosts.length] + "/" + id)));
                }
                producer.flush();
                measure(settings, broker.bootstrapServers(), producer, hosts, baseline, results);
            }
        } finally {
            farm.getOutputStream().close();
            if (!farm.waitFor(10, TimeUnit.SECONDS)) {
                farm.destroyForcibly();
            }
        }
        results.put("loadAverageAtEnd", loadAverage());
        BenchResults.write("scale", results);
    }

    /**
     * The baseline for the heap figure: a monitor restores the first {@link #BASELINE} backends and runs for one
     * interval plus {@link #SETTLE_SECONDS}, then a live histogram; the monitor is closed before the measured one
     * starts. Its own group, so the measured monitor restores as a fresh one would.
     */
    private static Map<String, long[]> baseline(KafkaSettings settings) throws Exception {
        try (MonitorService monitor = MonitorService.start(config(settings, "bench-baseline", "baseline-monitor"),
                new SimpleMeterRegistry())) {
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(100))
                    .until(() -> monitor.ready() && monitor.activeChecks().size() == BASELINE);
            TimeUnit.MILLISECONDS.sleep(INTERVAL_MS + SETTLE_SECONDS * 1000L); // every backend checked, then settled
            return histogram("baseline");
        }
    }

    private static MonitorConfig config(KafkaSettings settings, String group, String monitorId) {
        return new MonitorConfig(settings, Topics.DEFAULTS, group, "classic", monitorId, CheckDefaults.STANDARD,
                CircuitBreakerSettings.DEFAULTS, TargetPolicy.DEFAULT, Duration.ofSeconds(5), Duration.ofSeconds(10),
                200_000);
    }

    private static void measure(KafkaSettings settings, String bootstrap, KafkaProducer<byte[], byte[]> producer,
            String[] hosts, Map<String, long[]> baseline, Map<String, Object> results) throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        long started = System.currentTimeMillis();
        try (MonitorService monitor = MonitorService.start(config(settings, "bench", MONITOR_ID), meters)) {
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(20)).until(monitor::ready);
            results.put("restoreStartToReadyMs", System.currentTimeMillis() - started);
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(100))
                    .until(() -> monitor.activeChecks().size() == BACKENDS);
            results.put("restoreStartToAllChecksStartedMs", System.currentTimeMillis() - started);
            long warmupLeft = started + WARMUP_SECONDS * 1000L - System.currentTimeMillis();
            TimeUnit.MILLISECONDS.sleep(Math.max(0, warmupLeft)); // warm-up of a benchmark: a fixed time

            Process recorder = EventRecorder.start(bootstrap, Topics.DEFAULTS.events(), MEASURE_SECONDS * 1000L,
                    "fresh-", FRESH, 60_000);
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(recorder.getInputStream(),
                        StandardCharsets.UTF_8));
                String ready = out.readLine();
                if (ready == null || !ready.startsWith("ready ")) {
                    throw new IllegalStateException("event recorder did not start: " + ready);
                }
                long gc0 = gcPauseMillis();
                long gcCount0 = gcPauses();
                TimeUnit.SECONDS.sleep(MEASURE_SECONDS); // the lateness window
                // A check due during a pause starts after it: the pauses' share of the window bounds the p99.
                results.put("gcPausesInWindow", Map.of("count", gcPauses() - gcCount0,
                        "totalMs", gcPauseMillis() - gc0));
                results.put("loadAverageAfterWindow", loadAverage());
                Map<String, Long> registeredAt = registerFresh(producer, hosts);
                JsonNode recorded = EventRecorder.result(out);
                results.put("latenessMs", recorded.get("lateness"));
                results.put("registrationToFirstEventMs", EventRecorder.registrationToFirstEvent(recorded,
                        registeredAt));
            } finally {
                recorder.destroy();
            }
            // Deregister the fresh ones (the baseline had none), and let the heap settle without them.
            for (int i = 0; i < FRESH; i++) {
                producer.send(new ProducerRecord<>(Topics.DEFAULTS.registry(),
                        ("fresh-" + i).getBytes(StandardCharsets.UTF_8), null));
            }
            producer.flush();
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100))
                    .until(() -> monitor.activeChecks().size() == BACKENDS);
            TimeUnit.SECONDS.sleep(SETTLE_SECONDS);
            results.put("secondsFromStartToHeapFigure", (System.currentTimeMillis() - started) / 1000);
            heapPerBackend(baseline, histogram("all"), BACKENDS - BASELINE, results);
        }
        results.put("restoreFirstChecks", firstChecks(settings, started));
    }

    /**
     * Bytes per backend: the slope between the baseline's live heap and the measured monitor's, in all and
     * class by class (those of at least 8 B per backend). The fixed costs (classes, client buffers, pools) are in
     * both and cancel out; the few dozen tombstones of the fresh backends are in the second only.
     */
    private static void heapPerBackend(Map<String, long[]> baseline, Map<String, long[]> all, int backends,
            Map<String, Object> results) {
        long total = all.values().stream().mapToLong(v -> v[1]).sum()
                - baseline.values().stream().mapToLong(v -> v[1]).sum();
        Map<String, String> byClass = new LinkedHashMap<>();
        all.keySet().stream()
                .map(c -> Map.entry(c, all.get(c)[1] - baseline.getOrDefault(c, new long[2])[1]))
                .filter(d -> d.getValue() >= 8L * backends)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(d -> {
                    long instances = all.get(d.getKey())[0] - baseline.getOrDefault(d.getKey(), new long[2])[0];
                    byClass.put(d.getKey().replaceAll("\\$\\$Lambda.*", "\\$\\$Lambda"),
                            Math.round(d.getValue() / (double) backends) + " B, "
                            + Math.round(100.0 * instances / backends) / 100.0 + " per backend");
                });
        results.put("heapLiveMiB", Map.of("baseline", baseline.values().stream().mapToLong(v -> v[1]).sum() >> 20,
                "all", all.values().stream().mapToLong(v -> v[1]).sum() >> 20));
        results.put("heapBytesPerBackend", Math.round(total / (double) backends));
        results.put("heapBytesPerBackendByClass", byClass);
    }

    /**
     * A live-object class histogram of this JVM (the {@code GC.class_histogram} diagnostic command, which runs a
     * full GC first), saved as {@code target/bench/scale-histo-<name>.txt}: class name → {instances, bytes}.
     */
    private static Map<String, long[]> histogram(String name) throws Exception {
        String text = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        Path dir = Files.createDirectories(Path.of("target", "bench"));
        Files.writeString(dir.resolve("scale-histo-" + name + ".txt"), text);
        Map<String, long[]> classes = new HashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && f[0].endsWith(":")) {
                classes.put(f[3], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
            }
        }
        return classes;
    }

    /**
     * Each restored backend's first check, from its first event (a partition holds a backend's events in order):
     * started at {@code checkedAt - latencyMs}, in ms after the monitor's start. Read after the run, from the topic.
     */
    private static Map<String, Object> firstChecks(KafkaSettings settings, long started) {
        HealthEventCodec codec = new HealthEventCodec(new ObjectMapper());
        Map<String, Long> first = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings.plainConsumer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.DEFAULTS.events(), Duration.ofSeconds(10))
                    .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    String key = new String(record.key(), StandardCharsets.UTF_8);
                    if (key.startsWith(PREFIX) && !first.containsKey(key)) {
                        HealthEvent event = codec.decode(record.value());
                        if (event.monitorId().equals(MONITOR_ID)) {
                            first.put(key, event.checkedAt().toEpochMilli() - event.latencyMs() - started);
                        }
                    }
                }
            }
        }
        int seconds = (int) (INTERVAL_MS / 1000);
        long[] sorted = first.values().stream().mapToLong(Long::longValue).sorted().toArray();
        int[] buckets = new int[(int) (sorted[sorted.length - 1] / 1000) + 1];
        for (long at : sorted) {
            buckets[(int) Math.max(0, at / 1000)]++;
        }
        // The interval's buckets: from the second the first check came in, one interval long.
        int from = (int) Math.max(0, sorted[0] / 1000);
        int max = 0;
        long inInterval = 0;
        for (int s = from; s < Math.min(buckets.length, from + seconds); s++) {
            max = Math.max(max, buckets[s]);
            inInterval += buckets[s];
        }
        Map<String, Object> spread = new LinkedHashMap<>();
        spread.put("backendsWithFirstCheck", sorted.length);
        spread.put("firstCheckMsAfterStart", sorted[0]);
        spread.put("lastFirstCheckMsAfterStart", sorted[sorted.length - 1]);
        spread.put("p50FirstCheckMsAfterStart", sorted[sorted.length / 2]);
        spread.put("firstChecksInFirstInterval", inInterval);
        spread.put("maxPerSecondInInterval", max);
        spread.put("meanPerSecondInInterval", Math.round(inInterval / (double) seconds));
        spread.put("perSecondFromStart", Arrays.stream(buckets).mapToObj(Integer::toString)
                .collect(Collectors.joining(",")));
        return spread;
    }

    private static byte[] registration(String id, String url) {
        return bytes(json(id, url, j -> ((ObjectNode) j.get("healthCheck")).put("intervalMs",
                INTERVAL_MS).put("timeoutMs", 2000)));
    }

    /** Registers {@link #FRESH} new backends one at a time; returns each one's registration time (broker timestamp). */
    private static Map<String, Long> registerFresh(KafkaProducer<byte[], byte[]> producer, String[] hosts)
            throws Exception {
        Map<String, Long> registeredAt = new HashMap<>();
        for (int i = 0; i < FRESH; i++) {
            String id = "fresh-" + i;
            long acked = producer.send(new ProducerRecord<>(Topics.DEFAULTS.registry(),
                    id.getBytes(StandardCharsets.UTF_8),
                    registration(id, "http://" + hosts[i % hosts.length] + "/" + id))).get().timestamp();
            registeredAt.put(id, acked);
            TimeUnit.MILLISECONDS.sleep(10); // spread the registrations: one at a time, as people register
        }
        return registeredAt;
    }

    private static long gcPauses() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .filter(gc -> !gc.getName().contains("Concurrent"))
                .mapToLong(gc -> Math.max(0, gc.getCollectionCount())).sum();
    }

    private static long gcPauseMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .filter(gc -> !gc.getName().contains("Concurrent"))
                .mapToLong(gc -> Math.max(0, gc.getCollectionTime())).sum();
    }

    /** The machine's 1, 5 and 15 minute load averages: figures on a shared 2-core machine mean little without. */
    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "unknown";
        }
    }
}
