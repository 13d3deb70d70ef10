package dev.healthmon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.kafka.EmbeddedKafka;
import dev.healthmon.support.CountingBackend;
import dev.healthmon.support.Figures;
import dev.healthmon.support.LoopbackPorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two jars {@code mvn package} writes, run as users run them ({@code java -jar}): healthmon-slim.jar
 * (the container image's) holds no broker, Scala, test kit or JUnit, stays under 60 MB, runs monitor,
 * aggregate and the client commands against a real broker, and its demo names the full jar instead of
 * failing on a missing class; healthmon.jar still runs the README's demo.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SlimJarIT {

    private static final Path SLIM = Path.of("target", "healthmon-slim.jar");
    private static final Path FULL = Path.of("target", "healthmon.jar");
    private static final long MAX_SLIM_BYTES = 60_000_000;
    private static final Path LOGS = Path.of("target", "it-logs");

    /** What the slim jar must not contain: the broker (Java and Scala), Scala, the test kit, JUnit. */
    private static final List<String> BROKER_AND_TEST_PREFIXES = List.of("kafka/server/", "kafka/cluster/", "scala/",
            "org/apache/kafka/raft/", "org/apache/kafka/controller/", "org/apache/kafka/storage/internals/",
            "org/apache/kafka/common/test/", "org/junit/");

    private record Run(int exit, String output) {}

    private static List<String> command(Path jar, List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx256m", "-XX:+UseSerialGC"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString()));
        command.addAll(List.of(args));
        return command;
    }

    private static Process start(String name, List<String> command) throws IOException {
        Path log = Files.createDirectories(LOGS).resolve(name + ".log");
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static Run run(String name, Duration limit, List<String> command) throws Exception {
        Process process = start(name, command);
        Path log = LOGS.resolve(name + ".log");
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError(name + " did not end within " + limit + ": " + Files.readString(log));
        }
        return new Run(process.exitValue(), Files.readString(log));
    }

    private static Run slim(String name, String... args) throws Exception {
        return run(name, Duration.ofSeconds(90), command(SLIM, List.of(), args));
    }

    private static Set<String> entries(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            return file.stream().map(ZipEntry::getName).collect(Collectors.toSet());
        }
    }

    @Test
    void slimJarIsUnder60MbWithoutBrokerScalaTestKitOrJUnitAndTheFullJarKeepsThem() throws IOException {
        long slim = Files.size(SLIM);
        long full = Files.size(FULL);
        Figures.record(String.format(Locale.ROOT, "jar sizes: healthmon.jar %.1f MB, healthmon-slim.jar %.1f MB",
                full / 1e6, slim / 1e6));

        assertThat(slim).as("healthmon-slim.jar bytes").isLessThanOrEqualTo(MAX_SLIM_BYTES);
        Set<String> slimEntries = entries(SLIM);
        assertThat(slimEntries).as("broker, Scala, test kit or JUnit in the slim jar")
                .noneMatch(e -> BROKER_AND_TEST_PREFIXES.stream().anyMatch(e::startsWith));
        // The platforms the image runs on keep their native libraries: RocksDB, zstd, snappy.
        assertThat(slimEntries).contains("librocksdbjni-linux64.so", "librocksdbjni-linux-aarch64.so",
                "linux/amd64/libzstd-jni-1.5.6-10.so", "linux/aarch64/libzstd-jni-1.5.6-10.so",
                "org/xerial/snappy/native/Linux/x86_64/libsnappyjava.so",
                "org/xerial/snappy/native/Linux/aarch64/libsnappyjava.so");
        assertThat(entries(FULL)).contains("org/apache/kafka/common/test/KafkaClusterTestKit.class",
                "kafka/server/KafkaRaftServer.class", "scala/Option.class");
    }

    @Test
    void slimJarShowsTheHelpOfMonitorAggregateAndTheClientCommands() throws Exception {
        for (List<String> command : List.of(List.of("monitor"), List.of("aggregate"), List.of("register"),
                List.of("deregister"), List.of("tail"), List.of("status"), List.of("topics", "create"),
                List.of("sample-backends"))) {
            List<String> args = new ArrayList<>(command);
            args.add("--help");
            Run help = slim("slim-help-" + String.join("-", command), args.toArray(new String[0]));

            assertThat(help.exit()).as(help.output()).isZero();
            assertThat(help.output()).as(String.join(" ", args))
                    .contains("Usage: healthmon " + String.join(" ", command)).doesNotContain("Exception");
        }
    }

    @Test
    void demoInTheSlimJarNamesTheFullJarInsteadOfFailingOnAMissingClass() throws Exception {
        Run demo = slim("slim-demo", "demo", "--duration-seconds", "1");

        assertThat(demo.exit()).as(demo.output()).isEqualTo(1);
        assertThat(demo.output()).startsWith("error: the demo needs the in-process Kafka broker, which only the full "
                + "jar has: java -jar target/healthmon.jar demo").doesNotContain("NoClassDefFoundError")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void slimJarRunsTopicsMonitorAggregateRegisterAndStatusAgainstARealBroker(@TempDir Path tmp) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(OptionalInt.empty());
             CountingBackend backend = new CountingBackend()) {
            String bootstrap = kafka.bootstrapServers();
            Run topics = slim("slim-topics", "topics", "create", "--bootstrap-servers", bootstrap, "--partitions", "3");
            assertThat(topics.exit()).as(topics.output()).isZero();

            int apiPort = LoopbackPorts.unused();
            Process monitor = start("slim-monitor", command(SLIM, List.of(), "monitor", "--bootstrap-servers",
                    bootstrap, "--monitor-id", "slim-monitor", "--http-host", "127.0.0.1", "--http-port", "0"));
            // RocksDB unpacks its native library to java.io.tmpdir: this proves the slim jar kept the right one.
            Process aggregator = start("slim-aggregator", command(SLIM, List.of("-Djava.io.tmpdir=" + tmp),
                    "aggregate", "--bootstrap-servers", bootstrap, "--http-host", "127.0.0.1", "--advertised-host",
                    "127.0.0.1", "--http-port", Integer.toString(apiPort), "--state-dir",
                    tmp.resolve("state").toString(), "--standby-replicas", "0"));
            try {
                Run register = slim("slim-register", "register", "--bootstrap-servers", bootstrap, "--id",
                        "slim-backend", "--url", backend.url("/health"), "--interval-ms", "1000", "--timeout-ms",
                        "500");
                assertThat(register.exit()).as(register.output()).isZero();

                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                        .failFast("monitor or aggregator ended", () -> !monitor.isAlive() || !aggregator.isAlive())
                        .until(() -> new ObjectMapper().readTree(http.send(HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + apiPort + "/api/status/slim-backend")).GET().build(),
                                HttpResponse.BodyHandlers.ofString()).body()).path("status").asText(),
                                "HEALTHY"::equals);
                Run status = slim("slim-status", "status", "--aggregator", "http://127.0.0.1:" + apiPort);

                assertThat(status.exit()).as(status.output()).isZero();
                assertThat(status.output()).containsPattern("(?m)^slim-backend\\s+HEALTHY\\s");
            } finally {
                for (Process process : List.of(monitor, aggregator)) {
                    process.destroy();
                    if (!process.waitFor(60, TimeUnit.SECONDS)) {
                        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                    }
                }
            }
        }
    }

    @Test
    void fullJarStillRunsTheReadmeDemo(@TempDir Path tmp) throws Exception {
        Run demo = run("full-demo", Duration.ofSeconds(180), command(FULL, List.of("-Xmx512m",
                "-Djava.io.tmpdir=" + tmp), "demo", "--kafka-port", Integer.toString(LoopbackPorts.unused()),
                "--http-port", "0", "--duration-seconds", "5"));

        assertThat(demo.exit()).as(demo.output()).isZero();
        assertThat(demo.output()).contains("registered 6 sample backends").contains("status page: http://127.0.0.1:");
    }
}
