package dev.healthmon.aggregate;

import dev.healthmon.status.UntrustedText;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;
import java.util.function.Function;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The aggregator's two state stores, typed: {@value #REGISTRATIONS} (the validated registrations
 * table, id → {@link TrackedBackend}) and {@value #STATUSES} (id → {@link StatusState}). Both are
 * local to a task, i.e. to one partition of the co-partitioned registry and events topics.
 *
 * <p>A value this version cannot read (a torn or foreign write, a format from a later version after a rollback: the
 * codecs' {@link IllegalArgumentException}, which both formats throw for any fault) is logged, counted
 * in {@code healthmon.aggregator.store.unreadable{store}}, deleted and read as absent, so that the processors rebuild
 * it from what comes next and it is reported once (docs/design.md §8.2): thrown, it would stop the stream thread at
 * that record, after every restart and on every instance the task moved to. Any other exception is a bug and still
 * stops the thread.
 */
final class StatusStores {

    static final String REGISTRATIONS = "registrations";
    static final String STATUSES = "statuses";

    private static final Logger log = LoggerFactory.getLogger(StatusStores.class);

    private final KeyValueStore<String, byte[]> registrations;
    private final KeyValueStore<String, byte[]> statuses;
    private final StatusJson json;
    private final Counter unreadableRegistrations;
    private final Counter unreadableStatuses;

    StatusStores(ProcessorContext<?, ?> context, StatusJson json, MeterRegistry meters) {
        this.registrations = context.getStateStore(REGISTRATIONS);
        this.statuses = context.getStateStore(STATUSES);
        this.json = json;
        this.unreadableRegistrations = unreadable(meters, REGISTRATIONS);
        this.unreadableStatuses = unreadable(meters, STATUSES);
    }

    private static Counter unreadable(MeterRegistry meters, String store) {
        return Counter.builder("healthmon.aggregator.store.unreadable")
                .description("Store values this version could not read, taken as absent and rebuilt")
                .tag("store", store).register(meters);
    }

    Optional<TrackedBackend> backend(String id) {
        return read(registrations, REGISTRATIONS, unreadableRegistrations, id, json::decodeTracked);
    }

    Optional<StatusState> status(String id) {
        return read(statuses, STATUSES, unreadableStatuses, id, json::decodeState);
    }

    /** The registration the status value was last folded under, when the registration value itself is unreadable. */
    Optional<Long> statusRegistrationOffset(String id) {
        return status(id).map(s -> s.view().registration().offset());
    }

    private static <T> Optional<T> read(KeyValueStore<String, byte[]> store, String name, Counter unreadable,
            String id, Function<byte[], T> decode) {
        byte[] value = store.get(id);
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(decode.apply(value));
        } catch (IllegalArgumentException e) {
            unreadable.increment();
            store.delete(id);
            log.error("backend={} {} store value of {} bytes cannot be read, deleted: {}",
                    UntrustedText.escape(id, 200), name, value.length, UntrustedText.escape(e.toString(), 500));
            return Optional.empty();
        }
    }

    /** Whether either store holds a value for {@code id}, readable or not: what a deregistration must delete. */
    boolean holds(String id) {
        return registrations.get(id) != null || statuses.get(id) != null;
    }

    void put(TrackedBackend backend, StatusState state) {
        registrations.put(backend.id(), json.encode(backend));
        statuses.put(backend.id(), json.encode(state));
    }

    void put(StatusState state) {
        statuses.put(state.view().id(), json.encode(state));
    }

    void delete(String id) {
        registrations.delete(id);
        statuses.delete(id);
    }
}
