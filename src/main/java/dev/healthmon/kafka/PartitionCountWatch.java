package dev.healthmon.kafka;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partition count of one topic as last seen, refreshed in the background every
 * {@code period}: readers never block or wait for Kafka. A topic that grows at run time is seen
 * within one period (the producer's own metadata may lag for {@code metadata.max.age.ms}, five
 * minutes by default). The count only grows: Kafka cannot shrink a topic, and a failed refresh
 * keeps the last count. Thread-safe.
 */
public final class PartitionCountWatch implements IntSupplier, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PartitionCountWatch.class);

    private final Admin admin;
    private final String topic;
    private final ScheduledExecutorService timer;
    private volatile int count;

    /** Starts watching {@code topic}, known to have {@code initialCount} partitions now. */
    public PartitionCountWatch(KafkaSettings settings, String topic, int initialCount, Duration period) {
        this.admin = Admin.create(settings.admin());
        this.topic = topic;
        this.count = initialCount;
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "healthmon-partition-watch");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(this::refresh, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Asks Kafka without waiting; the answer lands when it comes. */
    private void refresh() {
        admin.describeTopics(List.of(topic)).allTopicNames().whenComplete((described, error) -> {
            if (error != null) {
                log.debug("topic={} partition count not refreshed: {}", topic, error.toString());
                return;
            }
            TopicDescription description = described.get(topic);
            int seen = description.partitions().size();
            if (seen > count) {
                log.info("topic={} has {} partitions now (was {})", topic, seen, count);
                count = seen;
            }
        });
    }

    @Override
    public int getAsInt() {
        return count;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        admin.close(Duration.ofSeconds(5));
    }
}
