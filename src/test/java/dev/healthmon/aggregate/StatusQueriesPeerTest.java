package dev.healthmon.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.healthmon.json.Json;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.Topics;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Thresholds;
import dev.healthmon.support.LoopbackPorts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
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
 * The query API's answer from other aggregator instances (docs/design.md §8.6): when one answers, but not with
 * statuses or transitions, that is the other instance's fault, so 502 naming it, never a 400 that blames the caller's
 * request; slow instances are waited for once, not once each; their answers held at once are bounded. No broker:
 * this instance's Streams application is never started; it reports a store of its own and its peers, HTTP servers
 * the test runs.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StatusQueriesPeerTest {

    private static final ObjectMapper MAPPER = Json.mapper();
    private static final StatusJson JSON = new StatusJson(MAPPER);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path stateDir;
    /** Runs the handlers of every server the test starts: several requests at once, each on its own thread. */
    private final ExecutorService handlers = Executors.newCachedThreadPool();
    private final List<HttpServer> peers = new ArrayList<>();
    private HttpServer peer;
    private HttpServer api;
    private KafkaStreams streams;
    private StatusQueries queries;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @BeforeEach
    void startPeer() throws Exception {
        peer = startPeerServer(); // each test gives it its answers; a path without one is a 404
    }

    private HttpServer startPeerServer() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        server.setExecutor(handlers);
        server.start();
        peers.add(server);
        return server;
    }

    /** This instance's API, over a store holding {@code storedValue} for "payments-api" (or nothing when null). */
    private void startApi(byte[] storedValue) throws Exception {
        startApi(storedValue, PeerFanout.Limits.DEFAULTS);
    }

    /** The same with other limits on the fan-out; the API answers several queries at once, as in production. */
    private void startApi(byte[] storedValue, PeerFanout.Limits limits) throws Exception {
        startApi(storedValue == null ? new TreeMap<>() : new TreeMap<>(Map.of("payments-api", storedValue)), limits);
    }

    /** This instance's API over a store holding {@code stored} (store values by id). */
    private void startApi(SortedMap<String, byte[]> stored, PeerFanout.Limits limits) throws Exception {
        startApi(List.of(stored), limits);
    }

    /** This instance's API over the stores of the partitions it owns, each holding store values by id. */
    private void startApi(List<SortedMap<String, byte[]>> partitions, PeerFanout.Limits limits) throws Exception {
        api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        HostInfo self = new HostInfo("127.0.0.1", api.getAddress().getPort());
        streams = new PeerStreams(peers.stream().map(p -> new HostInfo("127.0.0.1", p.getAddress().getPort()))
                .toList(), KafkaSettings.of("127.0.0.1:" + LoopbackPorts.unused()).streams("peer-test", "127.0.0.1:"
                        + self.port(), stateDir.toString(), 0), partitions.stream().map(StoredValues::new).toList());
        if (limits.equals(PeerFanout.Limits.DEFAULTS)) {
            queries = AggregatorService.serve(api, streams, self, meters);
        } else {
            queries = new StatusQueries(streams, self, JSON, MAPPER, meters, limits);
            new StatusApi(api, queries, JSON, MAPPER);
        }
        api.setExecutor(handlers);
        api.start();
    }

    @AfterEach
    void stop() {
        peers.forEach(p -> p.stop(0));
        if (api != null) {
            api.stop(0);
            queries.close();
            streams.close(Duration.ofSeconds(10));
        }
        handlers.shutdownNow();
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
    void anInstanceWithoutPartitionsAnswersEmptyOnlyOnceRunningNotWhilePartitionsMayStillCome() throws Exception {
        startApi(List.of(), PeerFanout.Limits.DEFAULTS);

        ((PeerStreams) streams).shownState = KafkaStreams.State.REBALANCING;
        HttpResponse<String> rebalancing = get("/api/status?scope=local");
        assertThat(rebalancing.statusCode()).as(rebalancing.body()).isEqualTo(503);
        assertThat(rebalancing.body()).contains("no partition of its own yet (REBALANCING)");

        // More instances than partitions: this one has none.
        ((PeerStreams) streams).shownState = KafkaStreams.State.RUNNING;
        HttpResponse<String> running = get("/api/status?scope=local");
        assertThat(running.statusCode()).as(running.body()).isEqualTo(200);
        assertThat(MAPPER.readTree(running.body()).path("items").size()).isZero();
    }

    @Test
    void aPeerOfAnEarlierVersionWithoutRecentChecksLeavesThemOutDuringARollingUpgrade() throws Exception {
        startApi(null);
        HttpResponse<String> answer = get("/api/checks"); // the peer answers 404: it predates /api/checks

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(MAPPER.readTree(answer.body()).path("items").size()).isZero();
    }

    @Test
    void aStatusValueThisVersionCannotReadIsLeftOutOfEveryAnswerInsteadOfFailingThem() throws Exception {
        // One damaged value (a torn write, a later version's format after a rollback) made every page, summary and
        // list of checks a 500 until the backend's next event replaced it: for good while its registration was
        // unreadable too, since its events are then dropped.
        List<StatusState> readable = withHistories(generated(6), new Random(7));
        List<SortedMap<String, byte[]>> partitions = List.of(new TreeMap<>(), new TreeMap<>());
        for (int i = 0; i < readable.size(); i++) {
            partitions.get(i % 2).put(readable.get(i).view().id(), JSON.encode(readable.get(i)));
        }
        partitions.get(0).put("payments-api", new byte[] {1, 1, 5}); // the binary format, a view field cut short
        partitions.get(1).put("orders-api", "{\"applied\": {\"checkedAt\": \"yesterday\"}}"
                .getBytes(StandardCharsets.UTF_8)); // an earlier version's JSON, an instant that is none
        instance(peer, List.of(), null);
        startApi(partitions, PeerFanout.Limits.DEFAULTS);

        for (String path : List.of("/api/status", "/api/status?scope=local", "/api/summary", "/api/checks",
                "/api/transitions")) {
            HttpResponse<String> answer = get(path);

            assertThat(answer.statusCode()).as("%s: %s", path, answer.body()).isEqualTo(200);
            assertThat(answer.body()).as(path).doesNotContain("payments-api").doesNotContain("orders-api");
        }
        assertThat(MAPPER.readTree(get("/api/status").body()).path("total").asInt()).isEqualTo(6);
        assertThat(MAPPER.readTree(get("/api/status?scope=local").body()).path("total").asInt()).isEqualTo(6);
        assertThat(MAPPER.readTree(get("/api/summary").body()).path("total").asInt()).isEqualTo(6);
        assertThat(MAPPER.readTree(get("/api/checks").body()).path("items").size()).isEqualTo(6);
        int transitions = readable.stream().mapToInt(s -> s.history().size()).sum();
        assertThat(transitions).as("the readable statuses have transitions to show").isPositive();
        assertThat(MAPPER.readTree(get("/api/transitions").body()).path("items").size()).isEqualTo(transitions);
        assertThat(get("/api/status/payments-api").statusCode()).isEqualTo(404);
        assertThat(get("/api/status/" + readable.get(4).view().id()).statusCode()).isEqualTo(200);
        assertThat(meters.get("healthmon.aggregator.query.unreadable").counter().count())
                .as("each value left out is counted, every time").isGreaterThanOrEqualTo(2 * 5);
    }

    @Test
    void aPeerThatSendsItsHeadersAndThenTricklesIsABadGatewayWithinTheTimeoutNotAHeldThread() throws Exception {
        startApi(null);
        peer.createContext("/api/status", StatusQueriesPeerTest::trickle);

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
                .contains("answered more than " + PeerFanout.Limits.DEFAULTS.maxAnswerBytes() + " bytes");
    }

    @Test
    void threePeersThatTrickleAreOneBadGatewayWithinOneDeadlineNotOneDeadlineEach() throws Exception {
        List<HttpServer> slow = List.of(peer, startPeerServer(), startPeerServer());
        slow.forEach(server -> server.createContext("/api/status", StatusQueriesPeerTest::trickle));
        startApi(null);

        long start = System.nanoTime();
        HttpResponse<String> answer = get("/api/status");
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(502);
        String error = MAPPER.readTree(answer.body()).path("error").asText();
        slow.forEach(server -> assertThat(error).contains("127.0.0.1:" + server.getAddress().getPort()));
        assertThat(error).contains("did not answer within 5 s");
        // One deadline (5 s) and room for a loaded machine; asked one after another, they took 15 s.
        assertThat(took).isLessThan(Duration.ofSeconds(9));
    }

    @Test
    void concurrentQueriesAgainstAPeerServingANearLimitAnswerHoldAtMostTheBoundAndTheOneOverIsRefused()
            throws Exception {
        // A deadline long enough for two answers of 3.5 MB to be decoded on a loaded machine: this is about memory.
        PeerFanout.Limits limits = new PeerFanout.Limits(Duration.ofSeconds(15), 4 << 20, 8 << 20);
        List<BackendStatus> statuses = IntStream.range(0, 12_000).mapToObj(i -> unknown("backend-" + i)).toList();
        byte[] page = page(statuses.stream().map(JSON::statusNode).toList());
        assertThat(page.length).as("near the limit of one answer").isBetween(3 << 20, 4 << 20);
        CountDownLatch thirdRefused = new CountDownLatch(1);
        peer.createContext("/api/status", exchange -> {
            exchange.sendResponseHeaders(200, page.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(page, 0, page.length / 2);
                out.flush();
                // The rest once the test has seen the third query refused: until then the first two hold theirs.
                thirdRefused.await(20, TimeUnit.SECONDS);
                out.write(page, page.length / 2, page.length - page.length / 2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        startApi((byte[]) null, limits);

        List<CompletableFuture<HttpResponse<String>>> answers = List.of(getAsync("/api/status"),
                getAsync("/api/status"), getAsync("/api/status"));
        HttpResponse<?> first = (HttpResponse<?>) CompletableFuture.anyOf(answers.toArray(CompletableFuture[]::new))
                .get(20, TimeUnit.SECONDS);

        assertThat(first.statusCode()).as("%s", first.body()).isEqualTo(503);
        assertThat(MAPPER.readTree((String) first.body()).path("error").asText())
                .contains("127.0.0.1:" + peer.getAddress().getPort()).contains("retry");
        thirdRefused.countDown();
        List<HttpResponse<String>> others = answers.stream().map(CompletableFuture::join).filter(a -> a != first)
                .toList();
        assertThat(others).hasSize(2).allSatisfy(a -> {
            assertThat(a.statusCode()).as(a.body()).isEqualTo(200);
            assertThat(MAPPER.readTree(a.body()).path("total").asInt()).isEqualTo(statuses.size());
        });
        assertThat(queries.mostHeldPeerBytes()).isEqualTo(2L * page.length)
                .isLessThanOrEqualTo(limits.maxHeldBytes());
        // What the answered queries held is given back: the next one is admitted.
        assertThat(get("/api/status").statusCode()).isEqualTo(200);
    }

    @Test
    void aNormalAnswerFromSeveralPeersIsTheirStatusesTransitionsAndChecksMergedAsBefore() throws Exception {
        HttpServer second = startPeerServer();
        StatusState full = StoreValues.full();
        BackendStatus first = unknown("a-first");
        BackendStatus third = unknown("c-third");
        List<JsonNode> history = full.history().stream().<JsonNode>map(JSON::transitionNode).toList();
        ObjectNode checks = MAPPER.createObjectNode().put("id", full.view().id());
        full.checks().checks().forEach(c -> checks.withArray("checks").add(JSON.checkNode(c)));
        // Written a few bytes at a time, so that tokens and items arrive cut across chunks.
        serve(peer, Map.of("/api/status", page(List.of(JSON.statusNode(full.view()), JSON.statusNode(first))),
                "/api/transitions", page(history), "/api/checks", page(List.of(checks))));
        serve(second, Map.of("/api/status", page(List.of(JSON.statusNode(third))),
                "/api/status/c-third", MAPPER.writeValueAsBytes(JSON.statusNode(third)),
                "/api/transitions", page(List.of())));
        startApi(null);

        JsonNode all = MAPPER.readTree(get("/api/status").body());
        assertThat(all.path("total").asInt()).isEqualTo(3);
        assertThat(all.path("items")).containsExactly(asRead(JSON.statusNode(first)), asRead(JSON.statusNode(third)),
                asRead(JSON.statusNode(full.view())));
        assertThat(MAPPER.readTree(get("/api/status/c-third").body())).isEqualTo(asRead(JSON.statusNode(third)));
        assertThat(get("/api/status/nowhere").statusCode()).isEqualTo(404);
        assertThat(MAPPER.readTree(get("/api/transitions").body()).path("items"))
                .containsExactlyElementsOf(full.history().stream()
                        .sorted(Comparator.comparing(StatusTransition::at).reversed())
                        .<JsonNode>map(t -> asRead(JSON.transitionNode(t))).toList());
        // The second peer predates /api/checks (404): left out, as before.
        assertThat(MAPPER.readTree(get("/api/checks").body()).path("items")).containsExactly(asRead(checks));
    }

    /** {@code node} as a reader sees it once written (e.g. a long that fits an int reads as an int). */
    private static JsonNode asRead(JsonNode node) {
        try {
            return MAPPER.readTree(MAPPER.writeValueAsBytes(node));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aPeerThatRefusesTheConnectionIsABadGatewayNamingItBesideOnesThatAnswer() throws Exception {
        HttpServer gone = startPeerServer();
        int port = gone.getAddress().getPort();
        gone.stop(0); // nothing listens on its address any more
        serve(peer, Map.of("/api/status", page(List.of(JSON.statusNode(unknown("a-first"))))));
        startApi(null);

        // Many times: whether the answering peer is done before the refusal is known varies from one to the next,
        // and when it was, the refusal's bare exception (no message, no name) once ended the query.
        for (int i = 0; i < 40; i++) {
            HttpResponse<String> answer = get("/api/status");

            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(502);
            assertThat(MAPPER.readTree(answer.body()).path("error").asText()).as("query %d", i)
                    .contains("127.0.0.1:" + port);
        }
    }

    @Test
    void aPageFromThreeInstancesIsThePageOfAllTheirStatusesForEveryFilterOffsetAndLimit() throws Exception {
        List<BackendStatus> all = generated(300);
        List<List<BackendStatus>> spread = spread(all, 3, new Random(16));
        instance(peer, spread.get(1), null);
        instance(startPeerServer(), spread.get(2), null);
        startApi(stored(spread.get(0)), PeerFanout.Limits.DEFAULTS);

        List<String> filters = List.of("", "&status=UNHEALTHY", "&label=team:b", "&status=HEALTHY&label=zone:eu",
                "&label=zone:nowhere", "&label=" + URLEncoder.encode("odd key:a b&c", StandardCharsets.UTF_8));
        for (String filter : filters) {
            for (int offset : List.of(0, 1, 37, 99, 150, 299, 300, 301, 5000)) {
                for (int limit : List.of(1, 7, 100, 1000)) {
                    String path = "/api/status?offset=" + offset + "&limit=" + limit + filter;
                    StatusFilter wanted = StatusFilter.parse(queryOf(path));

                    assertThat(MAPPER.readTree(get(path).body())).as(path)
                            .isEqualTo(asRead(pageNode(wanted.page(all))));
                }
            }
        }
    }

    @Test
    void aLocalPageOfAnInstanceOwningSeveralPartitionsIsItsMatchesByIdAcrossThem() throws Exception {
        // Read from one partition's store after another, ids came in that order, and the first offset + limit were
        // not the first by id: the asker's merge then missed statuses of the page.
        List<BackendStatus> all = generated(150);
        List<List<BackendStatus>> partitions = spread(all, 3, new Random(21));
        startApi(partitions.stream().map(StatusQueriesPeerTest::stored).toList(), PeerFanout.Limits.DEFAULTS);

        for (String filter : List.of("", "&status=UNHEALTHY", "&label=team:b")) {
            for (int offset : List.of(0, 1, 37, 149, 150, 151)) {
                for (int limit : List.of(1, 7, 100, Integer.MAX_VALUE)) {
                    String path = "/api/status?scope=local&offset=" + offset + "&limit=" + limit + filter;
                    StatusFilter wanted = StatusFilter.parse(queryOf(path.replace("&limit=" + limit, "")));

                    assertThat(MAPPER.readTree(get(path).body())).as(path).isEqualTo(((ObjectNode) asRead(pageNode(
                            wanted.page(all, offset, limit)))).put("scope", "local"));
                }
            }
        }
    }

    @Test
    void aPeersAnswerWithAStatusOutsideTheFilterOrOneBackendTwiceIsABadGatewayNamingIt() throws Exception {
        startApi(null);
        BackendStatus unhealthy = JSON.status(JSON.statusNode(unknown("a-first")).put("status", "UNHEALTHY"));
        BackendStatus healthy = JSON.status(JSON.statusNode(unknown("b-second")).put("status", "HEALTHY"));
        Map<String, Map<String, byte[]>> answers = new LinkedHashMap<>();
        answers.put("/api/status?status=HEALTHY does not match the filter", Map.of("/api/status",
                localPage(List.of(healthy, unhealthy))));
        answers.put("/api/status twice", Map.of("/api/status", localPage(List.of(healthy, healthy))));
        // An earlier version: every status it holds, no "scope", filtered here; and its summary for every instance.
        answers.put("/api/status?label=team:payments twice", Map.of("/api/status",
                page(List.of(JSON.statusNode(healthy), JSON.statusNode(healthy)))));
        answers.put("/api/summary twice", Map.of("/api/summary", MAPPER.writeValueAsBytes(summaryNode(List.of())),
                "/api/status", page(List.of(JSON.statusNode(healthy), JSON.statusNode(healthy)))));
        answers.put("/api/status/a-first when asked for another", Map.of("/api/status/a-first",
                MAPPER.writeValueAsBytes(JSON.statusNode(healthy))));
        for (Map.Entry<String, Map<String, byte[]>> answer : answers.entrySet()) {
            String path = answer.getKey().substring(0, answer.getKey().indexOf(' '));
            serve(peer, answer.getValue());

            HttpResponse<String> got = get(path);

            assertThat(got.statusCode()).as("%s: %s", path, got.body()).isEqualTo(502);
            assertThat(MAPPER.readTree(got.body()).path("error").asText()).as(path)
                    .contains("127.0.0.1:" + peer.getAddress().getPort())
                    .contains(answer.getKey().substring(path.length() + 1));
            peer.removeContext("/");
        }
    }

    @Test
    void oneBackendHeldByTwoInstancesDuringARebalanceIsOneItemTheOneCheckedLast() throws Exception {
        BackendStatus stale = checkedAt("m-moving", StoreValues.T0.plusSeconds(10));
        BackendStatus fresh = checkedAt("m-moving", StoreValues.T0.plusSeconds(20));
        HttpServer second = startPeerServer();
        instance(peer, List.of(fresh, unknown("z-theirs")), null);
        instance(second, List.of(stale), null);
        startApi(stored(List.of(stale, unknown("a-mine"))), PeerFanout.Limits.DEFAULTS);

        JsonNode all = MAPPER.readTree(get("/api/status").body());

        assertThat(all.path("items")).containsExactly(asRead(JSON.statusNode(unknown("a-mine"))),
                asRead(JSON.statusNode(fresh)), asRead(JSON.statusNode(unknown("z-theirs"))));
        assertThat(all.path("total").asInt()).isEqualTo(3);
        JsonNode paged = MAPPER.readTree(get("/api/status?offset=1&limit=1").body());
        assertThat(paged.path("items")).containsExactly(asRead(JSON.statusNode(fresh)));
    }

    private static BackendStatus checkedAt(String id, Instant at) {
        return JSON.status(JSON.statusNode(unknown(id)).put("lastCheckedAt", at.toString()));
    }

    /** A page as this version answers {@code scope=local}: {@code "scope": "local"} and the total of its items. */
    private static byte[] localPage(List<BackendStatus> items) throws IOException {
        ObjectNode page = (ObjectNode) MAPPER.readTree(page(items.stream().map(JSON::statusNode).toList()));
        return MAPPER.writeValueAsBytes(page.put("scope", "local"));
    }

    @Test
    void theSummaryOfThreeInstancesIsTheSummaryOfAllTheirStatuses() throws Exception {
        List<BackendStatus> all = generated(300);
        List<List<BackendStatus>> spread = spread(all, 3, new Random(17));
        instance(peer, spread.get(1), null);
        instance(startPeerServer(), spread.get(2), null);
        startApi(stored(spread.get(0)), PeerFanout.Limits.DEFAULTS);

        assertThat(MAPPER.readTree(get("/api/summary").body())).isEqualTo(summaryNode(all));
        JsonNode local = MAPPER.readTree(get("/api/summary?scope=local").body());
        assertThat(local.path("scope").asText()).isEqualTo("local");
        assertThat(local.path("total").asInt()).isEqualTo(spread.get(0).size());
    }

    @Test
    void countsThatOverflowWithTheOthersAreThePeersFailureNotANegativeTotal() throws Exception {
        List<BackendStatus> mine = generated(3);
        ObjectNode forged = ((ObjectNode) summaryNode(List.of())).put("total", Integer.MAX_VALUE).put("scope", "local");
        serve(peer, Map.of("/api/summary", MAPPER.writeValueAsBytes(forged)));
        startApi(stored(mine), PeerFanout.Limits.DEFAULTS);

        HttpResponse<String> answer = get("/api/summary");

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(502);
        assertThat(MAPPER.readTree(answer.body()).path("error").asText())
                .contains("127.0.0.1:" + peer.getAddress().getPort()).contains("overflow");
    }

    @Test
    void countsThatOverflowWithAnEarlierVersionsStatusesAreABadGatewayNamingAPeerNotADroppedConnection()
            throws Exception {
        // One peer of this version forges a total just under the limit; the statuses of a peer of an earlier
        // version, counted here, take it past: the fallback added them unchecked (an ArithmeticException).
        ObjectNode forged = ((ObjectNode) summaryNode(List.of())).put("total", Integer.MAX_VALUE - 1)
                .put("scope", "local");
        serve(peer, Map.of("/api/summary", MAPPER.writeValueAsBytes(forged)));
        HttpServer earlier = startPeerServer();
        serve(earlier, Map.of("/api/summary", MAPPER.writeValueAsBytes(summaryNode(generated(2))),
                "/api/status", page(generated(2).stream().map(JSON::statusNode).toList())));
        startApi(null);

        HttpResponse<String> answer = get("/api/summary");

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(502);
        assertThat(MAPPER.readTree(answer.body()).path("error").asText())
                .contains("127.0.0.1:" + earlier.getAddress().getPort()).contains("overflow");
    }

    @Test
    void anEarlierVersionsPeerAnsweringForEveryInstanceIsNotCountedTwiceAndItsStatusesAreFilteredHere()
            throws Exception {
        List<BackendStatus> all = generated(120);
        List<List<BackendStatus>> spread = spread(all, 3, new Random(18));
        instance(startPeerServer(), spread.get(2), null);
        // An earlier version: scope ignored on /api/summary (every instance counted), and on /api/status every
        // status it holds, unfiltered and unpaged, without "scope".
        serve(peer, Map.of("/api/summary", MAPPER.writeValueAsBytes(summaryNode(all)),
                "/api/status", page(spread.get(1).stream().map(JSON::statusNode).toList())));
        startApi(stored(spread.get(0)), PeerFanout.Limits.DEFAULTS);

        assertThat(MAPPER.readTree(get("/api/summary").body())).isEqualTo(summaryNode(all));
        for (String path : List.of("/api/status?status=UNHEALTHY&limit=3", "/api/status?label=team:c&offset=10",
                "/api/status?limit=1000", "/api/status?offset=119&limit=1")) {
            assertThat(MAPPER.readTree(get(path).body())).as(path)
                    .isEqualTo(asRead(pageNode(StatusFilter.parse(queryOf(path)).page(all))));
        }
    }

    @Test
    void aViewersPageAndSummaryAtOnceBothAnswerWhereTheWholeStatusesOfEveryPeerDidNotFitTwice() throws Exception {
        List<BackendStatus> all = generated(8_000);
        List<List<BackendStatus>> spread = List.of(all.subList(0, 100), all.subList(100, 4_050),
                all.subList(4_050, 8_000));
        // Each peer answers once both queries have asked it: the two are in progress at once, as a refresh's are.
        instance(peer, spread.get(1), new CountDownLatch(2));
        instance(startPeerServer(), spread.get(2), new CountDownLatch(2));
        int whole = page(spread.get(1).stream().map(JSON::statusNode).toList()).length; // one peer's every status
        // Room for one query holding every status of both peers, not two: what the status page's two did.
        PeerFanout.Limits limits = new PeerFanout.Limits(Duration.ofSeconds(15), 2 * whole, 3L * whole);
        startApi(stored(spread.get(0)), limits);

        CompletableFuture<HttpResponse<String>> statusPage = getAsync("/api/status?limit=1000");
        CompletableFuture<HttpResponse<String>> summary = getAsync("/api/summary");

        HttpResponse<String> paged = statusPage.get(30, TimeUnit.SECONDS);
        assertThat(paged.statusCode()).as(paged.body()).isEqualTo(200);
        assertThat(MAPPER.readTree(paged.body())).isEqualTo(asRead(pageNode(StatusFilter.parse(
                Map.of("limit", "1000")).page(all))));
        HttpResponse<String> counted = summary.get(30, TimeUnit.SECONDS);
        assertThat(counted.statusCode()).as(counted.body()).isEqualTo(200);
        assertThat(MAPPER.readTree(counted.body())).isEqualTo(summaryNode(all));
        // Two pieces of 1,000 statuses and two summaries: less than one peer's every status.
        assertThat(queries.mostHeldPeerBytes()).isPositive().isLessThan(whole);
    }

    @Test
    void theNewestTransitionsOfThreeInstancesAreTheNewestOfAllTheirHistories() throws Exception {
        // Each instance is asked for its newest `limit` since `since`; the newest of all are among them.
        List<StatusState> all = withHistories(generated(90), new Random(19));
        List<List<StatusState>> spread = List.of(all.subList(0, 30), all.subList(30, 60), all.subList(60, 90));
        new StatusApi(peer, new LocalStatuses(spread.get(1)), JSON, MAPPER);
        new StatusApi(startPeerServer(), new LocalStatuses(spread.get(2)), JSON, MAPPER);
        SortedMap<String, byte[]> stored = new TreeMap<>();
        spread.get(0).forEach(s -> stored.put(s.view().id(), JSON.encode(s)));
        startApi(stored, PeerFanout.Limits.DEFAULTS);

        String since200 = "since=" + StoreValues.T0.plusSeconds(200);
        for (String query : List.of("limit=1", "limit=25", "limit=1000", since200 + "&limit=7")) {
            Map<String, String> parsed = queryOf("/api/transitions?" + query);
            Instant since = Instant.parse(parsed.getOrDefault("since", Instant.EPOCH.toString()));
            List<StatusTransition> newest = all.stream().flatMap(s -> s.history().stream())
                    .filter(t -> !t.at().isBefore(since)).sorted(Comparator.comparing(StatusTransition::at).reversed())
                    .limit(Integer.parseInt(parsed.get("limit"))).toList();
            HttpResponse<String> answer = get("/api/transitions?" + query);

            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(MAPPER.readTree(answer.body()).path("items")).as(query)
                    .isEqualTo(asRead(MAPPER.valueToTree(newest.stream().map(JSON::transitionNode).toList())));
        }
        // An instance of the version before asks for every transition: answered, not refused as over the limit.
        HttpResponse<String> asked = get("/api/transitions?scope=local&limit=" + Integer.MAX_VALUE);
        assertThat(asked.statusCode()).as(asked.body()).isEqualTo(200);
        assertThat(MAPPER.readTree(asked.body()).path("items")).hasSize(
                (int) spread.get(0).stream().mapToLong(s -> s.history().size()).sum());
    }

    /** Each status given a history of up to four transitions, every one at a second of its own. */
    private static List<StatusState> withHistories(List<BackendStatus> statuses, Random random) {
        List<Integer> seconds = IntStream.range(0, statuses.size() * 4).boxed().collect(Collectors.toList());
        Collections.shuffle(seconds, random);
        Iterator<Integer> at = seconds.iterator();
        return statuses.stream().map(status -> {
            List<StatusTransition> history = IntStream.range(0, random.nextInt(5)).mapToObj(i -> new StatusTransition(
                    status.id(), status.name(), status.labels(), StatusTransition.Kind.CHANGE, HealthStatus.UNKNOWN,
                    HealthStatus.UNHEALTHY, Optional.empty(), StoreValues.T0.plusSeconds(at.next())))
                    .sorted(Comparator.comparing(StatusTransition::at).reversed()).toList();
            StatusState fresh = StatusState.fresh(status);
            return new StatusState(status, fresh.applied(), fresh.flapping(), fresh.availability(), history,
                    fresh.checks());
        }).toList();
    }

    /** {@code count} statuses: ids of several lengths, every status, labels on some (one key with odd characters). */
    private static List<BackendStatus> generated(int count) {
        Random random = new Random(count);
        List<String> statuses = List.of("UNKNOWN", "HEALTHY", "DEGRADED", "UNHEALTHY", "UNAUTHENTICATED");
        return IntStream.range(0, count).mapToObj(i -> {
            ObjectNode node = JSON.statusNode(unknown("b-" + Integer.toString(i * 7919 % (count * 3), 36)));
            node.put("status", statuses.get(random.nextInt(statuses.size())));
            ObjectNode labels = node.putObject("labels").put("team", List.of("a", "b", "c").get(i % 3));
            if (random.nextBoolean()) {
                labels.put("zone", random.nextBoolean() ? "eu" : "us");
            }
            if (i % 5 == 0) {
                labels.put("odd key", "a b&c");
            }
            return JSON.status(node);
        }).toList();
    }

    /** {@code all} dealt at random to {@code instances} instances. */
    private static List<List<BackendStatus>> spread(List<BackendStatus> all, int instances, Random random) {
        List<List<BackendStatus>> spread = IntStream.range(0, instances).<List<BackendStatus>>mapToObj(
                i -> new ArrayList<>()).toList();
        all.forEach(s -> spread.get(random.nextInt(instances)).add(s));
        return spread;
    }

    private static SortedMap<String, byte[]> stored(List<BackendStatus> statuses) {
        SortedMap<String, byte[]> stored = new TreeMap<>();
        statuses.forEach(s -> stored.put(s.id(), JSON.encode(StatusState.fresh(s))));
        return stored;
    }

    /**
     * Another instance as this version answers: the real API over the statuses it holds. With a {@code gate}, it
     * reads them only once as many queries as the gate counts have asked it.
     */
    private void instance(HttpServer server, List<BackendStatus> holds, CountDownLatch gate) {
        new StatusApi(server, new LocalStatuses(holds.stream().map(StatusState::fresh).toList(),
                gate == null ? () -> { } : () -> await(gate)), JSON, MAPPER);
    }

    /** Counts {@code gate} down and waits until every query it counts has done so. */
    private static void await(CountDownLatch gate) {
        gate.countDown();
        try {
            assertThat(gate.await(20, TimeUnit.SECONDS)).as("every query asked this instance").isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A page as the API writes it. */
    private static JsonNode pageNode(StatusFilter.Page page) {
        ObjectNode node = MAPPER.createObjectNode();
        page.items().forEach(s -> node.withArray("items").add(JSON.statusNode(s)));
        node.withArray("items");
        return node.put("total", page.total()).put("offset", page.offset()).put("limit", page.limit());
    }

    /** The summary of {@code statuses} as the API writes it. */
    private static JsonNode summaryNode(List<BackendStatus> statuses) {
        StatusFilter.Summary summary = StatusFilter.summarize(statuses);
        ObjectNode node = MAPPER.createObjectNode().put("total", summary.total());
        summary.byStatus().forEach((status, count) -> node.with("byStatus").put(status.name(), count));
        ObjectNode byLabel = node.putObject("byLabel");
        summary.byLabel().forEach((key, values) -> values.forEach((value, counts) -> counts.forEach((status, count) ->
                byLabel.with(key).with(value).put(status.name(), count))));
        return node;
    }

    private static Map<String, String> queryOf(String path) {
        Map<String, String> query = new TreeMap<>();
        for (String pair : URI.create(path).getRawQuery().split("&")) {
            int eq = pair.indexOf('=');
            query.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return query;
    }

    /** A status of a backend just registered, with every other field empty. */
    private static BackendStatus unknown(String id) {
        return BackendStatus.unknown(new TrackedBackend(id, "Backend " + id, Map.of("team", "payments"),
                new RegistrationVersion(1, 42), new Thresholds(3, 2), Duration.ofSeconds(30), Duration.ofSeconds(2),
                "[http://" + id + ".internal/healthz]"), StoreValues.T0);
    }

    /** A page as the API writes one. */
    private static byte[] page(List<? extends JsonNode> items) throws IOException {
        ObjectNode page = MAPPER.createObjectNode();
        page.putArray("items").addAll(items);
        return MAPPER.writeValueAsBytes(page.put("total", items.size()).put("offset", 0).put("limit", items.size()));
    }

    /** Answers each path (the query ignored) with its body, seven bytes at a time; any other path is a 404. */
    private static void serve(HttpServer server, Map<String, byte[]> bodies) {
        server.createContext("/", exchange -> {
            byte[] body = bodies.get(exchange.getRequestURI().getPath());
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
                return;
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int at = 0; at < body.length; at += 7) {
                    out.write(body, at, Math.min(7, body.length - at));
                    out.flush();
                }
            }
        });
    }

    /** A peer that sends its headers, then its body one byte at a time, for ever. */
    private static void trickle(HttpExchange exchange) throws IOException {
        exchange.sendResponseHeaders(200, 0); // a body of unknown length
        try (OutputStream out = exchange.getResponseBody()) {
            while (true) {
                out.write(' ');
                out.flush();
                TimeUnit.MILLISECONDS.sleep(200); // the fault under test: a peer that answers slowly
            }
        } catch (IOException | InterruptedException e) {
            // the API gave up on it and closed the connection: what should happen
        }
    }

    private CompletableFuture<HttpResponse<String>> getAsync(String path) {
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.getAddress().getPort()
                + path)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
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

    /** A Streams application (never started): {@code store} is its own, {@code peers} its other instances. */
    static final class PeerStreams extends KafkaStreams {
        private final List<HostInfo> peers;
        private final List<StoredValues> partitions;
        private final HostInfo self;
        /** The state queries see; Streams' own (never started: CREATED) when null. */
        volatile State shownState;

        PeerStreams(List<HostInfo> peers, Map<String, Object> config, StoredValues store) {
            this(peers, config, List.of(store));
        }

        /** This instance owns partitions 0 … n - 1, whose stores are {@code partitions}. */
        PeerStreams(List<HostInfo> peers, Map<String, Object> config, List<StoredValues> partitions) {
            super(StatusTopology.build(Topics.DEFAULTS, CheckDefaults.STANDARD, AggregatorSettings.DEFAULTS,
                    new SimpleMeterRegistry()), KafkaSettings.toProperties(config));
            this.peers = peers;
            this.partitions = partitions;
            this.self = HostInfo.buildFromEndpoint((String) config.get(StreamsConfig.APPLICATION_SERVER_CONFIG));
        }

        @Override
        public State state() {
            State shown = shownState;
            return shown == null ? super.state() : shown;
        }

        @Override
        public Collection<StreamsMetadata> streamsMetadataForStore(String storeName) {
            Set<TopicPartition> owned = IntStream.range(0, partitions.size())
                    .mapToObj(p -> new TopicPartition(Topics.DEFAULTS.registry(), p)).collect(Collectors.toSet());
            return List.of(new StreamsMetadataImpl(self, Set.of(StatusStores.STATUSES), owned, Set.of(), Set.of()));
        }

        @Override
        public Collection<StreamsMetadata> metadataForAllStreamsClients() {
            return peers.stream().<StreamsMetadata>map(peer -> new StreamsMetadataImpl(peer,
                    Set.of(StatusStores.STATUSES), Set.of(), Set.of(), Set.of())).toList();
        }

        /** A partition's store; without one, a store over all of them (as Streams', for a look-up by id). */
        @Override
        @SuppressWarnings("unchecked")
        public <T> T store(StoreQueryParameters<T> parameters) {
            if (parameters.partition() != null) {
                return (T) partitions.get(parameters.partition());
            }
            SortedMap<String, byte[]> all = new TreeMap<>();
            partitions.forEach(p -> all.putAll(p.values()));
            return (T) new StoredValues(all);
        }
    }

    /** A statuses store holding {@code values} by id. */
    record StoredValues(SortedMap<String, byte[]> values) implements ReadOnlyKeyValueStore<String, byte[]> {
        @Override
        public byte[] get(String k) {
            return values.get(k);
        }

        @Override
        public KeyValueIterator<String, byte[]> range(String from, String to) {
            return all();
        }

        @Override
        public KeyValueIterator<String, byte[]> all() {
            Iterator<KeyValue<String, byte[]>> entries = values.entrySet().stream()
                    .map(e -> KeyValue.pair(e.getKey(), e.getValue())).iterator();
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
            return values.size();
        }
    }
}
