package dev.healthmon.bench;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.aggregate.AggregatorConfig;
import dev.healthmon.aggregate.AggregatorService;
import dev.healthmon.aggregate.AggregatorSettings;
import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.kafka.EmbeddedKafka;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.TopicAdmin;
import dev.healthmon.kafka.Topics;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.CircuitState;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Outcome;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The aggregator against a yardstick, on one backlog in one run: {@code bench.aggregator.backends} backends and {@code
 * bench.aggregator.eventsPerBackend} events each (checked every {@code bench.aggregator.spacingSeconds}, one failure
 * in seven) are written to an in-process broker first; then each application of {@code bench.aggregator.apps} in turn
 * (default: the plain Streams {@link PlainStreamsYardstick} on RocksDB, the aggregator (a status on change and once a
 * minute), the aggregator with {@code --status-heartbeat-ms 0} (a status per event), the yardstick on an in-memory
 * store) drains the whole backlog under its own application id. Each is timed from its start to all its {@code
 * health-events} offsets committed, as an operator restarting it on a backlog would see it; its CPU is that of the
 * threads named after its application id (stream thread, its clients' network threads), so neither the broker nor the
 * other application is counted; its state per backend is the latest value of each key in its changelogs. Then all of
 * them again ({@code bench.aggregator.rounds}, default 2) in the warm JVM. Run: {@code mvn -B -Pbench test
 * -Dtest=AggregatorThroughputBench} (docs/BENCHMARKS.md).
 */
class AggregatorThroughputBench {

    private static final int BACKENDS = Integer.getInteger("bench.aggregator.backends", 2000);
    private static final int EVENTS_PER_BACKEND = Integer.getInteger("bench.aggregator.eventsPerBackend", 100);
    private static final int SPACING_SECONDS = Integer.getInteger("bench.aggregator.spacingSeconds", 30);
    private static final List<String> APPS = List.of(System.getProperty("bench.aggregator.apps",
            "yardstick-rocksdb,aggregator,aggregator-heartbeat0s,yardstick-memory").split(","));
    private static final int ROUNDS = Integer.getInteger("bench.aggregator.rounds", 2);
    private static final int PARTITIONS = 3;
    private static final Pattern HEARTBEAT = Pattern.compile("-heartbeat(\\d+)s");

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void aggregatorAgainstPlainStreams(@TempDir Path stateDir) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(OptionalInt.empty())) {
            KafkaSettings settings = KafkaSettings.of(kafka.bootstrapServers());
            try (TopicAdmin admin = new TopicAdmin(settings, Topics.DEFAULTS)) {
                admin.createTopics(PARTITIONS, (short) 1);
            }
            writeBacklog(settings);
            Map<String, Object> results = new LinkedHashMap<>();
            results.put("backlog", Map.of("events", (long) BACKENDS * EVENTS_PER_BACKEND, "backends", BACKENDS,
                    "spacingSeconds", SPACING_SECONDS, "partitions", PARTITIONS));
            results.put("loadAverageBefore", loadAverage());
            long[] stat0 = cpuJiffies();
            try (Admin admin = Admin.create(settings.admin())) {
                Map<TopicPartition, Long> ends = endOffsets(admin, Topics.DEFAULTS.events());
                // Round 1 runs each application in a JVM the ones before it warmed (Kafka's client and Streams code
                // is shared): the first in the list pays for the JIT. Later rounds drain the backlog again under new
                // application ids in a warm JVM; compare applications within a round.
                for (int round = 1; round <= ROUNDS; round++) {
                    for (String app : APPS) {
                        String name = app.trim() + (round == 1 ? "" : "-round" + round);
                        results.put(name, measure(app.trim(), name, settings, admin, ends, stateDir));
                    }
                }
            }
            long[] stat1 = cpuJiffies();
            results.put("loadAverageAfter", loadAverage());
            results.put("cpuStealPercent",
                    Math.round(100.0 * (stat1[1] - stat0[1]) / Math.max(1, stat1[0] - stat0[0])));
            results.put("setup", "exactly_once_v2, 100 ms commits, " + PARTITIONS
                    + " partitions, one instance, broker in-process");
            BenchResults.write("aggregator", results);
        }
    }

    private static void writeBacklog(KafkaSettings settings) throws Exception {
        writeBacklog(settings, BACKENDS, EVENTS_PER_BACKEND, SPACING_SECONDS);
    }

    /**
     * Registers {@code backends} backends, then writes {@code eventsPerBackend} events of each, {@code
     * spacingSeconds} apart, one failure in seven; also {@link AggregatorMemoryBench}'s backlog.
     */
    static void writeBacklog(KafkaSettings settings, int backends, int eventsPerBackend, int spacingSeconds)
            throws Exception {
        HealthEventCodec codec = new HealthEventCodec(new ObjectMapper());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings.producer("bench"))) {
            // Sent together, then awaited: one at a time each would wait out the producer's linger.
            List<Future<RecordMetadata>> sent = new ArrayList<>(backends);
            for (int b = 0; b < backends; b++) {
                String id = "b" + b;
                sent.add(producer.send(new ProducerRecord<>(Topics.DEFAULTS.registry(),
                        id.getBytes(StandardCharsets.UTF_8), bytes(json(id, "http://" + id + ".test/")))));
            }
            RecordMetadata[] registrations = new RecordMetadata[backends];
            for (int b = 0; b < backends; b++) {
                registrations[b] = sent.get(b).get();
            }
            Instant t = Instant.parse("2026-11-24T10:00:00Z");
            for (int seq = 1; seq <= eventsPerBackend; seq++) {
                t = t.plusSeconds(spacingSeconds);
                for (int b = 0; b < backends; b++) {
                    boolean up = (seq + b) % 7 != 0;
                    HealthEvent e = new HealthEvent("b" + b, new RegistrationVersion(registrations[b].partition(),
                            registrations[b].offset()), seq, "bench", 1, t, t, 5,
                            up ? Outcome.HEALTHY : Outcome.UNHEALTHY,
                            HealthStatus.UNKNOWN, HealthStatus.UNKNOWN, Optional.empty(), 0, 0,
                            up ? Optional.empty() : Optional.of(Failure.of(FailureKind.TIMEOUT, "t")),
                            CircuitState.CLOSED,
                            Optional.empty());
                    producer.send(new ProducerRecord<>(Topics.DEFAULTS.events(), registrations[b].partition(),
                            e.backendId().getBytes(StandardCharsets.UTF_8), codec.encode(e)));
                }
            }
            producer.flush();
        }
    }

    /** Starts {@code app} on the backlog, waits until it committed every event offset, and measures it. */
    private static Map<String, Object> measure(String app, String name, KafkaSettings settings, Admin admin,
            Map<TopicPartition, Long> ends, Path stateDir) throws Exception {
        String applicationId = "bench-" + name;
        long events = ends.values().stream().mapToLong(Long::longValue).sum();
        Path dir = Files.createDirectories(stateDir.resolve(name));
        List<String> changelogs = new ArrayList<>();
        long started = System.nanoTime();
        long cpuNanos;
        double seconds;
        if (app.startsWith("aggregator")) {
            try (AggregatorService aggregator = AggregatorService.start(new AggregatorConfig(settings, Topics.DEFAULTS,
                    applicationId, CheckDefaults.STANDARD, aggregatorSettings(app), "127.0.0.1", 0, "127.0.0.1",
                    dir, 0), new SimpleMeterRegistry())) {
                awaitCommitted(admin, applicationId, ends, started);
                seconds = (System.nanoTime() - started) / 1e9;
                cpuNanos = threadCpuNanos(applicationId);
            }
            changelogs.add(applicationId + "-registrations-changelog");
            changelogs.add(applicationId + "-statuses-changelog");
        } else {
            PlainStreamsYardstick yardstick = PlainStreamsYardstick.parse(app);
            String output = applicationId + "-out";
            admin.createTopics(List.of(new NewTopic(output, PARTITIONS, (short) 1))).all().get();
            KafkaStreams streams = yardstick.start(settings, applicationId, Topics.DEFAULTS.events(),
                    Topics.DEFAULTS.registry(), output, dir);
            try {
                awaitCommitted(admin, applicationId, ends, started, () -> assertThat(streams.state())
                        .as(name + " stopped (see its log)").isIn(KafkaStreams.State.CREATED,
                                KafkaStreams.State.REBALANCING, KafkaStreams.State.RUNNING));
                seconds = (System.nanoTime() - started) / 1e9;
                cpuNanos = threadCpuNanos(applicationId);
            } finally {
                streams.close(Duration.ofSeconds(30));
            }
            changelogs.add(applicationId + "-" + PlainStreamsYardstick.STORE + "-changelog");
            if (yardstick.pieces().contains(PlainStreamsYardstick.Piece.REGISTRATIONS)) {
                changelogs.add(applicationId + "-" + PlainStreamsYardstick.REGISTRATIONS + "-changelog");
            }
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("seconds", Math.round(seconds * 10) / 10.0);
        figures.put("eventsPerSecond", Math.round(events / seconds));
        figures.put("cpuMicrosPerEvent", Math.round(cpuNanos / 1e3 / events));
        long stateBytes = 0;
        for (String changelog : changelogs) {
            stateBytes += latestBytes(settings, changelog);
        }
        figures.put("stateBytesPerBackend", stateBytes / BACKENDS);
        System.out.printf(Locale.ROOT, "%n%s: %d events in %.1f s = %.0f events/s, %d µs CPU per event, %d B state"
                + " per backend%n", name, events, seconds, events / seconds, Math.round(cpuNanos / 1e3 / events),
                stateBytes / BACKENDS);
        return figures;
    }

    /** {@code aggregator}: the defaults; {@code aggregator-heartbeatNs}: {@code --status-heartbeat-ms} N * 1000. */
    private static AggregatorSettings aggregatorSettings(String app) {
        Matcher heartbeat = HEARTBEAT.matcher(app);
        if (!heartbeat.find()) {
            return AggregatorSettings.DEFAULTS;
        }
        AggregatorSettings d = AggregatorSettings.DEFAULTS;
        return new AggregatorSettings(d.flapChanges(), d.flapWindow(), d.monitorSessionTimeout(), d.historyPerBackend(),
                Duration.ofSeconds(Long.parseLong(heartbeat.group(1))));
    }

    static void awaitCommitted(Admin admin, String group, Map<TopicPartition, Long> ends, long started)
            throws Exception {
        awaitCommitted(admin, group, ends, started, () -> { });
    }

    /** As above, checking {@code alive} at every sample: an application that stopped fails the run at once. */
    static void awaitCommitted(Admin admin, String group, Map<TopicPartition, Long> ends, long started,
            Runnable alive) throws Exception {
        while (true) {
            alive.run();
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get();
            if (ends.entrySet().stream().allMatch(e -> committed.get(e.getKey()) != null
                    && committed.get(e.getKey()).offset() >= e.getValue())) {
                return;
            }
            assertThat(System.nanoTime() - started).as("bench ran too long").isLessThan(TimeUnit.MINUTES.toNanos(15));
            // sampling the committed offsets; the bench measures, it does not wait for a condition to pass
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    static Map<TopicPartition, Long> endOffsets(Admin admin, String topic) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        Map<TopicPartition, Long> ends = new HashMap<>();
        admin.listOffsets(latest).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
        return ends;
    }

    /** CPU time of the live threads whose name carries {@code applicationId}: its stream thread and clients. */
    private static long threadCpuNanos(String applicationId) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().contains(applicationId)) {
                sum += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return sum;
    }

    /** Key and value bytes of the latest value of every key in {@code topic}, tombstones left out. */
    private static long latestBytes(KafkaSettings settings, String topic) {
        Map<String, Object> props = settings.plainConsumer();
        props.put("auto.offset.reset", "earliest");
        props.put("max.partition.fetch.bytes", 8 << 20);
        Map<String, Integer> sizes = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            consumer.assign(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            // The backlog is written round by round, so the last (2 × backends) records of a partition hold the
            // latest value of each of its keys; reading the whole changelog would take longer than the run.
            partitions.forEach(tp -> consumer.seek(tp, Math.max(0, ends.get(tp) - 2L * BACKENDS)));
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    String key = r.partition() + "/" + new String(r.key(), StandardCharsets.UTF_8);
                    if (r.value() == null) {
                        sizes.remove(key);
                    } else {
                        sizes.put(key, r.key().length + r.value().length);
                    }
                }
            }
        }
        return sizes.values().stream().mapToLong(Integer::longValue).sum();
    }

    private static String loadAverage() throws Exception {
        return Files.readString(Path.of("/proc/loadavg")).trim();
    }

    /** Total and steal jiffies of all cores, from {@code /proc/stat}. */
    private static long[] cpuJiffies() throws Exception {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < f.length; i++) {
            total += Long.parseLong(f[i]);
        }
        return new long[] {total, f.length > 8 ? Long.parseLong(f[8]) : 0};
    }
}
