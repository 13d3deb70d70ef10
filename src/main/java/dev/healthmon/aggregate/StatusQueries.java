package dev.healthmon.aggregate;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.status.UntrustedText;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsStoppedException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Answers the query API from the {@code statuses} stores of every aggregator instance
 * (interactive queries): the local store directly, the others over HTTP with {@code scope=local}.
 *
 * <p>Why fan out instead of routing by key: a backend's status lives in the task of its
 * registration's partition, which a producer may have chosen freely (docs/design.md §2), so the key's
 * hash does not say which instance holds it. Instances are few; asking each is cheap.
 *
 * <p>Other instances are asked at once, under one deadline and a bound on what their answers hold
 * ({@link PeerFanout}).
 *
 * <p>Thread-safe.
 */
final class StatusQueries implements StatusSource {

    /** No HTTP status but 200 is an answer: any other is the other instance's failure. */
    private static final IntPredicate NONE_ABSENT = status -> false;

    private final KafkaStreams streams;
    private final HostInfo self;
    private final StatusJson json;
    private final PeerFanout peers;

    StatusQueries(KafkaStreams streams, HostInfo self, StatusJson json, ObjectMapper mapper) {
        this(streams, self, json, mapper, PeerFanout.Limits.DEFAULTS);
    }

    StatusQueries(KafkaStreams streams, HostInfo self, StatusJson json, ObjectMapper mapper,
                  PeerFanout.Limits limits) {
        this.streams = streams;
        this.self = self;
        this.json = json;
        this.peers = new PeerFanout(limits, mapper);
    }

    /** Every status this instance holds as the active owner. */
    @Override
    public List<StatusState> localStates() {
        List<StatusState> states = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = store().all()) {
            all.forEachRemaining(kv -> states.add(stored(kv.key, kv.value)));
        }
        return states;
    }

    @Override
    public Optional<BackendStatus> local(String id) {
        return Optional.ofNullable(store().get(id)).map(value -> stored(id, value)).map(StatusState::view);
    }

    /** A store value this version cannot read: a fault of this instance's state, not of the caller's request. */
    static final class UnreadableStoreValueException extends RuntimeException {
        UnreadableStoreValueException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private StatusState stored(String id, byte[] value) {
        try {
            return json.decodeState(value);
        } catch (IllegalArgumentException e) {
            throw new UnreadableStoreValueException("the statuses store holds a value for "
                    + UntrustedText.escape(id, 200) + " that this version cannot read: " + e.getMessage(), e);
        }
    }

    /** Every status, from every instance, handed to {@code use}: other instances' answers are held until it returns. */
    @Override
    public <R> R all(Function<List<BackendStatus>, R> use) throws IOException, InterruptedException {
        try (PeerFanout.Query query = peers.open()) {
            List<BackendStatus> statuses = new ArrayList<>(localStates().stream().map(StatusState::view).toList());
            peers.ask(query, others(), "/api/status?scope=local&limit=" + Integer.MAX_VALUE, PeerItems.Shape.PAGE,
                    json::status, NONE_ABSENT).forEach(statuses::addAll);
            return use.apply(statuses);
        }
    }

    @Override
    public Optional<BackendStatus> one(String id) throws IOException, InterruptedException {
        Optional<BackendStatus> local = local(id);
        if (local.isPresent()) {
            return local;
        }
        try (PeerFanout.Query query = peers.open()) {
            // Any answer but 200 is "not here", as the instances answer a backend they do not hold with 404.
            return peers.ask(query, others(), "/api/status/" + URLEncoder.encode(id, StandardCharsets.UTF_8)
                    + "?scope=local", PeerItems.Shape.ONE, json::status, status -> true)
                    .stream().flatMap(List::stream).findFirst();
        }
    }

    /** Transitions at or after {@code since}, newest first, from every instance's bounded history. */
    @Override
    public List<StatusTransition> transitions(Instant since, int limit) throws IOException, InterruptedException {
        try (PeerFanout.Query query = peers.open()) {
            List<StatusTransition> all = new ArrayList<>(localTransitions(since));
            peers.ask(query, others(), "/api/transitions?scope=local&since=" + since + "&limit=" + Integer.MAX_VALUE,
                    PeerItems.Shape.PAGE, json::transition, NONE_ABSENT).forEach(all::addAll);
            return all.stream().sorted(Comparator.comparing(StatusTransition::at).reversed()).limit(limit).toList();
        }
    }

    @Override
    public List<StatusTransition> localTransitions(Instant since) {
        return localStates().stream().flatMap(s -> s.history().stream()).filter(t -> !t.at().isBefore(since)).toList();
    }

    /** The recent checks of the first {@code limit} backends by id, from every instance. */
    @Override
    public Map<String, RecentChecks> checks(int limit) throws IOException, InterruptedException {
        try (PeerFanout.Query query = peers.open()) {
            // Each instance's first `limit` by id, merged: the first `limit` of the merge are the first of all.
            TreeMap<String, RecentChecks> all = new TreeMap<>(localChecks(limit));
            // 404: an instance of a version before /api/checks, during a rolling upgrade: it has none.
            peers.ask(query, others(), "/api/checks?scope=local&limit=" + limit, PeerItems.Shape.PAGE,
                    json::checksItem, status -> status == 404)
                    .forEach(page -> page.forEach(entry -> all.put(entry.getKey(), entry.getValue())));
            return StatusSource.first(all, limit);
        }
    }

    /** The most other instances' answers have held at once (for tests). */
    long mostHeldPeerBytes() {
        return peers.mostHeldBytes();
    }

    private ReadOnlyKeyValueStore<String, byte[]> store() {
        return whileRunning(() -> streams.store(StoreQueryParameters.fromNameAndType(StatusStores.STATUSES,
                QueryableStoreTypes.<String, byte[]>keyValueStore())));
    }

    private List<HostInfo> others() {
        return whileRunning(() -> streams.metadataForAllStreamsClients()).stream().map(StreamsMetadata::hostInfo)
                .filter(host -> !host.equals(self)).distinct().toList();
    }

    /**
     * Streams refuses a query while starting with an {@link InvalidStateStoreException}, but once
     * stopping or stopped (closed, or after a fatal error) with an {@link IllegalStateException}:
     * both are "not queryable now" to the API, which answers 503 (not a dropped connection).
     */
    private <T> T whileRunning(Supplier<T> query) {
        try {
            return query.get();
        } catch (IllegalStateException e) {
            throw new StreamsStoppedException("streams state " + streams.state() + ": " + e.getMessage());
        }
    }
}
