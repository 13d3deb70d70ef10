package dev.healthmon.aggregate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.status.UntrustedText;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * <p>Thread-safe.
 */
final class StatusQueries implements StatusSource {

    /** How long another instance may take to answer, body included (the JDK client's timeout ends at the headers). */
    private static final Duration REMOTE_TIMEOUT = Duration.ofSeconds(5);
    /**
     * The most another instance's answer may hold: its every status ({@code scope=local}, no limit) at ~500 bytes
     * each is 32 MiB for 64,000 backends. Past it the answer is refused rather than buffered without end.
     */
    static final int MAX_PEER_ANSWER_BYTES = 64 * 1024 * 1024;

    private final KafkaStreams streams;
    private final HostInfo self;
    private final StatusJson json;
    private final ObjectMapper mapper;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(REMOTE_TIMEOUT).build();

    StatusQueries(KafkaStreams streams, HostInfo self, StatusJson json, ObjectMapper mapper) {
        this.streams = streams;
        this.self = self;
        this.json = json;
        this.mapper = mapper;
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

    /** Every status, from every instance. */
    @Override
    public List<BackendStatus> all() throws IOException, InterruptedException {
        List<BackendStatus> statuses = new ArrayList<>(localStates().stream().map(StatusState::view).toList());
        for (HostInfo other : others()) {
            JsonNode page = get(other, "/api/status?scope=local&limit=" + Integer.MAX_VALUE);
            for (JsonNode item : page.path("items")) {
                statuses.add(fromPeer(other, () -> json.status(item)));
            }
        }
        return statuses;
    }

    @Override
    public Optional<BackendStatus> one(String id) throws IOException, InterruptedException {
        Optional<BackendStatus> local = local(id);
        if (local.isPresent()) {
            return local;
        }
        for (HostInfo other : others()) {
            HttpResponse<byte[]> response = send(other, "/api/status/" + URLEncoder.encode(id, StandardCharsets.UTF_8)
                    + "?scope=local");
            if (response.statusCode() == 200) {
                return Optional.of(fromPeer(other, () -> json.decodeStatus(response.body())));
            }
        }
        return Optional.empty();
    }

    /** Transitions at or after {@code since}, newest first, from every instance's bounded history. */
    @Override
    public List<StatusTransition> transitions(Instant since, int limit) throws IOException, InterruptedException {
        List<StatusTransition> all = new ArrayList<>(localTransitions(since));
        for (HostInfo other : others()) {
            JsonNode page = get(other, "/api/transitions?scope=local&since=" + since + "&limit=" + Integer.MAX_VALUE);
            for (JsonNode item : page.path("items")) {
                all.add(fromPeer(other, () -> json.transition(item)));
            }
        }
        return all.stream().sorted(Comparator.comparing(StatusTransition::at).reversed()).limit(limit).toList();
    }

    @Override
    public List<StatusTransition> localTransitions(Instant since) {
        return localStates().stream().flatMap(s -> s.history().stream()).filter(t -> !t.at().isBefore(since)).toList();
    }

    /** The recent checks of the first {@code limit} backends by id, from every instance. */
    @Override
    public Map<String, RecentChecks> checks(int limit) throws IOException, InterruptedException {
        // Each instance's first `limit` by id, merged: the first `limit` of the merge are the first of all.
        TreeMap<String, RecentChecks> all = new TreeMap<>(localChecks(limit));
        for (HostInfo other : others()) {
            HttpResponse<byte[]> response = send(other, "/api/checks?scope=local&limit=" + limit);
            if (response.statusCode() == 404) {
                continue; // an instance of a version before /api/checks, during a rolling upgrade: it has none
            }
            JsonNode page = body(other, response);
            for (JsonNode item : page.path("items")) {
                all.put(item.path("id").asText(), fromPeer(other, () -> json.checks(item.path("checks"))));
            }
        }
        return StatusSource.first(all, limit);
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

    /**
     * What {@code decode} makes of another instance's answer. The decoders refuse bad input with an
     * IllegalArgumentException (which the API turns into a 400 about the caller's request) or a DateTimeException;
     * from a peer either is the peer's fault, so an IOException (502) naming it.
     */
    private static <T> T fromPeer(HostInfo host, Supplier<T> decode) throws IOException {
        try {
            return decode.get();
        } catch (IllegalArgumentException | DateTimeException e) {
            throw new IOException("aggregator " + host.host() + ":" + host.port() + " answered something else than "
                    + "statuses or transitions: " + e.getMessage(), e);
        }
    }

    private JsonNode get(HostInfo host, String pathAndQuery) throws IOException, InterruptedException {
        return body(host, send(host, pathAndQuery));
    }

    private JsonNode body(HostInfo host, HttpResponse<byte[]> response) throws IOException {
        if (response.statusCode() != 200) {
            throw new IOException("aggregator " + host.host() + ":" + host.port() + " answered HTTP "
                    + response.statusCode());
        }
        return mapper.readTree(response.body());
    }

    /**
     * One GET to another instance, whole answer within {@link #REMOTE_TIMEOUT} and {@link #MAX_PEER_ANSWER_BYTES}:
     * a peer that sends its headers and then trickles, or never ends its body, must not hold the caller's thread.
     */
    private HttpResponse<byte[]> send(HostInfo host, String pathAndQuery) throws IOException, InterruptedException {
        String peer = host.host() + ":" + host.port();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + peer + pathAndQuery))
                .timeout(REMOTE_TIMEOUT).GET().build();
        CompletableFuture<HttpResponse<byte[]>> answer = http.sendAsync(request,
                info -> new BoundedBody(MAX_PEER_ANSWER_BYTES, "aggregator " + peer));
        try {
            return answer.get(REMOTE_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            answer.cancel(true); // since JDK 16 this also aborts the exchange and closes its connection
            throw new HttpTimeoutException("aggregator " + peer + " did not answer within " + REMOTE_TIMEOUT.toSeconds()
                    + " s");
        } catch (InterruptedException e) {
            answer.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException("aggregator " + peer + ": " + cause, cause);
        }
    }

    /**
     * Collects a body up to {@code max} bytes; past it cancels the exchange and fails with an IOException.
     * Threading: called by the HTTP client one signal at a time, as the Flow contract says.
     */
    private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int max;
        private final String peer;
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private Flow.Subscription subscription;

        BoundedBody(int max, String peer) {
            this.max = max;
            this.peer = peer;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (body.isDone()) {
                return; // refused already: what was in flight when the exchange was cancelled
            }
            for (ByteBuffer buffer : buffers) {
                if (bytes.size() + (long) buffer.remaining() > max) {
                    subscription.cancel();
                    body.completeExceptionally(new IOException(peer + " answered more than " + max + " bytes"));
                    return;
                }
                byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable error) {
            body.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            body.complete(bytes.toByteArray());
        }
    }
}
