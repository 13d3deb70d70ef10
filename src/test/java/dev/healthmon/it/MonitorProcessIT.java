package dev.healthmon.it;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.Topics;
import dev.healthmon.registry.RegistryWriter;
import dev.healthmon.support.CountingBackend;
import dev.healthmon.support.KafkaFixture;
import dev.healthmon.support.ShutdownLog;
import dev.healthmon.support.TopicTail;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code healthmon monitor} as a real separate process, stopped the way an orchestrator stops it. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MonitorProcessIT {

    private static KafkaFixture fixture;
    private static KafkaSettings settings;
    private static CountingBackend backend;
    private final HealthEventCodec codec = new HealthEventCodec(new ObjectMapper());

    @BeforeAll
    static void start() throws Exception {
        fixture = KafkaFixture.start(2);
        settings = fixture.settings();
        backend = fixture.backend();
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
    }

    private static Process monitorProcess(String monitorId, Path log) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "dev.healthmon.cli.HealthmonCli", "monitor", "--bootstrap-servers", fixture.bootstrapServers(),
                "--monitor-id", monitorId, "--shutdown-timeout-ms", "10000", "--http-port", "0"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private long eventsFrom(TopicTail tail, String monitorId) {
        return tail.records().stream().filter(r -> codec.decode(r.value()).monitorId().equals(monitorId)).count();
    }

    @Test
    void sigtermStopsTheMonitorGracefullyWithExitCodeZero() throws Exception {
        Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve("monitor-sigterm.log");
        Process monitor = monitorProcess("proc-1", log);
        try (TopicTail events = new TopicTail(settings, Topics.DEFAULTS.events());
             RegistryWriter writer = new RegistryWriter(settings, Topics.DEFAULTS.registry())) {
            writer.register("sigterm-api", bytes(json("sigterm-api", backend.url("/sigterm"),
                    j -> ((ObjectNode) j.get("healthCheck")).put("intervalMs", 300).put("timeoutMs", 200))));
            await().atMost(Duration.ofSeconds(60)).until(() -> eventsFrom(events, "proc-1") >= 3);

            long start = System.nanoTime();
            monitor.destroy(); // SIGTERM
            boolean exited = monitor.waitFor(15, TimeUnit.SECONDS);
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(exited).as(Files.readString(log)).isTrue();
            assertThat(monitor.exitValue()).as(Files.readString(log)).isZero();
            assertThat(took).as("within the 10 s shutdown bound plus JVM exit").isLessThan(Duration.ofSeconds(12));
            assertThat(Files.readString(log)).contains("monitor=proc-1 stopped in");

            // Nothing is published after the monitor has stopped its checks, the flush included: no event of
            // proc-1 was checked after the moment its log says its checks stopped.
            Instant exitedAt = Instant.now();
            String output = Files.readString(log);
            Instant checksStopped = ShutdownLog.checksStoppedAt(output, exitedAt).orElseThrow(
                    () -> new AssertionError("no 'stopped N checks' line before 'stopped in':\n" + output));
            events.awaitCaughtUp(settings, Topics.DEFAULTS.events());
            assertThat(events.records()).map(r -> codec.decode(r.value()))
                    .filteredOn(e -> e.monitorId().equals("proc-1"))
                    .isNotEmpty().allSatisfy(e -> assertThat(e.checkedAt()).isBefore(checksStopped.plusMillis(1)));
            long published = eventsFrom(events, "proc-1");
            int hits = backend.hits("/sigterm");
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
                    .until(() -> eventsFrom(events, "proc-1") == published && backend.hits("/sigterm") == hits);
        } finally {
            monitor.destroyForcibly();
        }
    }
}
