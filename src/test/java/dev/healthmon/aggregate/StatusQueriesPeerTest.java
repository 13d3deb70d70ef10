package dev.healthmon.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.Topics;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.support.LoopbackPorts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.internals.StreamsMetadataImpl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The query API's answer when another aggregator instance answers, but not with statuses or transitions: that is
 * the other instance's fault, so 502 naming it, never a 400 that blames the caller's request. No broker: this
 * instance's Streams application is never started; it reports an empty store of its own and one peer, an HTTP
 * server the test runs.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StatusQueriesPeerTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path stateDir;
    private HttpServer peer;
    private HttpServer api;
    private KafkaStreams streams;

    @BeforeEach
    void startPeer() throws Exception {
        peer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        peer.start(); // each test gives it its answers; a path without one is a 404
    }

    /** This instance's API, over a store holding {@code storedValue} for "payments-api" (or nothing when null). */
    private void startApi(byte[] storedValue) throws Exception {
        api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        HostInfo self = new HostInfo("127.0.0.1", api.getAddress().getPort());
        streams = new OnePeerStreams(new HostInfo("127.0.0.1", peer.getAddress().getPort()),
                KafkaSettings.of("127.0.0.1:" + LoopbackPorts.unused()).streams("peer-test", "127.0.0.1:"
                        + self.port(), stateDir.toString(), 0), new OneValueStore("payments-api", storedValue));
        AggregatorService.serve(api, streams, self, new SimpleMeterRegistry());
        api.start();
    }

    @AfterEach
    void stop() {
        peer.stop(0);
        if (api != null) {
            api.stop(0);
            streams.close(Duration.ofSeconds(10));
        }
    }

    @Test
    void aPeerAnsweringSomethingElseThanStatusesIsABadGatewayNamingThePeer() throws Exception {
        startApi(null);
        // Valid JSON and HTTP 200, but items that are no statuses, transitions or checks.
        answer(peer, "/api/status", "{\"items\": [{\"id\": 42, \"status\": \"SORT_OF\"}]}");
        answer(peer, "/api/status/", "{\"status\": []}");
        answer(peer, "/api/transitions", "{\"items\": [{\"at\": \"yesterday\"}]}");
        answer(peer, "/api/checks", "{\"items\": [{\"id\": \"x\", \"checks\": [{\"at\": \"yesterday\", "
                + "\"outcome\": \"HEALTHY\", \"latencyMs\": 1}]}]}");
        for (String path : List.of("/api/status", "/api/status/payments-api", "/api/transitions", "/api/checks")) {
            HttpResponse<String> answer = get(path);

            assertThat(answer.statusCode()).as("%s: %s", path, answer.body()).isEqualTo(502);
            assertThat(MAPPER.readTree(answer.body()).path("error").asText()).as(path)
                    .contains("127.0.0.1:" + peer.getAddress().getPort());
        }
    }

    @Test
    void aPeerOfAnEarlierVersionWithoutRecentChecksLeavesThemOutDuringARollingUpgrade() throws Exception {
        startApi(null);
        HttpResponse<String> answer = get("/api/checks"); // the peer answers 404: it predates /api/checks

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(MAPPER.readTree(answer.body()).path("items").size()).isZero();
    }

    @Test
    void aStoreValueThisVersionCannotReadIsAServerErrorNotTheCallersBadRequest() throws Exception {
        startApi(new byte[] {1, 1, 5}); // the binary format, a view field cut short

        for (String path : List.of("/api/status", "/api/status/payments-api", "/api/summary", "/api/checks")) {
            HttpResponse<String> answer = get(path);

            assertThat(answer.statusCode()).as("%s: %s", path, answer.body()).isEqualTo(500);
            assertThat(MAPPER.readTree(answer.body()).path("error").asText()).as(path)
                    .contains("a value for payments-api that this version cannot read");
        }
    }

    @Test
    void aPeerThatSendsItsHeadersAndThenTricklesIsABadGatewayWithinTheTimeoutNotAHeldThread() throws Exception {
        startApi(null);
        peer.createContext("/api/status", exchange -> {
            exchange.sendResponseHeaders(200, 0); // a body of unknown length, then one byte at a time
            try (OutputStream out = exchange.getResponseBody()) {
                while (true) {
                    out.write(' ');
                    out.flush();
                    TimeUnit.MILLISECONDS.sleep(200); // the fault under test: a peer that answers slowly
                }
            } catch (IOException | InterruptedException e) {
                // the API gave up on it and closed the connection: what should happen
            }
        });

        HttpResponse<String> answer = get("/api/status"); // gives up after 20 s: the API must answer before

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(502);
        assertThat(MAPPER.readTree(answer.body()).path("error").asText())
                .contains("127.0.0.1:" + peer.getAddress().getPort()).contains("did not answer within 5 s");
    }

    @Test
    void aPeerWhoseAnswerNeverEndsIsABadGatewayInsteadOfFillingTheHeap() throws Exception {
        startApi(null);
        peer.createContext("/api/status", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            byte[] spaces = new byte[64 * 1024];
            Arrays.fill(spaces, (byte) ' ');
            try (OutputStream out = exchange.getResponseBody()) {
                while (true) {
                    out.write(spaces);
                }
            } catch (IOException e) {
                // refused by the API: what should happen
            }
        });

        HttpResponse<String> answer = get("/api/status");

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(502);
        assertThat(MAPPER.readTree(answer.body()).path("error").asText())
                .contains("127.0.0.1:" + peer.getAddress().getPort())
                .contains("answered more than " + StatusQueries.MAX_PEER_ANSWER_BYTES + " bytes");
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.getAddress().getPort() + path))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void answer(HttpServer server, String path, String json) {
        server.createContext(path, exchange -> {
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
    }

    /** A Streams application (never started): {@code store} is its own, {@code peer} its only other instance. */
    private static final class OnePeerStreams extends KafkaStreams {
        private final HostInfo peer;
        private final OneValueStore store;

        OnePeerStreams(HostInfo peer, Map<String, Object> config, OneValueStore store) {
            super(StatusTopology.build(Topics.DEFAULTS, CheckDefaults.STANDARD, AggregatorSettings.DEFAULTS,
                    new SimpleMeterRegistry()), KafkaSettings.toProperties(config));
            this.peer = peer;
            this.store = store;
        }

        @Override
        public Collection<StreamsMetadata> metadataForAllStreamsClients() {
            return List.of(new StreamsMetadataImpl(peer, Set.of(StatusStores.STATUSES), Set.of(), Set.of(), Set.of()));
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T store(StoreQueryParameters<T> parameters) {
            return (T) store;
        }
    }

    /** A statuses store holding {@code value} under {@code key}, or nothing when {@code value} is null. */
    private record OneValueStore(String key, byte[] value) implements ReadOnlyKeyValueStore<String, byte[]> {
        @Override
        public byte[] get(String k) {
            return key.equals(k) ? value : null;
        }

        @Override
        public KeyValueIterator<String, byte[]> range(String from, String to) {
            return all();
        }

        @Override
        public KeyValueIterator<String, byte[]> all() {
            Iterator<KeyValue<String, byte[]>> entries = value == null ? Collections.emptyIterator()
                    : List.of(KeyValue.pair(key, value)).iterator();
            return new KeyValueIterator<>() {
                @Override
                public void close() {
                }

                @Override
                public String peekNextKey() {
                    throw new UnsupportedOperationException("not used by the queries");
                }

                @Override
                public boolean hasNext() {
                    return entries.hasNext();
                }

                @Override
                public KeyValue<String, byte[]> next() {
                    return entries.next();
                }
            };
        }

        @Override
        public long approximateNumEntries() {
            return value == null ? 0 : 1;
        }
    }
}
