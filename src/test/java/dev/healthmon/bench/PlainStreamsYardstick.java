package dev.healthmon.bench;

import dev.healthmon.aggregate.AggregatorSettings;
import dev.healthmon.aggregate.Availability;
import dev.healthmon.aggregate.BackendStatus;
import dev.healthmon.aggregate.Flapping;
import dev.healthmon.aggregate.RecentChecks;
import dev.healthmon.aggregate.StatusFold;
import dev.healthmon.aggregate.StatusJson;
import dev.healthmon.aggregate.StatusState;
import dev.healthmon.aggregate.TrackedBackend;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.json.Json;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.Thresholds;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The yardstick the aggregator is measured against: the plainest Kafka Streams application doing the
 * same shape of work on the same {@code health-events} backlog ({@link AggregatorThroughputBench}), or on the same
 * live events next to it ({@link YardstickProcess} in the load run). Per event it reads the key's value from
 * a logged store, writes a new {@value #VALUE_BYTES}-byte value back, and (unless {@code output} is off)
 * forwards that value to an output topic — grouping by backend id, one store value per backend, one
 * output record per input, with the aggregator's delivery settings ({@code exactly_once_v2}, 100 ms
 * commits, no record cache unless {@code cacheBytes} says so). It parses nothing: what it costs is what
 * Streams, the store and the transactions cost, the engine's limit on this machine.
 *
 * <p>Each {@link Piece} adds one part of the aggregator's own work with the aggregator's real code, so that one run
 * attributes the gap between the two by construction: {@code yardstick-rocksdb-twosources-decode-registrations-fold}
 * differs from the aggregator only in what it publishes (the store value per event, not the status JSON on change
 * and the transitions), its byte-array keys and its metrics.
 *
 * @param persistent RocksDB (as the aggregator) or an in-memory store, logged either way
 * @param cacheBytes the record cache ({@code statestore.cache.max.bytes}); 0 as the aggregator
 * @param output     one output record per event, as the aggregator's {@code backend-status}
 * @param pieces     the aggregator's pieces of work added, each named by its suffix
 */
record PlainStreamsYardstick(boolean persistent, long cacheBytes, boolean output, Set<Piece> pieces) {

    static final int VALUE_BYTES = 500;
    static final String STORE = "values";
    static final String REGISTRATIONS = "registrations";
    private static final Pattern CACHE = Pattern.compile("-cache(\\d+)m");

    /** A piece of the aggregator's work; its suffix is its name in lower case. */
    enum Piece {
        /**
         * The registry topic as a second, co-partitioned source of the same task, as the aggregator has it: Streams
         * then weighs two partitions per task before each record (with {@code max.task.idle.ms} 0 it formats a log
         * line for the empty one every time, JFR). Measured on 2026-12-02 it was not slower than one source.
         */
        TWOSOURCES,
        /** Each event decoded from its JSON by the real {@link HealthEventCodec}, as the aggregator must. */
        DECODE,
        /**
         * A second logged store of the registrations, filled from the registry source, read and decoded
         * ({@link StatusJson#decodeTracked}) per event: what the fencing by registration needs.
         */
        REGISTRATIONS,
        /**
         * The store value is the backend's real status value: decoded, the event judged and applied ({@link
         * StatusFold}), encoded back with the real codec — the fencing by sequence, the fold and the history.
         */
        FOLD,
        /** The output per event is the status as published ({@link StatusJson#encode(BackendStatus)}). */
        JSON;

        String suffix() {
            return "-" + name().toLowerCase(Locale.ROOT);
        }
    }

    PlainStreamsYardstick {
        pieces = pieces.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(pieces));
        if (pieces.contains(Piece.FOLD) && !(pieces.contains(Piece.DECODE) && pieces.contains(Piece.REGISTRATIONS))) {
            throw new IllegalArgumentException("yardstick: -fold needs -decode and -registrations");
        }
        if (pieces.contains(Piece.REGISTRATIONS) && !pieces.contains(Piece.TWOSOURCES)) {
            throw new IllegalArgumentException("yardstick: -registrations needs -twosources");
        }
        if (pieces.contains(Piece.JSON) && !pieces.contains(Piece.FOLD)) {
            throw new IllegalArgumentException("yardstick: -json needs -fold");
        }
    }

    /** A short name for figures: {@code yardstick-rocksdb}, {@code yardstick-memory-cache10m-nooutput}, … */
    String name() {
        StringBuilder name = new StringBuilder("yardstick-").append(persistent ? "rocksdb" : "memory")
                .append(cacheBytes > 0 ? String.format(Locale.ROOT, "-cache%dm", cacheBytes >> 20) : "")
                .append(output ? "" : "-nooutput");
        pieces.forEach(p -> name.append(p.suffix()));
        return name.toString();
    }

    /**
     * Parses {@code rocksdb}, {@code memory}, {@code memory-cache10m}, {@code memory-nooutput},
     * {@code rocksdb-twosources-decode}, … (pieces in any order).
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
        Set<Piece> pieces = EnumSet.noneOf(Piece.class);
        for (String part : s.split("-")) {
            for (Piece p : Piece.values()) {
                if (p.suffix().equals("-" + part)) {
                    pieces.add(p);
                }
            }
        }
        return new PlainStreamsYardstick(persistent, cache, !s.contains("-nooutput"), pieces);
    }

    KafkaStreams start(KafkaSettings settings, String applicationId, String eventsTopic, String registryTopic,
            String outputTopic, Path stateDir) {
        Topology topology = topology(eventsTopic, registryTopic, outputTopic);
        Map<String, Object> props = settings.streams(applicationId, "127.0.0.1:1", stateDir.toString(), 0);
        props.put("statestore.cache.max.bytes", cacheBytes);
        KafkaStreams streams = new KafkaStreams(topology, KafkaSettings.toProperties(props));
        streams.start();
        return streams;
    }

    Topology topology(String eventsTopic, String registryTopic, String outputTopic) {
        Topology topology = new Topology();
        topology.addSource("events", new ByteArrayDeserializer(), new ByteArrayDeserializer(), eventsTopic);
        if (pieces.contains(Piece.TWOSOURCES)) {
            topology.addSource("registry", new ByteArrayDeserializer(), new ByteArrayDeserializer(), registryTopic);
            topology.addProcessor("fold", () -> new Fold(registryTopic), "events", "registry");
        } else {
            topology.addProcessor("fold", () -> new Fold(registryTopic), "events");
        }
        topology.addStateStore(store(STORE), "fold");
        if (pieces.contains(Piece.REGISTRATIONS)) {
            topology.addStateStore(store(REGISTRATIONS), "fold");
        }
        if (output) {
            topology.addSink("out", outputTopic, new ByteArraySerializer(), new ByteArraySerializer(), "fold");
        }
        return topology;
    }

    private StoreBuilder<KeyValueStore<byte[], byte[]>> store(String name) {
        KeyValueBytesStoreSupplier supplier = persistent ? Stores.persistentKeyValueStore(name)
                : Stores.inMemoryKeyValueStore(name);
        StoreBuilder<KeyValueStore<byte[], byte[]>> store = Stores.keyValueStoreBuilder(supplier, Serdes.ByteArray(),
                Serdes.ByteArray()).withLoggingEnabled(Map.of());
        return cacheBytes > 0 ? store.withCachingEnabled() : store.withCachingDisabled();
    }

    /**
     * Read, replace, write, forward: the least a per-key fold with a store value and an output can do, plus the
     * {@link #pieces}. Threading: one per task, called by its stream thread only.
     */
    private final class Fold implements Processor<byte[], byte[], byte[], byte[]> {
        private final String registryTopic;
        private final HealthEventCodec codec = new HealthEventCodec(Json.mapper());
        private final StatusJson json = new StatusJson(Json.mapper());
        private ProcessorContext<byte[], byte[]> context;
        private KeyValueStore<byte[], byte[]> store;
        private KeyValueStore<byte[], byte[]> registrations;

        Fold(String registryTopic) {
            this.registryTopic = registryTopic;
        }

        @Override
        public void init(ProcessorContext<byte[], byte[]> context) {
            this.context = context;
            this.store = context.getStateStore(STORE);
            if (pieces.contains(Piece.REGISTRATIONS)) {
                this.registrations = context.getStateStore(REGISTRATIONS);
            }
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            RecordMetadata meta = context.recordMetadata().orElseThrow();
            boolean registry = meta.topic().equals(registryTopic);
            if (registrations != null && registry) {
                // What the aggregator keeps of a registration, at its position; its JSON is decoded once per
                // registration, never per event, so it is not part of what is measured here.
                String id = new String(record.key(), StandardCharsets.UTF_8);
                registrations.put(record.key(), json.encode(new TrackedBackend(id, id, Map.of(),
                        new RegistrationVersion(meta.partition(), meta.offset()), Thresholds.DEFAULTS,
                        Duration.ofSeconds(30), Duration.ofSeconds(5), "bench")));
                return;
            }
            // A registration without the registrations store is counted as an event, as -twosources always did.
            HealthEvent event = pieces.contains(Piece.DECODE) && !registry ? codec.decode(record.value()) : null;
            TrackedBackend backend = null;
            if (registrations != null) {
                byte[] registration = registrations.get(record.key());
                backend = registration == null ? null : json.decodeTracked(registration);
            }
            byte[] old = store.get(record.key());
            byte[] value;
            byte[] out;
            if (pieces.contains(Piece.FOLD) && backend != null && event != null) {
                StatusState state = old == null ? new StatusState(BackendStatus.unknown(backend, event.checkedAt()),
                        Optional.empty(), Flapping.NONE, Availability.EMPTY, List.of(), RecentChecks.NONE)
                        : json.decodeState(old);
                if (StatusFold.judge(state, backend, event, AggregatorSettings.DEFAULTS.monitorSessionTimeout())
                        == StatusFold.Verdict.APPLY) {
                    state = StatusFold.apply(state, backend, event, AggregatorSettings.DEFAULTS).state();
                }
                value = json.encode(state);
                out = pieces.contains(Piece.JSON) ? json.encode(state.view()) : value;
            } else {
                value = old == null ? new byte[VALUE_BYTES] : old.clone();
                ByteBuffer.wrap(value).putLong(0, ByteBuffer.wrap(value).getLong(0) + 1)
                        .putInt(8, record.value() == null ? 0 : record.value().length);
                out = value;
            }
            store.put(record.key(), value);
            if (output) {
                context.forward(new Record<>(record.key(), out, record.timestamp()));
            }
        }
    }
}
