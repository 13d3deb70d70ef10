package dev.healthmon.cli;

import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.kafka.KafkaSettings;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * The demo's live view: follows {@code health-events} and prints the lines {@link StatusLines} asks for (a status
 * change, a first failure) and, every few seconds when something changed, a table of every backend's latest
 * status. Runs on its own thread, {@code healthmon-status-view}; {@link #close()} from any thread.
 */
final class StatusView implements AutoCloseable {

    private static final Duration TABLE_EVERY = Duration.ofSeconds(5);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final HealthEventCodec codec;
    private final PrintWriter out;
    private final Thread thread;
    private final long startNanos = System.nanoTime();
    private final StatusLines lines = new StatusLines();
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
        lines.next(event, LocalTime.now(ZoneId.systemDefault())).ifPresent(line -> {
            out.println(line);
            changedSinceTable = true;
        });
        out.flush();
    }

    private void printTable() {
        out.printf("%n%-14s %-33s %8s %6s  %s%n", "BACKEND", "STATUS", "LAT(ms)", "FAILS", "LAST FAILURE");
        lines.latest().forEach(e -> out.println(StatusLines.tableRow(e)));
        out.println();
        out.flush();
        changedSinceTable = false;
        lastTableNanos = System.nanoTime();
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
