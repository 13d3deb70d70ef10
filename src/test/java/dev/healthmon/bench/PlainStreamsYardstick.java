package dev.healthmon.bench;

import dev.healthmon.kafka.KafkaSettings;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The yardstick the aggregator is measured against: the plainest Kafka Streams application doing the
 * same shape of work on the same {@code health-events} backlog. Per event it reads the key's value from
 * a logged store, writes a new {@value #VALUE_BYTES}-byte value back, and (unless {@code output} is off)
 * forwards that value to an output topic — grouping by backend id, one store value per backend, one
 * output record per input, with the aggregator's delivery settings ({@code exactly_once_v2}, 100 ms
 * commits, no record cache unless {@code cacheBytes} says so). It parses nothing: what it costs is what
 * Streams, the store and the transactions cost, the engine's limit on this machine.
 *
 * @param persistent RocksDB (as the aggregator) or an in-memory store, logged either way
 * @param cacheBytes the record cache ({@code statestore.cache.max.bytes}); 0 as the aggregator
 * @param output     one output record per event, as the aggregator's {@code backend-status}
 * @param twoSources the registry topic as a second, co-partitioned source of the same task, as the aggregator
 *                   has it: Streams then weighs two partitions per task before each record (with
 *                   {@code max.task.idle.ms} 0 it formats a log line for the empty one every time, JFR). Measured
 *                   on 2026-12-02 it was not slower than one source (docs/BENCHMARKS.md)
 */
record PlainStreamsYardstick(boolean persistent, long cacheBytes, boolean output, boolean twoSources) {

    static final int VALUE_BYTES = 500;
    static final String STORE = "values";
    private static final Pattern CACHE = Pattern.compile("-cache(\\d+)m");

    /** A short name for figures: {@code yardstick-rocksdb}, {@code yardstick-memory-cache10m-nooutput}, … */
    String name() {
        return "yardstick-" + (persistent ? "rocksdb" : "memory")
                + (cacheBytes > 0 ? String.format(Locale.ROOT, "-cache%dm", cacheBytes >> 20) : "")
                + (output ? "" : "-nooutput") + (twoSources ? "-twosources" : "");
    }

    /**
     * Parses {@code rocksdb}, {@code memory}, {@code memory-cache10m}, {@code memory-nooutput},
     * {@code rocksdb-twosources}, …
     */
    static PlainStreamsYardstick parse(String spec) {
        String s = spec.startsWith("yardstick-") ? spec.substring("yardstick-".length()) : spec;
        boolean persistent = s.startsWith("rocksdb");
        if (!persistent && !s.startsWith("memory")) {
            throw new IllegalArgumentException("bench.aggregator.apps: yardstick must be rocksdb or memory: " + spec);
        }
        long cache = 0;
        Matcher m = CACHE.matcher(s);
        if (m.find()) {
            cache = Long.parseLong(m.group(1)) << 20;
        }
        return new PlainStreamsYardstick(persistent, cache, !s.contains("-nooutput"), s.contains("-twosources"));
    }

    KafkaStreams start(KafkaSettings settings, String applicationId, String eventsTopic, String registryTopic,
            String outputTopic, Path stateDir) {
        Topology topology = new Topology();
        topology.addSource("events", new ByteArrayDeserializer(), new ByteArrayDeserializer(), eventsTopic);
        if (twoSources) {
            topology.addSource("registry", new ByteArrayDeserializer(), new ByteArrayDeserializer(), registryTopic);
            topology.addProcessor("fold", Fold::new, "events", "registry");
        } else {
            topology.addProcessor("fold", Fold::new, "events");
        }
        KeyValueBytesStoreSupplier supplier = persistent ? Stores.persistentKeyValueStore(STORE)
                : Stores.inMemoryKeyValueStore(STORE);
        StoreBuilder<KeyValueStore<byte[], byte[]>> store = Stores.keyValueStoreBuilder(supplier, Serdes.ByteArray(),
                Serdes.ByteArray()).withLoggingEnabled(Map.of());
        topology.addStateStore(cacheBytes > 0 ? store.withCachingEnabled() : store.withCachingDisabled(), "fold");
        if (output) {
            topology.addSink("out", outputTopic, new ByteArraySerializer(), new ByteArraySerializer(), "fold");
        }
        Map<String, Object> props = settings.streams(applicationId, "127.0.0.1:1", stateDir.toString(), 0);
        props.put("statestore.cache.max.bytes", cacheBytes);
        KafkaStreams streams = new KafkaStreams(topology, KafkaSettings.toProperties(props));
        streams.start();
        return streams;
    }

    /** Read, replace, write, forward: the least a per-key fold with a store value and an output can do. */
    private final class Fold implements Processor<byte[], byte[], byte[], byte[]> {
        private ProcessorContext<byte[], byte[]> context;
        private KeyValueStore<byte[], byte[]> store;

        @Override
        public void init(ProcessorContext<byte[], byte[]> context) {
            this.context = context;
            this.store = context.getStateStore(STORE);
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            byte[] old = store.get(record.key());
            byte[] value = old == null ? new byte[VALUE_BYTES] : old.clone();
            ByteBuffer.wrap(value).putLong(0, ByteBuffer.wrap(value).getLong(0) + 1)
                    .putInt(8, record.value() == null ? 0 : record.value().length);
            store.put(record.key(), value);
            if (output) {
                context.forward(new Record<>(record.key(), value, record.timestamp()));
            }
        }
    }
}
