package dev.healthmon.kafka;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * How healthmon's Kafka clients are configured: the bootstrap servers, any pass-through client
 * properties (TLS, SASL, timeouts…), and the settings docs/design.md §5.1/§7.1 require, which Kafka's
 * defaults do not give. Pass-through properties that would weaken delivery guarantees are refused
 * with a message naming the property.
 */
public record KafkaSettings(String bootstrapServers, Map<String, String> passThrough) {

    /** Properties healthmon owns; a pass-through value for them is refused. */
    private static final Set<String> OWNED = Set.of(
            ProducerConfig.ACKS_CONFIG, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);

    public KafkaSettings {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrap.servers: must name at least one broker host:port");
        }
        passThrough = Map.copyOf(passThrough);
        for (String key : passThrough.keySet()) {
            if (OWNED.contains(key)) {
                throw new IllegalArgumentException(key + ": is set by healthmon (idempotent producer with acks=all, "
                        + "manual commits, read_committed) and cannot be overridden");
            }
        }
    }

    public static KafkaSettings of(String bootstrapServers) {
        return new KafkaSettings(bootstrapServers, Map.of());
    }

    public Map<String, Object> admin() {
        Map<String, Object> props = common();
        props.putIfAbsent(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        return props;
    }

    /** The registry consumer (docs/design.md §5.1); {@code groupProtocol} is "classic" or "consumer" (KIP-848). */
    public Map<String, Object> registryConsumer(String groupId, String clientId, String groupProtocol) {
        Map<String, Object> props = common();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, groupProtocol);
        if (groupProtocol.equals("classic")) {
            // The default list starts with eager Range: every rebalance would stop every check.
            props.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                    CooperativeStickyAssignor.class.getName());
            props.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
            props.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000);
        }
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return props;
    }

    /** A consumer outside any group (tail, demo view), reading raw bytes. */
    public Map<String, Object> plainConsumer() {
        Map<String, Object> props = common();
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return props;
    }

    /** The producer for health events and dead letters (docs/design.md §7.1). */
    public Map<String, Object> producer(String clientId) {
        Map<String, Object> props = common();
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        // Batches of ~50 ms: a result is known a few seconds apart per backend, so 50 ms more is
        // nothing, and per-request cost falls with the request count (LoadRunBench at 4,000
        // checks/s: producer network thread 37 → 9 µs per event against 5 ms batches). The
        // publisher gathers them: it hands a tick's results over together every 50 ms
        // (HealthEventPublisher.TICK), so the linger only has to outlast that hand-over (design.md
        // §10.29). lz4 costs ~10 µs less per event than zstd, on the monitor and on the broker.
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        // One request in flight per broker: with more, a partition's second request can be written
        // while its first is refused (a partition the broker is still creating), and the first then
        // fails OUT_OF_ORDER_SEQUENCE_NUMBER forever under our unbounded delivery timeout
        // (KAFKA-15591; LoadRunBench hit it producing right after topic creation). With 50 ms
        // batches one request per broker carries every partition's batch: no cost at 4,000 events/s.
        props.putIfAbsent(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        props.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        // Keep retrying through an outage instead of expiring results after the default 2 minutes;
        // what cannot be sent waits in the producer's buffer, then in the publisher's queue.
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return props;
    }

    /**
     * The aggregator's Kafka Streams settings (docs/design.md §8.8): exactly-once (100 ms commits, so a
     * status is published within a fraction of a second, not after the default 30 s), no record
     * cache, one standby replica per store.
     */
    public Map<String, Object> streams(String applicationId, String applicationServer, String stateDir,
    int standbyReplicas) {
        Map<String, Object> props = common();
        props.put("application.id", applicationId);
        props.put("application.server", applicationServer);
        props.put("processing.guarantee", "exactly_once_v2");
        props.put("statestore.cache.max.bytes", 0);
        // Kafka 5.0's default now: the processing exception handler also covers global state. The topology has no
        // global store, so nothing changes but the start-up warning Streams 4.x gives while it is off (4.3.1 gives it
        // once more from its partition assignor's own config, which leaves this key out: design.md §8.8).
        props.putIfAbsent("processing.exception.handler.global.enabled", true);
        props.putIfAbsent("num.standby.replicas", standbyReplicas);
        props.putIfAbsent("state.dir", stateDir);
        return props;
    }

    public static Properties toProperties(Map<String, Object> map) {
        Properties properties = new Properties();
        properties.putAll(map);
        return properties;
    }

    private Map<String, Object> common() {
        Map<String, Object> props = new HashMap<>(passThrough);
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return props;
    }
}
