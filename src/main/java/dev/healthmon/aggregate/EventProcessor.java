package dev.healthmon.aggregate;

import dev.healthmon.events.DeadLetter;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.status.UntrustedText;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code health-events} to the status table: an unreadable record goes to the events
 * dead-letter topic; an event for an unknown backend, from a superseded registration or not newer
 * than what was applied (fencing, {@link StatusFold#judge}) is dropped and counted; the rest is
 * folded in ({@link StatusFold#apply}), any transition is published, and the new status when
 * {@link AggregatorSettings#publishes} says so (on change and once per heartbeat period, docs/design.md §8.9).
 *
 * <p>Threading: one instance per task, called by its stream thread only.
 */
final class EventProcessor implements Processor<byte[], byte[], String, byte[]> {

    private static final Logger log = LoggerFactory.getLogger(EventProcessor.class);

    /** Why an event was not applied; the tag of the dropped-events metric. */
    enum Drop { INVALID, UNKNOWN_BACKEND, SUPERSEDED, STALE }

    private final HealthEventCodec codec;
    private final StatusJson json;
    private final AggregatorSettings settings;
    private final Map<Drop, Counter> dropped = new EnumMap<>(Drop.class);
    private final Counter applied;
    /** Applied events whose status needed the monitor's counters (results coalesced or lost), by how. */
    private final Map<PolicyReplay.Basis, Counter> trusted = new EnumMap<>(PolicyReplay.Basis.class);
    private final MeterRegistry meters;
    private ProcessorContext<String, byte[]> context;
    private StatusStores stores;

    EventProcessor(HealthEventCodec codec, StatusJson json, AggregatorSettings settings, MeterRegistry meters) {
        this.codec = codec;
        this.json = json;
        this.settings = settings;
        this.meters = meters;
        for (Drop drop : Drop.values()) {
            dropped.put(drop, Counter.builder("healthmon.aggregator.events.dropped")
                    .description("Health events not applied to the status table, by reason")
                    .tag("reason", drop.name().toLowerCase(Locale.ROOT)).register(meters));
        }
        this.applied = Counter.builder("healthmon.aggregator.events.applied")
                .description("Health events applied to the status table").register(meters);
        for (PolicyReplay.Basis basis : List.of(PolicyReplay.Basis.EXTENDED, PolicyReplay.Basis.ADOPTED)) {
            trusted.put(basis, Counter.builder("healthmon.aggregator.trusted.monitor")
                    .description("Applied health events that stood for missing results (coalesced or lost): the status "
                            + "came from the monitor's counters (extended) or was the monitor's (adopted)")
                    .tag("how", basis.name().toLowerCase(Locale.ROOT)).register(meters));
        }
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.stores = new StatusStores(context, json, meters);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        HealthEvent event;
        try {
            event = codec.decode(record.value() == null ? new byte[0] : record.value());
        } catch (RuntimeException e) {
            deadLetter(record, "not a HealthEvent: " + e.getMessage());
            return;
        }
        String key = RegistryProcessor.id(record.key());
        if (!key.equals(event.backendId())) {
            deadLetter(record, "key \"" + key + "\" is not the event's backendId \"" + event.backendId() + "\"");
            return;
        }
        Optional<TrackedBackend> backend = stores.backend(key);
        if (backend.isEmpty()) {
            dropped.get(Drop.UNKNOWN_BACKEND).increment();
            return;
        }
        // A registered backend always has a status value; without one (it could not be read) the status starts
        // again from the registration, as for a new target, and this event applies to it.
        StatusState state = stores.status(key).orElseGet(() -> StatusFold.registered(Optional.empty(),
                Optional.empty(), backend.get(), Instant.ofEpochMilli(record.timestamp()), settings).state());
        StatusFold.Verdict verdict = StatusFold.judge(state, backend.get(), event,
                settings.monitorSessionTimeout());
        switch (verdict) {
            case SUPERSEDED -> dropped.get(Drop.SUPERSEDED).increment();
            case STALE -> dropped.get(Drop.STALE).increment();
            case APPLY -> {
                StatusFold.Update update = StatusFold.apply(state, backend.get(), event, settings);
                stores.put(update.state());
                StatusTopology.publish(context, json, update, record.timestamp(),
                        settings.publishes(state, update.state()));
                applied.increment();
                update.basis().map(trusted::get).ifPresent(Counter::increment);
                update.basis().filter(b -> b != PolicyReplay.Basis.FOLLOWS).ifPresent(b -> log.debug(
                        "backend={} sequence={} monitor={} results missing, status {} from the monitor's counters",
                        key, event.sequence(), event.monitorId(), b.name().toLowerCase(Locale.ROOT)));
            }
        }
    }

    private void deadLetter(Record<byte[], byte[]> record, String error) {
        dropped.get(Drop.INVALID).increment();
        RecordMetadata meta = context.recordMetadata().orElseThrow();
        log.warn("partition={}-{} offset={} health event dead-lettered: {}", meta.topic(), meta.partition(),
                meta.offset(), UntrustedText.escape(error, 500));
        RecordHeaders headers = new RecordHeaders();
        headers.add(DeadLetter.ERROR_HEADER, error.getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetter.SOURCE_TOPIC_HEADER, meta.topic().getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetter.SOURCE_PARTITION_HEADER,
                Integer.toString(meta.partition()).getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetter.SOURCE_OFFSET_HEADER, Long.toString(meta.offset()).getBytes(StandardCharsets.UTF_8));
        context.forward(new Record<>(RegistryProcessor.id(record.key()), record.value(), record.timestamp(), headers),
                StatusTopology.DLQ_SINK);
    }
}
