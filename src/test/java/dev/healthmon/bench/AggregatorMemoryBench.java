package dev.healthmon.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.TopicAdmin;
import dev.healthmon.kafka.Topics;
import dev.healthmon.support.BrokerProcesses;
import dev.healthmon.support.LoopbackPorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an aggregator process takes in memory, run as the Kubernetes manifest runs it: the image's JVM flags
 * ({@code -XX:MaxRAMPercentage=75}) under a 1 GiB limit ({@code -XX:MaxRAM=1g} stands in for the container's
 * cgroup), RocksDB stores, one instance draining a backlog of {@value #BACKENDS} backends × {@value #EVENTS}
 * events. Reported: the process's peak resident set (VmHWM) and its resident set once drained, against the
 * 1 GiB request in deploy/kubernetes/aggregator.yaml.
 *
 * <p>Run: {@code mvn -B -Pbench test -Dtest=AggregatorMemoryBench} (≈ 3 min; broker in its own process).
 */
class AggregatorMemoryBench {

    private static final int BACKENDS = Integer.getInteger("bench.memory.backends", 10_000);
    private static final int EVENTS = Integer.getInteger("bench.memory.eventsPerBackend", 20);
    private static final int PARTITIONS = 3;

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void aggregatorProcessMemoryUnderTheManifestsLimit(@TempDir Path stateDir) throws Exception {
        try (BrokerProcesses broker = BrokerProcesses.start(1)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers());
            try (TopicAdmin topics = new TopicAdmin(settings, Topics.DEFAULTS)) {
                topics.createTopics(PARTITIONS, (short) 1);
            }
            AggregatorThroughputBench.writeBacklog(settings, BACKENDS, EVENTS, 30);
            Path log = Files.createDirectories(Path.of("target", "bench")).resolve("aggregator-memory.log");
            List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                    "-XX:MaxRAM=1g", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-cp",
                    System.getProperty("java.class.path"), "dev.healthmon.cli.HealthmonCli", "aggregate",
                    "--bootstrap-servers", broker.bootstrapServers(), "--application-id", "memory-bench",
                    "--http-host", "127.0.0.1", "--advertised-host", "127.0.0.1",
                    "--http-port", Integer.toString(LoopbackPorts.unused()), "--state-dir", stateDir.toString()));
            Process aggregator = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            try (Admin admin = Admin.create(settings.admin())) {
                Map<TopicPartition, Long> ends = AggregatorThroughputBench.endOffsets(admin, Topics.DEFAULTS.events());
                long started = System.nanoTime();
                AggregatorThroughputBench.awaitCommitted(admin, "memory-bench", ends, started);
                long drainedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertThat(aggregator.isAlive()).as("the aggregator survived the backlog; its log: " + log).isTrue();
                Map<String, Long> status = procStatus(aggregator.pid());
                Map<String, Object> figures = new LinkedHashMap<>();
                figures.put("backends", BACKENDS);
                figures.put("events", (long) BACKENDS * EVENTS);
                figures.put("jvm", "-XX:MaxRAM=1g -XX:MaxRAMPercentage=75 (the image's flags under a 1 GiB limit)");
                figures.put("drainedMs", drainedMs);
                figures.put("peakRssMiB", status.get("VmHWM") / 1024);
                figures.put("rssAfterDrainMiB", status.get("VmRSS") / 1024);
                figures.put("machine", BenchResults.machine());
                BenchResults.write("aggregator-memory", figures);
                System.out.println("aggregator memory: " + figures);
            } finally {
                aggregator.destroy();
                aggregator.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** The kB figures of /proc/PID/status (VmHWM, VmRSS, …). */
    private static Map<String, Long> procStatus(long pid) throws Exception {
        Map<String, Long> kb = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            String[] parts = line.split("\\s+");
            if (parts.length == 3 && parts[2].equals("kB")) {
                kb.put(parts[0].substring(0, parts[0].length() - 1), Long.parseLong(parts[1]));
            }
        }
        return kb;
    }
}
