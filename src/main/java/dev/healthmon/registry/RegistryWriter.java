package dev.healthmon.registry;

import dev.healthmon.kafka.KafkaSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Publishes registrations and tombstones to {@code backend-registry}, keyed by backend id and
 * partitioned by the Java default partitioner, waiting for each acknowledgement. Used by
 * {@code healthmon register}/{@code deregister} and the demo. Not thread-safe.
 */
public final class RegistryWriter implements AutoCloseable {

    public static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);

    private final Producer<byte[], byte[]> producer;
    private final String topic;

    public RegistryWriter(KafkaSettings settings, String topic) {
        this.producer = new KafkaProducer<>(settings.producer("healthmon-registry-writer"));
        this.topic = topic;
    }

    /** Publishes a registration value (already validated) for {@code id}; blocks until acknowledged. */
    public RecordMetadata register(String id, byte[] value) {
        return send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8), value));
    }

    /** Publishes a tombstone for {@code id}; blocks until acknowledged. */
    public RecordMetadata deregister(String id) {
        return send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8), null));
    }

    private RecordMetadata send(ProducerRecord<byte[], byte[]> record) {
        try {
            return producer.send(record).get(ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("publishing to " + topic + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka did not acknowledge within " + ACK_TIMEOUT.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing", e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
