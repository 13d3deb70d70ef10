package dev.healthmon.registry;

import dev.healthmon.kafka.KafkaSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.utils.Utils;

/**
 * Publishes registrations and tombstones to {@code backend-registry}, keyed by backend id, waiting
 * for each acknowledgement. Used by {@code healthmon register}/{@code deregister} and the demo.
 * Not thread-safe.
 *
 * <p><b>One id, one registration.</b> Other clients may have put a registration for the id in
 * another partition (kcat hashes keys with CRC32, Java with murmur2). So {@link #deregister}
 * writes a tombstone to every partition, and {@link #register} first writes tombstones to every
 * partition but the id's murmur2 partition, waits for them, then writes the registration there.
 * Tombstones first: a crash in between leaves the old registration in its own partition in force
 * (or none), never two; and a monitor that reads the new registration before a tombstone of the
 * old one elsewhere keeps the newer by timestamp either way. Compaction removes the tombstones
 * after {@code delete.retention.ms}.
 */
public final class RegistryWriter implements AutoCloseable {

    public static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);

    private final Producer<byte[], byte[]> producer;
    private final String topic;

    public RegistryWriter(KafkaSettings settings, String topic) {
        this(new KafkaProducer<>(writerSettings(settings)), topic);
    }

    /**
     * The producer settings {@code healthmon register} writes with: without the monitor's linger unless asked for
     * (every write here waits for its acknowledgement, so lingering would only add to each registration).
     */
    public static Map<String, Object> writerSettings(KafkaSettings settings) {
        Map<String, Object> props = settings.producer("healthmon-registry-writer");
        if (!settings.passThrough().containsKey(ProducerConfig.LINGER_MS_CONFIG)) {
            props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        }
        return props;
    }

    RegistryWriter(Producer<byte[], byte[]> producer, String topic) {
        this.producer = producer;
        this.topic = topic;
    }

    /**
     * Publishes a registration value (already validated) for {@code id} to its murmur2 partition,
     * after tombstones for {@code id} in every other partition; blocks until all are acknowledged.
     */
    public RecordMetadata register(String id, byte[] value) {
        int partitions = partitionCount();
        int home = homePartition(id, partitions);
        List<Integer> others = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            if (p != home) {
                others.add(p);
            }
        }
        tombstones(id, others);
        return await(producer.send(new ProducerRecord<>(topic, home, key(id), value)));
    }

    /** Publishes a tombstone for {@code id} to every partition; blocks until all are acknowledged. */
    public List<RecordMetadata> deregister(String id) {
        List<Integer> all = new ArrayList<>();
        for (int p = 0; p < partitionCount(); p++) {
            all.add(p);
        }
        return tombstones(id, all);
    }

    /** The partition the Java default partitioner picks for {@code id}: where {@link #register} writes it. */
    public static int homePartition(String id, int partitions) {
        return Utils.toPositive(Utils.murmur2(key(id))) % partitions;
    }

    private List<RecordMetadata> tombstones(String id, List<Integer> partitions) {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int p : partitions) {
            sent.add(producer.send(new ProducerRecord<>(topic, p, key(id), null)));
        }
        List<RecordMetadata> acknowledged = new ArrayList<>();
        for (Future<RecordMetadata> future : sent) {
            acknowledged.add(await(future));
        }
        return acknowledged;
    }

    /** The registry's partition count; blocks up to {@code max.block.ms} for metadata. */
    private int partitionCount() {
        try {
            return producer.partitionsFor(topic).size();
        } catch (AuthorizationException e) {
            throw notAuthorized(e);
        }
    }

    /**
     * Kafka's refusal, said in the terms of the fix. Without WRITE on any topic the idempotent
     * producer cannot even start, and Kafka then reports a cluster authorization failure.
     */
    private IllegalStateException notAuthorized(AuthorizationException e) {
        return new IllegalStateException("not authorized to write to " + topic + ": this principal needs ACL WRITE on "
                + "topic " + topic + " (healthmon acls --role registrant --principal User:<name>); Kafka said: "
                + e.getMessage(), e);
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    private RecordMetadata await(Future<RecordMetadata> future) {
        try {
            return future.get(ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                if (cause instanceof AuthorizationException denied) {
                    throw notAuthorized(denied);
                }
            }
            throw new IllegalStateException("publishing to " + topic + " failed: " + e.getCause().getMessage(),
                    e.getCause());
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
