package dev.healthmon.aggregate;

import java.util.Optional;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The aggregator's two state stores, typed: {@value #REGISTRATIONS} (the validated registrations
 * table, id → {@link TrackedBackend}) and {@value #STATUSES} (id → {@link StatusState}). Both are
 * local to a task, i.e. to one partition of the co-partitioned registry and events topics.
 */
final class StatusStores {

    static final String REGISTRATIONS = "registrations";
    static final String STATUSES = "statuses";

    private final KeyValueStore<String, byte[]> registrations;
    private final KeyValueStore<String, byte[]> statuses;
    private final StatusJson json;

    StatusStores(ProcessorContext<?, ?> context, StatusJson json) {
        this.registrations = context.getStateStore(REGISTRATIONS);
        this.statuses = context.getStateStore(STATUSES);
        this.json = json;
    }

    Optional<TrackedBackend> backend(String id) {
        return Optional.ofNullable(registrations.get(id)).map(json::decodeTracked);
    }

    Optional<StatusState> status(String id) {
        return Optional.ofNullable(statuses.get(id)).map(json::decodeState);
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
