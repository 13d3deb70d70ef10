package dev.healthmon.bench;

import dev.healthmon.support.LoopbackPorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;

/**
 * One Kafka Streams application in a process of its own, measured next to the monitor in the load run: the
 * aggregator ({@code healthmon aggregate}; unlike {@code support.AggregatorProcess}, which tests kill and restart,
 * this one runs as deployed), for its CPU for the same checks (issue #16 target 6), or with {@link #yardstick} the
 * plain Streams yardstick ({@link YardstickProcess}) reading the same events, for what the engine alone costs. Both
 * run with the image's JVM flags under a 1 GiB limit, as {@link AggregatorMemoryBench} runs the aggregator. Its log
 * goes to {@code target/bench/<applicationId>.log}. Not thread-safe: the load run's thread starts, samples and closes
 * it.
 */
final class BenchAggregator implements AutoCloseable {

    private final Process process;
    private final String applicationId;
    private final Path stateDir;
    private final Path log;

    private BenchAggregator(Process process, String applicationId, Path stateDir, Path log) {
        this.process = process;
        this.applicationId = applicationId;
        this.stateDir = stateDir;
        this.log = log;
    }

    static BenchAggregator start(String bootstrapServers, String applicationId) throws Exception {
        Path stateDir = Files.createTempDirectory("healthmon-bench-aggregator");
        List<String> main = new ArrayList<>(List.of("dev.healthmon.cli.HealthmonCli", "aggregate",
                "--bootstrap-servers", bootstrapServers, "--application-id", applicationId,
                "--http-host", "127.0.0.1", "--advertised-host", "127.0.0.1",
                "--http-port", Integer.toString(LoopbackPorts.unused()), "--state-dir", stateDir.toString()));
        for (String setting : kafkaSettingsToTry()) {
            main.addAll(List.of("-X", setting));
        }
        // -Dbench.aggregator.jvm="-XX:StartFlightRecording=filename=target/bench/aggregator.jfr" to profile it (the
        // aggregator only: a recording is of one process).
        String jvm = System.getProperty("bench.aggregator.jvm", "").trim();
        return launch(jvm.isEmpty() ? List.of() : List.of(jvm.split("\\s+")), main, applicationId, stateDir);
    }

    /**
     * The plain Streams yardstick {@code spec} ({@link PlainStreamsYardstick#parse}) reading the events topic of
     * {@code partitions} partitions with the aggregator's delivery settings and {@code bench.aggregator.kafka}'s, in
     * a process like the aggregator's.
     */
    static BenchAggregator yardstick(String bootstrapServers, String applicationId, String spec, int partitions)
            throws Exception {
        Path stateDir = Files.createTempDirectory("healthmon-bench-yardstick");
        List<String> main = new ArrayList<>(List.of(YardstickProcess.class.getName(), bootstrapServers, applicationId,
                spec, Integer.toString(partitions), stateDir.toString()));
        main.addAll(kafkaSettingsToTry());
        return launch(List.of(), main, applicationId, stateDir);
    }

    /**
     * {@code -Dbench.aggregator.kafka=commit.interval.ms=1000,…}: Streams settings to try, given to the aggregator (its
     * CLI's {@code -X}) and the yardstick alike, so that their ratio stays one of equals.
     */
    private static List<String> kafkaSettingsToTry() {
        return Arrays.stream(System.getProperty("bench.aggregator.kafka", "").split(",")).map(String::trim)
                .filter(s -> !s.isEmpty()).toList();
    }

    private static BenchAggregator launch(List<String> jvm, List<String> main, String applicationId, Path stateDir)
            throws Exception {
        try {
            Path log = Files.createDirectories(Path.of("target", "bench")).resolve(applicationId + ".log");
            List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
            command.addAll(jvm);
            command.addAll(List.of("-XX:MaxRAM=1g", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-cp",
                    System.getProperty("java.class.path")));
            command.addAll(main);
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .start();
            return new BenchAggregator(process, applicationId, stateDir, log);
        } catch (Exception e) {
            Utils.delete(stateDir.toFile());
            throw e;
        }
    }

    /** CPU time the process has used so far; fails if it died (its log says why). */
    Duration cpu() {
        if (!process.isAlive()) {
            throw new IllegalStateException(applicationId + " exited with " + process.exitValue() + "; its log: "
                    + log);
        }
        return process.info().totalCpuDuration().orElseThrow();
    }

    /** Its OS threads now ({@link OsThreadStats#sample(String)}): which of them its CPU goes to. */
    Map<String, OsThreadStats.Usage> threads() {
        return OsThreadStats.sample(Long.toString(process.pid()));
    }

    /**
     * Events of {@code topic} not yet committed by the application: near zero when it keeps up with the monitor.
     * Blocking admin calls, 30 s at most.
     */
    long lag(Admin admin, String topic) throws Exception {
        List<TopicPartition> partitions = admin.describeTopics(List.of(topic)).allTopicNames()
                .get(30, TimeUnit.SECONDS).get(topic).partitions().stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        Map<TopicPartition, Long> ends = admin.listOffsets(partitions.stream()
                        .collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())))
                .all().get(30, TimeUnit.SECONDS).entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(applicationId)
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        return ends.entrySet().stream().mapToLong(e -> e.getValue()
                - (committed.get(e.getKey()) == null ? 0 : committed.get(e.getKey()).offset())).sum();
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        Utils.delete(stateDir.toFile());
    }
}
