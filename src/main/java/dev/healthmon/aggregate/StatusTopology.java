package dev.healthmon.aggregate;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.json.Json;
import dev.healthmon.kafka.Topics;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registration.RegistrationCodec;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;

/**
 * The aggregator's topology (docs/design.md §8.1):
 *
 * <pre>
 *   backend-registry ─► RegistryProcessor ─┐        ┌─► backend-status     (compacted; tombstone on deregistration)
 *                          │  stores: registrations, statuses
 *   health-events ────► EventProcessor ────┴────────┼─► health-transitions
 *                                                   └─► health-events-dlq  (unreadable events)
 * </pre>
 *
 * Both processors share both stores, so each task owns one partition number of both input
 * topics: they must be co-partitioned, which the service verifies before starting. Stores are
 * persistent, logged and uncached, so a status that is published ({@link AggregatorSettings#publishes}: on change
 * and once per heartbeat period, docs/design.md §8.9) leaves as soon as its event is processed (no 30 s cache delay).
 */
public final class StatusTopology {

    static final String STATUS_SINK = "backend-status-sink";
    static final String TRANSITIONS_SINK = "health-transitions-sink";
    static final String DLQ_SINK = "health-events-dlq-sink";

    private StatusTopology() {}

    public static Topology build(Topics topics, CheckDefaults defaults, AggregatorSettings settings,
            MeterRegistry meters) {
        ObjectMapper mapper = Json.mapper();
        StatusJson json = new StatusJson(mapper);
        RegistrationCodec registrations = new RegistrationCodec(mapper, defaults);
        HealthEventCodec events = new HealthEventCodec(mapper);
        Topology topology = new Topology();
        topology.addSource("registry-source", new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                topics.registry());
        topology.addSource("events-source", new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.events());
        topology.addProcessor("registry-processor", () -> new RegistryProcessor(registrations, json, settings, meters),
                "registry-source");
        topology.addProcessor("events-processor", () -> new EventProcessor(events, json, settings, meters),
                "events-source");
        for (String store : new String[] {StatusStores.REGISTRATIONS, StatusStores.STATUSES}) {
            topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store),
                    Serdes.String(), Serdes.ByteArray()).withCachingDisabled(), "registry-processor",
                    "events-processor");
        }
        topology.addSink(STATUS_SINK, topics.status(), new StringSerializer(), new ByteArraySerializer(),
                "registry-processor", "events-processor");
        topology.addSink(TRANSITIONS_SINK, topics.transitions(), new StringSerializer(), new ByteArraySerializer(),
                "registry-processor", "events-processor");
        topology.addSink(DLQ_SINK, topics.eventsDlq(), new StringSerializer(), new ByteArraySerializer(),
                "events-processor");
        return topology;
    }

    /** Forwards the new status and the transitions of {@code update}. */
    static void publish(ProcessorContext<String, byte[]> context, StatusJson json, StatusFold.Update update,
            long timestamp) {
        publish(context, json, update, timestamp, true);
    }

    /** Forwards the transitions of {@code update}, and its new status if {@code status}. */
    static void publish(ProcessorContext<String, byte[]> context, StatusJson json, StatusFold.Update update,
            long timestamp, boolean status) {
        String id = update.state().view().id();
        if (status) {
            context.forward(new Record<>(id, json.encode(update.state().view()), timestamp), STATUS_SINK);
        }
        update.transitions().forEach(t -> context.forward(new Record<>(id, json.encode(t), timestamp),
                TRANSITIONS_SINK));
    }
}
