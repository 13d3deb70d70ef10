package dev.healthmon.aggregate;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.UntrustedText;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsStoppedException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>A status value this version cannot read is left out of every answer, as if this instance did not hold it, and
 * logged once: one damaged value must not take the whole status page down until the backend's next event repairs it
 * (or for good, while its registration is unreadable too and its events are dropped; docs/design.md §8.2). The stream
 * thread, which may write, deletes and counts it when it meets it ({@link StatusStores}); queries only read.
 *
 * <p>Thread-safe; {@link #close()} ends the threads that read other instances' answers.
 */
final class StatusQueries implements StatusSource, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StatusQueries.class);
    private static final int LOGGED_UNREADABLE_LIMIT = 10_000;

    /** No HTTP status but 200 is an answer: any other is the other instance's failure. */
    private static final IntPredicate NONE_ABSENT = status -> false;

    private final KafkaStreams streams;
    private final HostInfo self;
    private final StatusJson json;
    private final PeerFanout peers;
    /**
     * Ids whose unreadable value was logged, so that a page polled every 2 s logs each once; bounded. An id whose value
     * is repaired and breaks again is not logged again (the counter still counts it).
     */
    private final Set<String> loggedUnreadable = ConcurrentHashMap.newKeySet();
    private final Counter leftOut;

    StatusQueries(KafkaStreams streams, HostInfo self, StatusJson json, ObjectMapper mapper, MeterRegistry meters) {
        this(streams, self, json, mapper, meters, PeerFanout.Limits.DEFAULTS);
    }

    StatusQueries(KafkaStreams streams, HostInfo self, StatusJson json, ObjectMapper mapper, MeterRegistry meters,
                  PeerFanout.Limits limits) {
        this.streams = streams;
        this.self = self;
        this.json = json;
        this.peers = new PeerFanout(limits, mapper);
        this.leftOut = Counter.builder("healthmon.aggregator.query.unreadable")
                .description("Status values queries left out of their answers because this version cannot read them")
                .register(meters);
    }

    /**
     * Every status this instance holds as the active owner, by id, read from each of its partitions' stores at once
     * and merged: the store over all of them reads one partition after another, each in its own order. Each store
     * orders its keys by their UTF-8 bytes, which is {@link String#compareTo}'s order for ids (ASCII, {@code
     * RegistrationCodec.ID_PATTERN}).
     */
    @Override
    public void eachLocal(Consumer<StatusState> each) {
        List<KeyValueIterator<String, byte[]>> open = new ArrayList<>();
        try {
            PriorityQueue<Head> heads = new PriorityQueue<>(Comparator.comparing((Head h) -> h.next().key));
            for (ReadOnlyKeyValueStore<String, byte[]> store : partitionStores()) {
                KeyValueIterator<String, byte[]> all = store.all();
                open.add(all);
                if (all.hasNext()) {
                    heads.add(new Head(all.next(), all));
                }
            }
            for (Head head = heads.poll(); head != null; head = heads.poll()) {
                readable(head.next().key, head.next().value).ifPresent(each);
                if (head.rest().hasNext()) {
                    heads.add(new Head(head.rest().next(), head.rest()));
                }
            }
        } finally {
            open.forEach(KeyValueIterator::close);
        }
    }

    /** A partition's next entry and its iterator past it. */
    private record Head(KeyValue<String, byte[]> next, KeyValueIterator<String, byte[]> rest) {}

    /**
     * The statuses store of each partition this instance owns (active): one store each, not the one over all. No
     * partition at all is an empty answer only while Streams runs (more instances than partitions); while it starts or
     * rebalances, the others may already count this instance as the owner of partitions it has not taken yet, and an
     * empty page would leave their statuses out of the merged answer without a word: not queryable now (503).
     */
    private List<ReadOnlyKeyValueStore<String, byte[]>> partitionStores() {
        Set<Integer> partitions = new TreeSet<>();
        whileRunning(() -> streams.streamsMetadataForStore(StatusStores.STATUSES)).stream()
                .filter(member -> member.hostInfo().equals(self))
                .forEach(member -> member.topicPartitions().forEach(tp -> partitions.add(tp.partition())));
        KafkaStreams.State state = streams.state();
        if (partitions.isEmpty() && state != KafkaStreams.State.RUNNING) {
            throw new InvalidStateStoreException("no partition of its own yet (" + state + ")");
        }
        return partitions.stream().map(p -> whileRunning(() -> streams.store(StoreQueryParameters.fromNameAndType(
                StatusStores.STATUSES, QueryableStoreTypes.<String, byte[]>keyValueStore()).withPartition(p))))
                .toList();
    }

    @Override
    public Optional<BackendStatus> local(String id) {
        return Optional.ofNullable(store().get(id)).flatMap(value -> readable(id, value)).map(StatusState::view);
    }

    /** The status {@code value} holds, or none when this version cannot read it. */
    private Optional<StatusState> readable(String id, byte[] value) {
        try {
            return Optional.of(json.decodeState(value));
        } catch (IllegalArgumentException e) {
            leftOut.increment();
            if (loggedUnreadable.size() < LOGGED_UNREADABLE_LIMIT && loggedUnreadable.add(id)) {
                log.error("backend={} statuses store value of {} bytes cannot be read; left out of query answers "
                        + "until its next event replaces it (its next registration, if that is unreadable too): {}",
                        UntrustedText.escape(id, 200), value.length, UntrustedText.escape(e.toString(), 500));
                if (loggedUnreadable.size() == LOGGED_UNREADABLE_LIMIT) {
                    log.error("{} backends' statuses cannot be read; further ones are left out of query answers "
                            + "without a line each (healthmon.aggregator.query.unreadable counts them)",
                            LOGGED_UNREADABLE_LIMIT);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * Each instance pages its own matches ({@code scope=local}, the same filter, its first {@code offset + limit}),
     * and the pieces are merged: a page holds at most that many statuses per instance, not every status
     * (docs/design.md §8.6). An instance of an earlier version answers every status it holds, unfiltered and without
     * {@code "scope": "local"}: it is filtered and paged here instead.
     *
     * <p>An instance's answer is checked, not trusted: one id twice, or (paged there) a status the filter does not
     * match or more than were asked, is its failure (a 502 naming it). The same id from two instances, as during a
     * rebalance while the previous owner's store still holds it, is one item, the {@link #FRESHEST} (and counted once
     * in the total, when both are within the pieces).
     */
    @Override
    public StatusFilter.Page page(StatusFilter filter) throws IOException, InterruptedException {
        int each = filter.perInstance();
        List<HostInfo> others = others();
        try (PeerFanout.Query query = peers.open()) {
            StatusFilter.Page own = localPage(filter, 0, each);
            Map<String, BackendStatus> pieces = new HashMap<>();
            own.items().forEach(s -> pieces.put(s.id(), s));
            long total = own.total();
            List<PeerFanout.Answer<BackendStatus>> answers = peers.askPages(query, others,
                    "/api/status?scope=local" + parameters(filter) + "&offset=0&limit=" + each, json::status,
                    NONE_ABSENT);
            for (int i = 0; i < others.size(); i++) {
                HostInfo peer = others.get(i);
                PeerFanout.Answer<BackendStatus> answer = answers.get(i);
                distinct(peer, answer.items());
                StatusFilter.Page its = answeredForItself(answer)
                        ? new StatusFilter.Page(matching(peer, answer.items(), filter), total(peer, answer, each), 0,
                        each)
                        : filter.page(answer.items(), 0, each);
                total += its.total();
                for (BackendStatus status : its.items()) {
                    BackendStatus held = pieces.putIfAbsent(status.id(), status);
                    if (held != null) {
                        total--; // one backend, counted by both
                        if (FRESHEST.compare(status, held) > 0) {
                            pieces.put(status.id(), status);
                        }
                    }
                }
            }
            return filter.merge(List.copyOf(pieces.values()), (int) Math.min(total, Integer.MAX_VALUE));
        }
    }

    /**
     * Each instance counts its own statuses ({@code scope=local}) and the counts are added. An instance of an
     * earlier version answers for every instance (it ignored scope there), which would count each status once more:
     * its statuses are asked for and counted here instead, as before.
     */
    @Override
    public StatusFilter.Summary summary() throws IOException, InterruptedException {
        List<HostInfo> others = others();
        try (PeerFanout.Query query = peers.open()) {
            StatusFilter.Summary sum = localSummary();
            List<HostInfo> earlier = new ArrayList<>();
            List<List<PeerSummary>> answers = peers.ask(query, others, "/api/summary?scope=local",
                    PeerItems.Shape.ONE, StatusQueries::peerSummary, NONE_ABSENT);
            for (int i = 0; i < others.size(); i++) {
                PeerSummary answer = answers.get(i).get(0);
                if (answer.local()) {
                    sum = added(sum, answer.summary(), others.get(i));
                } else {
                    earlier.add(others.get(i));
                }
            }
            if (!earlier.isEmpty()) {
                List<List<BackendStatus>> theirs = peers.ask(query, earlier, "/api/status?scope=local&limit="
                        + Integer.MAX_VALUE, PeerItems.Shape.PAGE, json::status, NONE_ABSENT);
                for (int i = 0; i < earlier.size(); i++) {
                    distinct(earlier.get(i), theirs.get(i));
                    // Checked as the others: added unchecked, forged counts beside them ended the query with an
                    // ArithmeticException (a dropped connection, no answer at all).
                    sum = added(sum, StatusFilter.summarize(theirs.get(i)), earlier.get(i));
                }
            }
            return sum;
        }
    }

    /**
     * Of one backend's statuses from two instances, the one checked last (then changed last; a tie keeps the first
     * asked, this instance's own first): during a rebalance the previous owner's store stops at the last event it
     * applied while the new owner's goes on, so the later check is the current status.
     */
    static final Comparator<BackendStatus> FRESHEST = Comparator.comparing(
            (BackendStatus s) -> s.lastCheckedAt().orElse(Instant.MIN)).thenComparing(BackendStatus::since);

    /** {@code peer}'s statuses if no id is among them twice; otherwise its failure (an IOException naming it). */
    private static void distinct(HostInfo peer, List<BackendStatus> statuses) throws IOException {
        Set<String> ids = new HashSet<>();
        for (BackendStatus status : statuses) {
            if (!ids.add(status.id())) {
                throw new IOException(name(peer) + " answered backend " + UntrustedText.escape(status.id(), 200)
                        + " twice");
            }
        }
    }

    /** {@code statuses}, if {@code filter} matches every one; otherwise {@code peer}'s failure. */
    private static List<BackendStatus> matching(HostInfo peer, List<BackendStatus> statuses, StatusFilter filter)
            throws IOException {
        for (BackendStatus status : statuses) {
            if (!filter.matches(status)) {
                throw new IOException(name(peer) + " answered backend " + UntrustedText.escape(status.id(), 200)
                        + ", which does not match the filter it was asked for");
            }
        }
        return statuses;
    }

    private static String name(HostInfo peer) {
        return "aggregator " + peer.host() + ":" + peer.port();
    }

    /** Counts that pass {@code Integer.MAX_VALUE} added up are forged by {@code peer}: its failure (a 502). */
    private static StatusFilter.Summary added(StatusFilter.Summary sum, StatusFilter.Summary theirs, HostInfo peer)
            throws IOException {
        try {
            return sum.plus(theirs);
        } catch (ArithmeticException e) {
            throw new IOException("aggregator " + peer.host() + ":" + peer.port()
                    + " answered counts that overflow with the others'");
        }
    }

    /** Another instance's {@code /api/summary?scope=local}; {@code local} false when it answered for all. */
    record PeerSummary(boolean local, StatusFilter.Summary summary) {}

    /** Reads a summary as the API writes it, straight from its tokens. */
    static PeerSummary peerSummary(JsonParser item) {
        try {
            expect(item.nextToken(), JsonToken.START_OBJECT, "a summary");
            int total = 0;
            boolean local = false;
            Map<HealthStatus, Integer> byStatus = new TreeMap<>();
            Map<String, Map<String, Map<HealthStatus, Integer>>> byLabel = new TreeMap<>();
            while (item.nextToken() == JsonToken.FIELD_NAME) {
                String field = item.currentName();
                JsonToken value = item.nextToken();
                switch (field) {
                    case "total" -> total = count(item, value, "total");
                    case "scope" -> local = "local".equals(item.getText());
                    case "byStatus" -> counts(item, value, byStatus, "byStatus");
                    case "byLabel" -> {
                        expect(value, JsonToken.START_OBJECT, "byLabel");
                        while (item.nextToken() == JsonToken.FIELD_NAME) {
                            Map<String, Map<HealthStatus, Integer>> values = byLabel.computeIfAbsent(
                                    item.currentName(), k -> new TreeMap<>());
                            expect(item.nextToken(), JsonToken.START_OBJECT, "byLabel's values");
                            while (item.nextToken() == JsonToken.FIELD_NAME) {
                                counts(item, item.nextToken(), values.computeIfAbsent(item.currentName(),
                                        v -> new TreeMap<>()), "byLabel's counts");
                            }
                        }
                    }
                    default -> item.skipChildren();
                }
            }
            return new PeerSummary(local, new StatusFilter.Summary(total, byStatus, byLabel));
        } catch (IOException e) {
            throw new IllegalArgumentException("not a summary: " + e.getMessage(), e);
        }
    }

    private static void counts(JsonParser item, JsonToken start, Map<HealthStatus, Integer> into, String what)
            throws IOException {
        expect(start, JsonToken.START_OBJECT, what);
        while (item.nextToken() == JsonToken.FIELD_NAME) {
            HealthStatus status = HealthStatus.valueOf(item.currentName()); // another name: IllegalArgumentException
            into.merge(status, count(item, item.nextToken(), what), Integer::sum);
        }
    }

    private static int count(JsonParser item, JsonToken token, String what) throws IOException {
        expect(token, JsonToken.VALUE_NUMBER_INT, what);
        int count = item.getIntValue();
        if (count < 0) {
            throw new IllegalArgumentException(what + ": a count below 0");
        }
        return count;
    }

    private static void expect(JsonToken token, JsonToken wanted, String what) {
        if (token != wanted) {
            throw new IllegalArgumentException(what + ": " + wanted + " expected, was " + token);
        }
    }

    /** Whether an instance paged its own statuses (this version) rather than sending them all (earlier ones). */
    private static boolean answeredForItself(PeerFanout.Answer<?> answer) {
        return "local".equals(answer.fields().get("scope"));
    }

    /** The total of {@code peer}'s page; one that cannot be is its fault (an IOException naming it, a 502). */
    private static int total(HostInfo peer, PeerFanout.Answer<?> answer, int asked) throws IOException {
        try {
            int total = Integer.parseInt(answer.fields().getOrDefault("total", ""));
            if (total >= answer.items().size() && answer.items().size() <= asked) {
                return total;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IOException("aggregator " + peer.host() + ":" + peer.port() + " answered a page of "
                + answer.items().size() + " statuses (" + asked + " asked) with total "
                + UntrustedText.escape(String.valueOf(answer.fields().get("total")), 40));
    }

    /** {@code filter}'s status and label as query parameters. */
    private static String parameters(StatusFilter filter) {
        StringBuilder parameters = new StringBuilder();
        filter.status().ifPresent(status -> parameters.append("&status=").append(status.name()));
        filter.labelKey().ifPresent(key -> parameters.append("&label=").append(URLEncoder.encode(key + ":"
                + filter.labelValue().orElseThrow(), StandardCharsets.UTF_8)));
        return parameters.toString();
    }

    /**
     * This instance's status of {@code id} when it holds one (no other is asked); otherwise the others', the one
     * checked last ({@link #FRESHEST}) if two hold it. An answer naming another backend is that instance's failure.
     */
    @Override
    public Optional<BackendStatus> one(String id) throws IOException, InterruptedException {
        Optional<BackendStatus> local = local(id);
        if (local.isPresent()) {
            return local;
        }
        List<HostInfo> others = others();
        try (PeerFanout.Query query = peers.open()) {
            // Any answer but 200 is "not here", as the instances answer a backend they do not hold with 404.
            List<List<BackendStatus>> answers = peers.ask(query, others, "/api/status/"
                    + URLEncoder.encode(id, StandardCharsets.UTF_8) + "?scope=local", PeerItems.Shape.ONE,
                    json::status, status -> true);
            Optional<BackendStatus> found = Optional.empty();
            for (int i = 0; i < others.size(); i++) {
                for (BackendStatus status : answers.get(i)) {
                    if (!status.id().equals(id)) {
                        throw new IOException(name(others.get(i)) + " answered backend "
                                + UntrustedText.escape(status.id(), 200) + " when asked for another");
                    }
                    if (found.isEmpty() || FRESHEST.compare(status, found.get()) > 0) {
                        found = Optional.of(status); // two instances during a rebalance: the one checked last
                    }
                }
            }
            return found;
        }
    }

    /**
     * Transitions at or after {@code since}, newest first, from every instance's bounded history: each instance's
     * newest {@code limit}, merged (the newest of all are among them; an instance of the version before sends all).
     */
    @Override
    public List<StatusTransition> transitions(Instant since, int limit) throws IOException, InterruptedException {
        try (PeerFanout.Query query = peers.open()) {
            List<StatusTransition> all = new ArrayList<>(localTransitions(since, limit));
            peers.ask(query, others(), "/api/transitions?scope=local&since=" + since + "&limit=" + limit,
                    PeerItems.Shape.PAGE, json::transition, NONE_ABSENT).forEach(all::addAll);
            return all.stream().sorted(NEWEST_FIRST).limit(limit).toList();
        }
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

    /** Ends the threads that read other instances' answers ({@link PeerFanout#close()}). */
    @Override
    public void close() {
        peers.close();
    }

    /** The most other instances' answers have held at once (for tests). */
    long mostHeldPeerBytes() {
        return peers.mostHeldBytes();
    }

    private ReadOnlyKeyValueStore<String, byte[]> store() {
        return whileRunning(() -> streams.store(StoreQueryParameters.fromNameAndType(StatusStores.STATUSES,
                QueryableStoreTypes.<String, byte[]>keyValueStore())));
    }

    /** The other instances (package-private for the bench's previous-version row). */
    List<HostInfo> others() {
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
