package dev.healthmon.cli;

import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.status.UntrustedText;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * The demo's live view: follows {@code health-events} and prints one line per status change and,
 * every few seconds when something changed, a table of every backend's latest status. Runs on
 * its own thread, {@code healthmon-status-view}; {@link #close()} from any thread.
 */
final class StatusView implements AutoCloseable {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final Duration TABLE_EVERY = Duration.ofSeconds(5);
    static final int MAX_ID = 200;
    static final int MAX_MESSAGE = 300;

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final HealthEventCodec codec;
    private final PrintWriter out;
    private final Thread thread;
    private final long startNanos = System.nanoTime();
    private final Map<String, HealthEvent> latest = new TreeMap<>();
    private volatile boolean closing;
    private boolean changedSinceTable;
    private long lastTableNanos = System.nanoTime();
    private boolean firstEventSeen;

    StatusView(KafkaSettings kafka, String topic, HealthEventCodec codec, PrintWriter out) {
        this.consumer = new KafkaConsumer<>(kafka.plainConsumer());
        this.topic = topic;
        this.codec = codec;
        this.out = out;
        this.thread = new Thread(this::run, "healthmon-status-view");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (!closing) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    show(codec.decode(record.value()));
                }
                if (changedSinceTable && System.nanoTime() - lastTableNanos > TABLE_EVERY.toNanos()) {
                    printTable();
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void show(HealthEvent event) {
        if (!firstEventSeen) {
            firstEventSeen = true;
            out.printf("first health event %d ms after the monitor started%n",
                    Duration.ofNanos(System.nanoTime() - startNanos).toMillis());
        }
        HealthEvent before = latest.put(event.backendId(), event);
        if (before == null || before.status() != event.status() || !before.reason().equals(event.reason())) {
            out.println(changeLine(LocalTime.now(ZoneId.systemDefault()), before, event));
            changedSinceTable = true;
        }
        out.flush();
    }

    private void printTable() {
        out.printf("%n%-14s %-33s %8s %6s  %s%n", "BACKEND", "STATUS", "LAT(ms)", "FAILS", "LAST FAILURE");
        latest.values().forEach(e -> out.println(tableRow(e)));
        out.println();
        out.flush();
        changedSinceTable = false;
        lastTableNanos = System.nanoTime();
    }

    /**
     * One status change. The id and the failure text come from the topic and the backend, so they are
     * escaped: neither may start a line of its own or drive the terminal.
     */
    static String changeLine(LocalTime now, HealthEvent before, HealthEvent event) {
        return String.format("%s  %-14s %-15s -> %-15s %s", now.format(TIME), UntrustedText.escape(event.backendId(),
                        MAX_ID), before == null ? event.previousStatus() : before.status(), describe(event),
                event.failure().map(f -> f.kind() + ": " + UntrustedText.escape(f.message(), MAX_MESSAGE)).orElse(""));
    }

    static String tableRow(HealthEvent e) {
        return String.format("%-14s %-33s %8d %6d  %s", UntrustedText.escape(e.backendId(), MAX_ID), describe(e),
                e.latencyMs(), e.consecutiveFailures(), e.failure().map(f -> f.kind().name()).orElse(""));
    }

    private static String describe(HealthEvent e) {
        return e.status() + e.reason().map(r -> " (" + r + ")").orElse("");
    }

    @Override
    public void close() {
        closing = true;
        consumer.wakeup();
        try {
            thread.join(3000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
