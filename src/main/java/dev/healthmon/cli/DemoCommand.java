package dev.healthmon.cli;

import dev.healthmon.MonitorConfig;
import dev.healthmon.MonitorService;
import dev.healthmon.aggregate.AggregatorConfig;
import dev.healthmon.aggregate.AggregatorService;
import dev.healthmon.aggregate.AggregatorSettings;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.http.Meters;
import dev.healthmon.json.Json;
import dev.healthmon.kafka.EmbeddedKafka;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.TopicAdmin;
import dev.healthmon.kafka.Topics;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registry.RegistryWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import org.apache.kafka.common.utils.Utils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code healthmon demo}: an in-process Apache Kafka broker (KRaft), the topics, six sample
 * backends on loopback registered through the registry topic, a monitor, the aggregator with its
 * status page, and a live view of the health events. Ctrl-C, SIGTERM or {@code --duration-seconds} shuts everything
 * down in reverse order and removes the broker's data and the aggregator's state from the demo's folder (a new
 * temporary folder); the log stays there ({@link DemoLog}), unless {@code --verbose} printed it instead.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run an embedded Kafka broker, sample backends and a monitor; show live status.")
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--kafka-port", description = "Pin the broker's bootstrap port (default: a free port).")
    Integer kafkaPort;

    @Option(names = "--partitions", defaultValue = "3",
            description = "Partitions per topic (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--http-port", defaultValue = "8080",
            description = "Port of the status page and query API (default ${DEFAULT-VALUE}; a free port if taken).")
    int httpPort;

    @Option(names = "--duration-seconds", defaultValue = "0",
            description = "Stop after this many seconds; 0 runs until Ctrl-C (default ${DEFAULT-VALUE}).")
    long durationSeconds;

    @Option(names = "--verbose",
            description = "Print the log (broker, Kafka Streams, monitor, aggregator) here, not to demo.log.")
    boolean verbose;

    /** The demo's log file, in the demo's folder. */
    static final String LOG_FILE = "demo.log";

    /** How long SIGTERM or Ctrl-C waits for the broker, clients and folders to close before the JVM ends anyway. */
    private static final Duration CLEANUP_LIMIT = Duration.ofSeconds(60);

    /** The aggregator's registry: its /metrics, next to the status page. */
    private final PrometheusMeterRegistry meters = Meters.prometheus();

    /** What the slim jar says instead of failing on a missing broker class. */
    static final String NEEDS_FULL_JAR = "the demo needs the in-process Kafka broker, which only the full jar has: "
            + "java -jar target/healthmon.jar demo (mvn -B -q -DskipTests package builds it). healthmon-slim.jar "
            + "is for monitor, aggregate and the client commands.";

    @Override
    public Integer call() throws Exception {
        if (!EmbeddedKafka.available()) {
            throw new IllegalStateException(NEEDS_FULL_JAR);
        }
        PrintWriter out = spec.commandLine().getOut();
        // Outermost: on SIGTERM or Ctrl-C the JVM waits for the cleanup below instead of ending mid-way.
        try (ShutdownSignal signal = ShutdownSignal.install("healthmon-demo-shutdown", CLEANUP_LIMIT)) {
            Path folder = Files.createTempDirectory("healthmon-demo-");
            DemoLog log = verbose ? DemoLog.onTerminal() : DemoLog.toFile(folder.resolve(LOG_FILE), LogFormat.of(spec));
            // The log closes last, so that it has the shutdown too.
            try (log) {
                Deque<AutoCloseable> resources = new ArrayDeque<>();
                try {
                    out.println("starting an in-process Apache Kafka broker (KRaft)…");
                    log.file().ifPresent(file -> out.println("log (broker, Kafka Streams, monitor, aggregator): "
                            + file + "   (--verbose prints it here)"));
                    startAll(out, folder, resources);
                    if (durationSeconds > 0) {
                        signal.await(Duration.ofSeconds(durationSeconds));
                    } else {
                        signal.await();
                    }
                    out.println("shutting down…");
                    out.flush();
                    return 0;
                } finally {
                    closeAll(resources);
                }
            } finally {
                leave(out, folder, log);
            }
        }
    }

    /** The broker's data and the aggregator's state are gone by now; the log, if any, stays for the user. */
    private void leave(PrintWriter out, Path folder, DemoLog log) {
        if (log.file().isPresent()) {
            out.println("the demo's log stays in " + log.file().get());
            out.flush();
            return;
        }
        try {
            Utils.delete(folder.toFile());
        } catch (IOException e) {
            spec.commandLine().getErr().println("cannot remove " + folder + ": " + e);
        }
    }

    /**
     * Starts everything, pushing each part on {@code resources} as soon as it runs, so that a failure closes what
     * started.
     */
    private void startAll(PrintWriter out, Path folder, Deque<AutoCloseable> resources) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start(kafkaPort == null ? OptionalInt.empty() : OptionalInt.of(kafkaPort),
                folder.resolve("kafka"));
        resources.push(kafka);
        KafkaSettings settings = KafkaSettings.of(kafka.bootstrapServers());
        out.println("Kafka bootstrap servers: " + kafka.bootstrapServers());
        try (TopicAdmin admin = new TopicAdmin(settings, Topics.DEFAULTS)) {
            admin.createTopics(partitions, (short) 1);
        }

        SampleBackends backends = SampleBackends.start();
        resources.push(backends);
        MonitorService monitor = MonitorService.start(MonitorConfig.defaults(settings, "demo-monitor")
                        .withSecrets(backends.declareSecret()), new SimpleMeterRegistry());
        resources.push(monitor);
        Path stateDir = Files.createDirectory(folder.resolve("streams"));
        resources.push(() -> Utils.delete(stateDir.toFile()));
        AggregatorService aggregator = startAggregator(settings, stateDir);
        resources.push(aggregator);
        StatusView view = new StatusView(settings, Topics.DEFAULTS.events(), new HealthEventCodec(Json.mapper()),
                out);
        resources.push(view);
        view.start();

        try (RegistryWriter writer = new RegistryWriter(settings, Topics.DEFAULTS.registry())) {
            backends.registrations().forEach((id, json) -> writer.register(id, json.getBytes(StandardCharsets.UTF_8)));
        }
        out.printf("registered %d sample backends; expected: demo-healthy HEALTHY, demo-slow DEGRADED (SLOW), "
                + "demo-failing and demo-dead UNHEALTHY, demo-auth HEALTHY (it sends the declared secret demo-token), "
                + "demo-locked UNAUTHENTICATED%n%n", backends.registrations().size());
        out.printf("status page: http://127.0.0.1:%d/   (query API: /api/status, /api/summary, /api/transitions, "
                + "/api/checks)%n%n", aggregator.httpPort());
        printHint(out, kafka.bootstrapServers());
        out.flush();
    }

    /** In reverse order of start; one part that fails to close does not keep the others open. */
    private void closeAll(Deque<AutoCloseable> resources) {
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Exception e) {
                spec.commandLine().getErr().println("close failed: " + e);
            }
        }
    }

    private AggregatorService startAggregator(KafkaSettings settings, Path stateDir) {
        try {
            return AggregatorService.start(aggregatorConfig(settings, stateDir, httpPort), meters);
        } catch (UncheckedIOException portTaken) {
            return AggregatorService.start(aggregatorConfig(settings, stateDir, 0), meters);
        }
    }

    private static AggregatorConfig aggregatorConfig(KafkaSettings settings, Path stateDir, int port) {
        return new AggregatorConfig(settings, Topics.DEFAULTS, "healthmon-demo-aggregator", CheckDefaults.STANDARD,
                AggregatorSettings.DEFAULTS, "127.0.0.1", port, "127.0.0.1", stateDir, 0);
    }

    private static void printHint(PrintWriter out, String bootstrap) {
        // Any port but the demo's own status page (8080): a backend of your own, e.g. python3 -m http.server 9000.
        out.println("Register your own backend from another terminal:");
        out.printf("  java -jar target/healthmon.jar register --bootstrap-servers %s \\%n"
                + "      --id my-api --url http://127.0.0.1:9000/health --transport http --interval-ms 5000 "
                + "--timeout-ms 2000%n",
                bootstrap);
        out.println("or with kcat (murmur2 partitioner, as Java clients use):");
        out.printf("  echo 'my-api|{\"schemaVersion\":1,\"id\":\"my-api\",\"url\":\"http://127.0.0.1:9000/health\","
                + "\"transport\":\"http\"}' \\%n      | kcat -P -b %s -t backend-registry -K '|' -X "
                + "topic.partitioner=murmur2_random%n",
                bootstrap);
        out.println("Ctrl-C stops the demo.");
        out.println();
    }
}
