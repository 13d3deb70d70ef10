package dev.healthmon.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.MonitorConfig;
import dev.healthmon.MonitorService;
import dev.healthmon.aggregate.AggregatorConfig;
import dev.healthmon.aggregate.AggregatorService;
import dev.healthmon.aggregate.AggregatorSettings;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.kafka.EmbeddedKafka;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.TopicAdmin;
import dev.healthmon.kafka.Topics;
import dev.healthmon.registry.CheckDefaults;
import dev.healthmon.registry.RegistryWriter;
import dev.healthmon.http.Meters;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code healthmon demo}: an in-process Apache Kafka broker (KRaft), the topics, five sample
 * backends on loopback registered through the registry topic, a monitor, the aggregator with its
 * status page, and a live view of the health events. Ctrl-C (or {@code --duration-seconds}) shuts everything down in reverse order.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run an embedded Kafka broker, sample backends and a monitor; show live status.")
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--kafka-port", description = "Pin the broker's bootstrap port (default: a free port).")
    Integer kafkaPort;

    @Option(names = "--partitions", defaultValue = "3", description = "Partitions per topic (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--http-port", defaultValue = "8080",
            description = "Port of the status page and query API (default ${DEFAULT-VALUE}; a free port if taken).")
    int httpPort;

    @Option(names = "--duration-seconds", defaultValue = "0",
            description = "Stop after this many seconds; 0 runs until Ctrl-C (default ${DEFAULT-VALUE}).")
    long durationSeconds;

    /** The aggregator's registry: its /metrics, next to the status page. */
    private final PrometheusMeterRegistry meters = Meters.prometheus();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Deque<AutoCloseable> resources = new ArrayDeque<>();
        CountDownLatch stop = new CountDownLatch(1);
        Thread hook = new Thread(stop::countDown, "healthmon-demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            out.println("starting an in-process Apache Kafka broker (KRaft)…");
            EmbeddedKafka kafka = EmbeddedKafka.start(kafkaPort == null ? OptionalInt.empty() : OptionalInt.of(kafkaPort));
            resources.push(kafka);
            KafkaSettings settings = KafkaSettings.of(kafka.bootstrapServers());
            out.println("Kafka bootstrap servers: " + kafka.bootstrapServers());
            try (TopicAdmin admin = new TopicAdmin(settings, Topics.DEFAULTS)) {
                admin.createTopics(partitions, (short) 1);
            }

            SampleBackends backends = SampleBackends.start();
            resources.push(backends);
            MonitorService monitor = MonitorService.start(MonitorConfig.defaults(settings, "demo-monitor"),
                    new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
            resources.push(monitor);
            Path stateDir = Files.createTempDirectory("healthmon-demo-streams");
            resources.push(() -> deleteRecursively(stateDir));
            AggregatorService aggregator = startAggregator(settings, stateDir);
            resources.push(aggregator);
            StatusView view = new StatusView(settings, Topics.DEFAULTS.events(), new HealthEventCodec(new ObjectMapper()), out);
            resources.push(view);
            view.start();

            try (RegistryWriter writer = new RegistryWriter(settings, Topics.DEFAULTS.registry())) {
                backends.registrations().forEach((id, json) -> writer.register(id, json.getBytes(StandardCharsets.UTF_8)));
            }
            out.printf("registered %d sample backends; expected: demo-healthy HEALTHY, demo-slow DEGRADED (SLOW), "
                    + "demo-failing and demo-dead UNHEALTHY, demo-auth UNAUTHENTICATED%n%n", backends.registrations().size());
            out.printf("status page: http://127.0.0.1:%d/   (query API: /api/status, /api/summary, /api/transitions)%n%n",
                    aggregator.httpPort());
            printHint(out, kafka.bootstrapServers());
            out.flush();

            if (durationSeconds > 0) {
                stop.await(durationSeconds, TimeUnit.SECONDS);
            } else {
                stop.await();
            }
            out.println("shutting down…");
            return 0;
        } finally {
            while (!resources.isEmpty()) {
                try {
                    resources.pop().close();
                } catch (Exception e) {
                    spec.commandLine().getErr().println("close failed: " + e);
                }
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the JVM is exiting because of Ctrl-C; the hook has done its job
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

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void printHint(PrintWriter out, String bootstrap) {
        out.println("Register your own backend from another terminal:");
        out.printf("  java -jar target/healthmon.jar register --bootstrap-servers %s \\%n"
                + "      --id my-api --url http://127.0.0.1:8080/health --transport http --interval-ms 5000 --timeout-ms 2000%n",
                bootstrap);
        out.println("or with kcat (murmur2 partitioner, as Java clients use):");
        out.printf("  echo 'my-api|{\"schemaVersion\":1,\"id\":\"my-api\",\"url\":\"http://127.0.0.1:8080/health\","
                + "\"transport\":\"http\"}' \\%n      | kcat -P -b %s -t backend-registry -K '|' -X topic.partitioner=murmur2_random%n",
                bootstrap);
        out.println("Ctrl-C stops the demo.");
        out.println();
    }
}
