package dev.healthmon.it;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.aggregate.AggregatorSettings;
import dev.healthmon.chaos.ChaosBackends;
import dev.healthmon.chaos.ChaosBackends.Kind;
import dev.healthmon.chaos.ChaosChecker;
import dev.healthmon.chaos.ChaosChecker.MonitorCounters;
import dev.healthmon.chaos.ChaosChecker.Window;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.TopicAdmin;
import dev.healthmon.kafka.Topics;
import dev.healthmon.support.AggregatorProcess;
import dev.healthmon.support.BrokerProcesses;
import dev.healthmon.support.Figures;
import dev.healthmon.support.LoopbackPorts;
import dev.healthmon.support.MonitorProcess;
import dev.healthmon.support.Resources;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The chaos run (docs/chaos.md): 3 broker processes (RF 3, min ISR 2), 3 monitor and 2
 * aggregator processes, a fleet of healthy, slow, flapping and dead backends, and random faults
 * — kill -9 and SIGSTOP/SIGCONT of monitors and aggregators, kill -9 and restart of a broker, one
 * partition growth — each followed by a settle period; some backends deregistered on the way.
 * Afterwards {@link ChaosChecker}, which shares no code with the monitor or the aggregator,
 * judges the topics. {@code -Dchaos.minutes=N} (the {@code chaos} profile: 10) runs N minutes of
 * faults with 500 backends; without it 75 s of faults (3) with 200. {@code -Dchaos.seed} repeats a run.
 */
@Timeout(value = 60, unit = TimeUnit.MINUTES)
class ChaosIT {

    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(6);
    static final String AGGREGATOR_APPLICATION_ID = "chaos-aggregator";
    static final Duration INTERVAL = Duration.ofSeconds(2);
    static final Duration TIMEOUT = Duration.ofSeconds(1);
    static final int JITTER_PERCENT = 10;
    /** The longest a fault holds a process (SIGSTOP) or a broker down. */
    static final Duration LONGEST_HOLD = Duration.ofSeconds(10);
    /**
     * After a fault is undone, how long until ownership has settled: a frozen monitor wakes, finds
     * its session expired, fences itself and rejoins — one session timeout plus two rebalances and
     * restores. Measured in the runs of docs/chaos.md: well under this.
     */
    static final Duration SETTLE = Duration.ofSeconds(18);
    /** The quiet window after each settle in which rule 3 is judged. */
    static final Duration QUIET = Duration.ofSeconds(6);
    /**
     * Rule 4: the longest a live backend may go unchecked. The worst fault for it is its monitor
     * frozen for LONGEST_HOLD (>= the session timeout): the group notices after the session timeout,
     * rebalances and restores (measured ≤ 6 s, allowed 8 s), then the first check runs at once —
     * plus one interval with jitter and a timeout for a check that was due just before the fault.
     */
    static final Duration GAP_BOUND = LONGEST_HOLD.plus(Duration.ofSeconds(8))
            .plus(INTERVAL.multipliedBy(100 + JITTER_PERCENT).dividedBy(100)).plus(TIMEOUT);

    private enum Fault {
        MONITOR_KILL, MONITOR_STOP, AGGREGATOR_KILL, AGGREGATOR_STOP, BROKER_RESTART, PARTITION_GROWTH
    }

    private final int minutes = Integer.getInteger("chaos.minutes", 0);
    /** {@code -Dchaos.growth=false} leaves the partition growth out (to tell its effects from the other faults'). */
    private final boolean growth = Boolean.parseBoolean(System.getProperty("chaos.growth", "true"));
    private final long seed = Long.getLong("chaos.seed", System.currentTimeMillis());
    private final Random random = new Random(seed);
    private final Topics topics = Topics.DEFAULTS;
    private final Resources resources = new Resources();
    private final List<MonitorSlot> monitors = new ArrayList<>();
    private final List<AggregatorSlot> aggregators = new ArrayList<>();
    private final Map<String, MonitorCounters> counters = new ConcurrentHashMap<>();
    private final Map<String, Integer> registrationPartition = new HashMap<>();
    private final List<String> faultLog = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private BrokerProcesses brokers;
    /** The most memory this JVM and its child processes (brokers, monitors, aggregators) held at once, in MB. */
    private volatile long peakRssMb;
    private ChaosBackends backends;
    private KafkaProducer<byte[], byte[]> registry;

    /** One of the three monitor places; each (re)start is a new instance with its own monitorId. */
    private final class MonitorSlot {
        final String name;
        int incarnation;
        volatile MonitorProcess process;
        volatile int port;
        volatile boolean frozen;

        MonitorSlot(String name) {
            this.name = name;
        }

        void start() throws Exception {
            incarnation++;
            port = LoopbackPorts.unused();
            process = MonitorProcess.start(name + "." + incarnation, port, List.of(
                    "--bootstrap-servers", brokers.bootstrapServers(), "--group-id", "chaos",
                    "--shutdown-timeout-ms", "10000", "--circuit-breaker-open-ms", "10000",
                    "-X", "session.timeout.ms=" + SESSION_TIMEOUT.toMillis(), "-X", "heartbeat.interval.ms=1500",
                    "-X", "metadata.max.age.ms=5000"));
        }
    }

    private final class AggregatorSlot {
        final String name;
        final Path stateDir;
        final int port;
        volatile AggregatorProcess process;

        AggregatorSlot(String name) throws Exception {
            this.name = name;
            // Fresh per run: a state directory left by an earlier run belongs to another cluster.
            this.stateDir = Files.createTempDirectory(Files.createDirectories(Path.of("target", "chaos-state")), name);
            this.port = LoopbackPorts.unused();
        }

        void start() throws Exception {
            // The monitors' session timeout, not Streams' default 45 s: a SIGKILLed aggregator's tasks move only
            // when its session expires, and the status rules give the aggregator 60 s after the run to catch up.
            process = AggregatorProcess.start(name, port, stateDir, List.of(
                    "--bootstrap-servers", brokers.bootstrapServers(), "--application-id", AGGREGATOR_APPLICATION_ID,
                    "--monitor-session-timeout-ms", Long.toString(SESSION_TIMEOUT.toMillis()),
                    "-X", "session.timeout.ms=" + SESSION_TIMEOUT.toMillis(), "-X", "heartbeat.interval.ms=1500",
                    "-X", "metadata.max.age.ms=5000"));
        }
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (MonitorSlot m : monitors) {
            if (m.process != null) {
                m.process.close();
            }
        }
        for (AggregatorSlot a : aggregators) {
            if (a.process != null) {
                a.process.close();
            }
        }
        resources.close();
    }

    @Test
    void underRandomFaultsNothingIsLostStalledOrFalsifiedAccordingToAnIndependentChecker() throws Exception {
        long wallStart = System.nanoTime();
        boolean longRun = minutes > 0;
        Duration chaosLength = longRun ? Duration.ofMinutes(minutes) : Duration.ofSeconds(75);
        int fleet = longRun ? 500 : 200;
        System.out.println("chaos seed=" + seed + " minutes=" + minutes + " backends=" + fleet + " growth=" + growth);

        brokers = resources.closeLater(BrokerProcesses.start(3));
        KafkaSettings settings = KafkaSettings.of(brokers.bootstrapServers());
        try (TopicAdmin admin = new TopicAdmin(settings, topics)) {
            admin.createTopics(3, (short) 3);
        }
        backends = resources.closeLater(new ChaosBackends(LoopbackPorts.unused()));
        registry = resources.closeLater(new KafkaProducer<>(settings.producer("chaos-driver")));
        Map<String, Kind> kinds = new LinkedHashMap<>();
        Kind[] mix = {Kind.HEALTHY, Kind.HEALTHY, Kind.HEALTHY, Kind.HEALTHY, Kind.SLOW, Kind.FLAPPING, Kind.FLAPPING,
            Kind.DEAD};
        for (int i = 0; i < fleet; i++) {
            Kind kind = mix[i % mix.length];
            String id = kind.name().toLowerCase() + "-" + i;
            kinds.put(id, kind);
            register(id, kind);
        }
        for (int i = 1; i <= 2; i++) {
            AggregatorSlot a = new AggregatorSlot("chaos-aggregator-" + i);
            aggregators.add(a);
            a.start();
        }
        for (int i = 1; i <= 3; i++) {
            MonitorSlot m = new MonitorSlot("m" + i);
            monitors.add(m);
            m.start();
        }
        ScheduledExecutorService scraper = Executors.newSingleThreadScheduledExecutor();
        resources.closeLater(scraper::shutdownNow);
        scraper.scheduleWithFixedDelay(this::scrapeAll, 2, 2, TimeUnit.SECONDS);
        awaitEveryBackendChecked(settings, kinds.keySet());

        Instant chaosStart = Instant.now();
        long chaosEndsAt = System.nanoTime() + chaosLength.toNanos();
        List<Fault> bag = new ArrayList<>();
        List<Window> settled = new ArrayList<>();
        Map<String, Instant> deregisteredAt = new HashMap<>();
        boolean grown = false;
        int cycle = 0;
        while (System.nanoTime() < chaosEndsAt) {
            if (bag.isEmpty()) {
                bag.addAll(List.of(Fault.MONITOR_KILL, Fault.MONITOR_STOP, Fault.AGGREGATOR_KILL, Fault.AGGREGATOR_STOP,
                        Fault.BROKER_RESTART, Fault.MONITOR_STOP, Fault.MONITOR_KILL));
                Collections.shuffle(bag, random);
            }
            // The growth happens once, at the second fault, so that every later settle judges the grown topics.
            Fault fault = cycle == 1 && !grown && growth ? Fault.PARTITION_GROWTH : bag.remove(0);
            grown |= fault == Fault.PARTITION_GROWTH;
            String what = inject(fault, settings, kinds);
            cycle++;
            if (cycle == 1) {
                deregisterSome(kinds, longRun ? 25 : 10, deregisteredAt);
            }
            Instant recovered = Instant.now();
            faultLog.add(recovered + " " + what);
            System.out.println("chaos fault " + cycle + ": " + what);
            TimeUnit.SECONDS.sleep(SETTLE.plus(QUIET).toSeconds()); // the quiet period is the scenario, not a wait
            settled.add(new Window(recovered.plus(SETTLE), Instant.now(), what));
        }
        Instant chaosEnd = Instant.now();

        scrapeAll();
        for (MonitorSlot m : monitors) {
            m.process.terminate();
        }
        for (MonitorSlot m : monitors) {
            assertThat(m.process.process().waitFor(30, TimeUnit.SECONDS)).as(m.process.log()).isTrue();
        }
        scraper.shutdownNow();

        Set<String> answering = kinds.entrySet().stream().filter(e -> e.getValue() != Kind.DEAD)
                .map(Map.Entry::getKey).collect(Collectors.toSet());
        ChaosChecker checker = new ChaosChecker(new ChaosChecker.Scenario(brokers.bootstrapServers(), topics.registry(),
                topics.events(), topics.status(), chaosStart, chaosEnd, settled, Map.copyOf(counters), answering,
                deregisteredAt, GAP_BOUND, AggregatorSettings.DEFAULTS.statusHeartbeat(), AGGREGATOR_APPLICATION_ID));
        ChaosChecker.Report report = checker.check(Duration.ofSeconds(60));
        Duration wall = Duration.ofNanos(System.nanoTime() - wallStart);

        List<String> lines = new ArrayList<>();
        lines.add("seed=" + seed + " growth=" + growth + " chaosSeconds="
                + Duration.between(chaosStart, chaosEnd).toSeconds() + " backends="
                + kinds.size() + " deregistered=" + deregisteredAt.size() + " faults=" + faultLog.size()
                + " gapBoundMs=" + GAP_BOUND.toMillis() + " wallSeconds=" + wall.toSeconds()
                + " peakRssMb=" + peakRssMb);
        lines.addAll(faultLog);
        lines.add(report.summary());
        counters.forEach((m, c) -> lines.add("monitor " + m + " " + c));
        report.violations().forEach(v -> lines.add("VIOLATION " + v));
        Files.write(Path.of("target", "chaos-report.txt"), lines, StandardCharsets.UTF_8);
        Figures.record("chaos run (" + (longRun ? minutes + " min" : "short") + ", seed " + seed + "): "
                + faultLog.size() + " faults, " + kinds.size() + " backends, " + report.summary()
                + ", wall " + wall.toSeconds() + " s, peak RSS " + peakRssMb + " MB");

        assertThat(report.violations()).as("violations (all in target/chaos-report.txt), first ones: %s",
                report.violations().stream().limit(30).map(Object::toString).collect(Collectors.joining("\n")))
                .isEmpty();
    }

    private void register(String id, Kind kind) throws Exception {
        register(id, kind, null);
    }

    private void register(String id, Kind kind, Integer partition) throws Exception {
        ObjectNode registration = json(id, backends.url(kind, id), j -> ((ObjectNode) j.get("healthCheck"))
                .put("intervalMs", INTERVAL.toMillis()).put("timeoutMs", TIMEOUT.toMillis())
                .put("degradedLatencyMs", 400).put("jitterPercent", JITTER_PERCENT));
        RecordMetadata written = registry.send(new ProducerRecord<>(topics.registry(), partition,
                id.getBytes(StandardCharsets.UTF_8), bytes(registration))).get(30, TimeUnit.SECONDS);
        registrationPartition.put(id, written.partition());
    }

    /** Tombstones go to the partition of the registration, not by key hash: after the growth the hash may differ. */
    private void deregisterSome(Map<String, Kind> kinds, int count, Map<String, Instant> deregisteredAt)
            throws Exception {
        List<String> ids = new ArrayList<>(kinds.keySet());
        Collections.shuffle(ids, random);
        for (String id : ids.subList(0, count)) {
            registry.send(new ProducerRecord<>(topics.registry(), registrationPartition.get(id),
                    id.getBytes(StandardCharsets.UTF_8), null)).get(30, TimeUnit.SECONDS);
            deregisteredAt.put(id, Instant.now());
        }
    }

    private String inject(Fault fault, KafkaSettings settings, Map<String, Kind> kinds) throws Exception {
        Duration hold = Duration.ofMillis(2000 + random.nextInt((int) LONGEST_HOLD.toMillis() - 1999));
        switch (fault) {
            case MONITOR_KILL -> {
                MonitorSlot m = monitors.get(random.nextInt(monitors.size()));
                String was = m.process.id();
                scrape(m);
                m.process.kill();
                TimeUnit.MILLISECONDS.sleep(hold.toMillis()); // the time the machine stays down
                m.start();
                awaitReady(m); // the fault is undone once the new instance has joined and restored
                return "kill -9 monitor " + was + ", restarted as " + m.process.id() + " after " + hold.toMillis()
                        + " ms";
            }
            case MONITOR_STOP -> {
                MonitorSlot m = monitors.get(random.nextInt(monitors.size()));
                m.frozen = true;
                m.process.freeze();
                TimeUnit.MILLISECONDS.sleep(hold.toMillis()); // the freeze itself
                m.process.thaw();
                m.frozen = false;
                return "SIGSTOP monitor " + m.process.id() + " for " + hold.toMillis() + " ms";
            }
            case AGGREGATOR_KILL -> {
                AggregatorSlot a = aggregators.get(random.nextInt(aggregators.size()));
                a.process.kill();
                TimeUnit.MILLISECONDS.sleep(hold.toMillis());
                a.process.restart();
                return "kill -9 aggregator " + a.name + ", restarted on its state after " + hold.toMillis() + " ms";
            }
            case AGGREGATOR_STOP -> {
                AggregatorSlot a = aggregators.get(random.nextInt(aggregators.size()));
                a.process.freeze();
                TimeUnit.MILLISECONDS.sleep(hold.toMillis());
                a.process.thaw();
                return "SIGSTOP aggregator " + a.name + " for " + hold.toMillis() + " ms";
            }
            case BROKER_RESTART -> {
                int node = brokers.nodeIds().get(random.nextInt(brokers.nodeIds().size()));
                brokers.kill(node);
                TimeUnit.MILLISECONDS.sleep(hold.toMillis());
                brokers.restart(node);
                brokers.awaitBrokers(3, Duration.ofSeconds(90));
                return "kill -9 broker " + node + ", restarted after " + hold.toMillis() + " ms";
            }
            case PARTITION_GROWTH -> {
                try (Admin admin = Admin.create(settings.admin())) {
                    admin.createPartitions(Map.of(topics.registry(), NewPartitions.increaseTo(4),
                            topics.events(), NewPartitions.increaseTo(4))).all().get(30, TimeUnit.SECONDS);
                }
                String grown;
                try (TopicAdmin admin = new TopicAdmin(settings, topics)) {
                    grown = admin.growEventsToRegistry().orElse("health-events already matched");
                }
                int added = 0;
                // Half of them written to the new partition explicitly: this producer's metadata may not know it yet.
                for (int i = 0; i < 12; i++) {
                    String id = "grown-" + i;
                    kinds.put(id, Kind.HEALTHY);
                    register(id, Kind.HEALTHY, i % 2 == 0 ? 3 : null);
                    added += registrationPartition.get(id) == 3 ? 1 : 0;
                }
                return "backend-registry and health-events grown to 4 partitions (" + grown + "), 12 backends added, "
                        + added + " of them on partition 3";
            }
            default -> throw new IllegalStateException(fault.name());
        }
    }

    /** Waits until the monitor's /readyz says 200: it joined the group and restored what it owns. */
    private void awaitReady(MonitorSlot m) {
        await(m.process.id() + " ready").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(() -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + m.port + "/readyz")).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    }

    private void scrapeAll() {
        peakRssMb = Math.max(peakRssMb, residentMb());
        for (MonitorSlot m : monitors) {
            if (!m.frozen) {
                scrape(m);
            }
        }
    }

    /** Reads the monitor's publishing counters from /metrics; a monitor that does not answer keeps its last ones. */
    private void scrape(MonitorSlot m) {
        MonitorProcess process = m.process;
        if (process == null || !process.process().isAlive()) {
            return;
        }
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.port
                    + "/metrics")).timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return;
            }
            Map<String, Double> values = new HashMap<>();
            for (String line : response.body().split("\n")) {
                if (line.startsWith("healthmon_events_")) {
                    String name = line.substring(0, line.indexOf(line.contains("{") ? '{' : ' '));
                    values.merge(name, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
                }
            }
            counters.put(process.id(), new MonitorCounters(
                    values.getOrDefault("healthmon_events_published_total", 0.0).longValue(),
                    values.getOrDefault("healthmon_events_coalesced_total", 0.0).longValue(),
                    values.getOrDefault("healthmon_events_dropped_total", 0.0).longValue(),
                    values.getOrDefault("healthmon_events_failed_total", 0.0).longValue()));
        } catch (Exception e) {
            // starting, frozen or gone: the last scrape stands
        }
    }

    /** Resident memory of this JVM and all its descendants, from /proc (Linux). */
    private static long residentMb() {
        long kb = 0;
        for (ProcessHandle p : Stream.concat(Stream.of(ProcessHandle.current()), ProcessHandle.current().descendants())
                .toList()) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
                    if (line.startsWith("VmRSS:")) {
                        kb += Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            } catch (Exception e) {
                // gone, or not Linux: counts as nothing
            }
        }
        return kb / 1024;
    }

    private void awaitEveryBackendChecked(KafkaSettings settings, Set<String> ids) {
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings.plainConsumer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topics.events(), Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topics.events(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await("every backend checked once").atMost(Duration.ofSeconds(120)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    seen.add(new String(r.key(), StandardCharsets.UTF_8));
                }
                return seen.containsAll(ids);
            });
        }
    }
}
