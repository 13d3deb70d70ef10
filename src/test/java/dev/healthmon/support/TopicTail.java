package dev.healthmon.support;

import dev.healthmon.kafka.KafkaSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.awaitility.Awaitility;

/** Reads a whole topic from the beginning on a background thread, keeping every record for assertions. */
public final class TopicTail implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<ConsumerRecord<byte[], byte[]>> records = new CopyOnWriteArrayList<>();
    private final List<Long> arrivalNanos = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean closing;

    public TopicTail(KafkaSettings kafka, String topic) {
        this.consumer = new KafkaConsumer<>(kafka.plainConsumer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        this.thread = new Thread(this::run, "tail-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (!closing) {
                consumer.poll(Duration.ofMillis(100)).forEach(record -> {
                    records.add(record);
                    arrivalNanos.add(System.nanoTime());
                });
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /** Waits until every record written to the topic so far has been read (for a topic without transactions). */
    public void awaitCaughtUp(KafkaSettings kafka, String topic) {
        Map<TopicPartition, Long> ends;
        try (KafkaConsumer<byte[], byte[]> probe = new KafkaConsumer<>(kafka.plainConsumer())) {
            List<TopicPartition> partitions = probe.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            ends = probe.endOffsets(partitions, Duration.ofSeconds(10));
        }
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> ends.entrySet().stream().allMatch(end ->
                end.getValue() == 0 || records.stream().anyMatch(r -> r.partition() == end.getKey().partition()
                        && r.offset() >= end.getValue() - 1)));
    }

    /** The longest time between two consecutive records reaching this reader, from {@code sinceNanos} on. */
    public Duration longestArrivalGap(long sinceNanos) {
        long previous = sinceNanos;
        long longest = 0;
        for (long at : List.copyOf(arrivalNanos)) {
            if (at >= sinceNanos) {
                longest = Math.max(longest, at - previous);
                previous = at;
            }
        }
        return Duration.ofNanos(longest);
    }

    public List<ConsumerRecord<byte[], byte[]>> records() {
        return List.copyOf(records);
    }

    @Override
    public void close() throws InterruptedException {
        closing = true;
        consumer.wakeup();
        thread.join(5000);
    }
}
