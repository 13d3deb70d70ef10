package dev.healthmon.aggregate;

import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.registration.RegistrationCodec;
import dev.healthmon.registration.RegistrationVersion;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Keeps the validated registrations table and the status view in step with {@code backend-registry}:
 * a valid registration is tracked (a new backend, or a new target, starts UNKNOWN), a tombstone
 * deletes the backend and tombstones its status, an invalid record is skipped (the monitor
 * dead-letters it) so the previous valid registration stays in force.
 *
 * <p>Threading: one instance per task, called by its stream thread only.
 */
final class RegistryProcessor implements Processor<byte[], byte[], String, byte[]> {

    private final RegistrationCodec codec;
    private final StatusJson json;
    private final AggregatorSettings settings;
    private final Counter invalid;
    private final MeterRegistry meters;
    private ProcessorContext<String, byte[]> context;
    private StatusStores stores;

    RegistryProcessor(RegistrationCodec codec, StatusJson json, AggregatorSettings settings, MeterRegistry meters) {
        this.codec = codec;
        this.json = json;
        this.settings = settings;
        this.meters = meters;
        this.invalid = Counter.builder("healthmon.aggregator.registrations.invalid")
                .description("Registry records skipped because they are invalid").register(meters);
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.stores = new StatusStores(context, json, meters);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        DecodedRegistration decoded = codec.decode(record.key(), record.value());
        if (decoded instanceof DecodedRegistration.Tombstone tombstone) {
            if (stores.holds(tombstone.id())) {
                stores.delete(tombstone.id());
                context.forward(new Record<>(tombstone.id(), (byte[]) null, record.timestamp()),
                        StatusTopology.STATUS_SINK);
            }
        } else if (decoded instanceof DecodedRegistration.Valid valid) {
            RecordMetadata meta = context.recordMetadata().orElseThrow();
            RegistrationVersion version = new RegistrationVersion(meta.partition(), meta.offset());
            String id = valid.registration().id();
            Optional<TrackedBackend> previous = stores.backend(id);
            // The status value names the registration it was folded under, should the registration's be unreadable.
            long inForce = previous.map(p -> p.version().offset())
                    .or(() -> stores.statusRegistrationOffset(id)).orElse(-1L);
            if (inForce >= version.offset()) {
                return; // already applied (a replay): the registration in force is newer
            }
            TrackedBackend backend = TrackedBackend.of(valid.registration(), valid.settings(), version);
            StatusFold.Update update = StatusFold.registered(previous, stores.status(id), backend,
                    Instant.ofEpochMilli(record.timestamp()), settings);
            stores.put(backend, update.state());
            StatusTopology.publish(context, json, update, record.timestamp());
        } else {
            invalid.increment();
        }
    }

    static String id(byte[] key) {
        return key == null ? "" : new String(key, StandardCharsets.UTF_8);
    }
}
