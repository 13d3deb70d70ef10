package dev.healthmon.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.kafka.KafkaSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * The load run's view of the events topic, in a process of its own so that neither its CPU nor
 * its garbage is counted as the monitor's. From the topic's end it reads for {@code windowMs}
 * and records each check's schedule lateness (start minus due, for checks due in the window),
 * then keeps reading until it has the first event of {@code freshCount} backends whose id starts
 * with {@code freshPrefix}, or until {@code giveUpMs} after the window.
 *
 * <p>Prints {@code ready <epoch ms>} when it has its positions (the window starts then), then one
 * line {@code result <json>}: {@code lateness} percentiles in ms, {@code failures} (the checks due in the window
 * that failed, by failure kind, with one message of each: a load run whose checks fail measures something else) and
 * {@code firstEventMs}, the broker timestamp of each fresh backend's first event.
 *
 * <p>Arguments: bootstrapServers topic windowMs freshPrefix freshCount giveUpMs
 */
public final class EventRecorder {

    /**
     * Starts a recorder in a process of its own (this JVM's class path, 512 MiB heap, stderr discarded) with the
     * arguments of {@link #main}; read its {@code ready} and {@code result} lines from its standard output.
     */
    static Process start(String bootstrapServers, String topic, long windowMs, String freshPrefix, int freshCount,
            long giveUpMs) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                EventRecorder.class.getName(), bootstrapServers, topic, Long.toString(windowMs), freshPrefix,
                Integer.toString(freshCount), Long.toString(giveUpMs))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    public static void main(String[] args) throws Exception {
        KafkaSettings kafka = KafkaSettings.of(args[0]);
        String topic = args[1];
        long windowMs = Long.parseLong(args[2]);
        String freshPrefix = args[3];
        int freshCount = Integer.parseInt(args[4]);
        long giveUpMs = Long.parseLong(args[5]);
        HealthEventCodec codec = new HealthEventCodec(new ObjectMapper());

        long[] lateness = new long[1 << 16];
        int latenessCount = 0;
        Map<String, Long> firstEvent = new HashMap<>();
        Map<String, Object> failures = new LinkedHashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.plainConsumer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // resolve the end now, not at the first poll
            long from = System.currentTimeMillis();
            long to = from + windowMs;
            System.out.println("ready " + from);
            System.out.flush();
            // Checks due in the window are published by its end plus their timeout; read a while past it.
            long windowDrained = to + 5_000;
            long giveUp = to + giveUpMs;
            while (System.currentTimeMillis() < giveUp
                    && (System.currentTimeMillis() < windowDrained || firstEvent.size() < freshCount)) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    String key = new String(record.key(), StandardCharsets.UTF_8);
                    if (key.startsWith(freshPrefix)) {
                        firstEvent.merge(key, record.timestamp(), Math::min);
                        continue;
                    }
                    HealthEvent event = codec.decode(record.value());
                    long due = event.scheduledAt().toEpochMilli();
                    if (due >= from && due < to) {
                        if (latenessCount == lateness.length) {
                            lateness = Arrays.copyOf(lateness, lateness.length * 2);
                        }
                        lateness[latenessCount++] = Math.max(0,
                                event.checkedAt().toEpochMilli() - event.latencyMs() - due);
                        countFailure(failures, event);
                    }
                }
            }
        }
        long[] sorted = Arrays.copyOf(lateness, latenessCount);
        Arrays.sort(sorted);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("lateness", percentiles(sorted));
        result.put("failures", failures);
        result.put("firstEventMs", firstEvent);
        System.out.println("result " + new ObjectMapper().writeValueAsString(result));
        System.out.flush();
    }

    /** The {@code result} line a recorder prints at the end, read from its standard output. */
    static JsonNode result(BufferedReader recorderOut) throws IOException {
        String line = recorderOut.readLine();
        if (line == null || !line.startsWith("result ")) {
            throw new IllegalStateException("event recorder gave no result: " + line);
        }
        return new ObjectMapper().readTree(line.substring("result ".length()));
    }

    /**
     * Registration → first event of the fresh backends: each one's first event (broker timestamp, from the
     * recorder's {@code result}) minus its registration's, as percentiles, with how many were registered.
     */
    static Map<String, Long> registrationToFirstEvent(JsonNode recorded, Map<String, Long> registeredAt) {
        JsonNode firstEvent = recorded.get("firstEventMs");
        long[] latencies = registeredAt.entrySet().stream().filter(e -> firstEvent.has(e.getKey()))
                .mapToLong(e -> firstEvent.get(e.getKey()).asLong() - e.getValue()).sorted().toArray();
        Map<String, Long> figures = new LinkedHashMap<>(percentiles(latencies));
        figures.put("registered", (long) registeredAt.size());
        return figures;
    }

    /** Counts a failed check under its kind ({@code TIMEOUT: 12}), and keeps the first message of each kind. */
    static void countFailure(Map<String, Object> failures, HealthEvent event) {
        event.failure().ifPresent(f -> {
            failures.merge(f.kind().name(), 1L, (a, b) -> (Long) a + (Long) b);
            failures.putIfAbsent(f.kind().name() + ".example", f.message());
        });
    }

    static Map<String, Long> percentiles(long[] sorted) {
        Map<String, Long> p = new LinkedHashMap<>();
        p.put("count", (long) sorted.length);
        if (sorted.length > 0) {
            p.put("p50", sorted[(int) Math.floor(0.50 * (sorted.length - 1))]);
            p.put("p99", sorted[(int) Math.floor(0.99 * (sorted.length - 1))]);
            p.put("max", sorted[sorted.length - 1]);
        }
        return p;
    }
}
