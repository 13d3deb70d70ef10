package dev.healthmon.aggregate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.healthmon.json.Json;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.support.LoopbackPorts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the status page's refresh (a page of 1,000 and the summary, at once) holds of other instances' answers at
 * 64,000 backends over 3 instances, the way this version asks (each instance pages or counts its own) and the way
 * the previous one did (every status of every instance, paged or counted here), and what a deep page holds
 * (docs/design.md §8.6, docs/BENCHMARKS.md). Real HTTP on loopback, the real API on two peers; no broker:
 * {@code flock /work/heavy.lock mvn -B -o -Pbench test -Dtest=StatusPageQueryBench}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StatusPageQueryBench {

    private static final ObjectMapper MAPPER = Json.mapper();
    private static final StatusJson JSON = new StatusJson(MAPPER);
    private static final int BACKENDS = 64_000;

    @Test
    void heldByARefreshAndByADeepPage() throws Exception {
        BackendStatus full = StoreValues.full().view();
        List<List<StatusState>> spread = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < BACKENDS; i++) {
            ObjectNode node = JSON.statusNode(full).put("id", String.format("backend-%05d", i));
            node.putObject("labels").put("team", "team-" + i % 20).put("zone", "zone-" + i % 3);
            spread.get(i % 3).add(StatusState.fresh(JSON.status(node)));
        }
        ExecutorService handlers = Executors.newCachedThreadPool();
        List<HttpServer> servers = new ArrayList<>();
        Path stateDir = Files.createTempDirectory("status-page-bench");
        try {
            for (List<StatusState> states : spread.subList(1, 3)) {
                HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
                new StatusApi(server, new LocalStatuses(states), JSON, MAPPER);
                server.setExecutor(handlers);
                server.start();
                servers.add(server);
            }
            SortedMap<String, byte[]> stored = new TreeMap<>();
            spread.get(0).forEach(s -> stored.put(s.view().id(), JSON.encode(s)));
            HostInfo self = new HostInfo("127.0.0.1", LoopbackPorts.unused());
            try (StatusQueriesPeerTest.PeerStreams streams = new StatusQueriesPeerTest.PeerStreams(servers.stream()
                    .map(s -> new HostInfo("127.0.0.1", s.getAddress().getPort())).toList(),
                    KafkaSettings.of("127.0.0.1:" + LoopbackPorts.unused()).streams("page-bench", "127.0.0.1:"
                            + self.port(), stateDir.toString(), 0), new StatusQueriesPeerTest.StoredValues(stored))) {
                StatusFilter refresh = StatusFilter.parse(Map.of("limit", "1000"));
                StatusFilter deep = StatusFilter.parse(Map.of("offset", "30000", "limit", "100"));
                System.out.printf("%-34s %16s %10s%n", "query (64,000 backends, 3 inst.)", "held peer bytes", "ms");
                for (int round = 0; round < 3; round++) { // the first round warms the JIT up
                    StatusQueries now = queries(streams, self);
                    report("refresh, each instance its own", now::mostHeldPeerBytes, () -> both(handlers,
                            () -> now.page(refresh), now::summary));
                    try (PeerFanout before = new PeerFanout(UNBOUNDED, MAPPER)) {
                        report("refresh, every status here", before::mostHeldBytes, () -> both(handlers,
                                () -> everyStatus(before, now, refresh::page),
                                () -> everyStatus(before, now, StatusFilter::summarize)));
                    }
                    try (StatusQueries deeper = queries(streams, self)) {
                        report("page at offset 30,000", deeper::mostHeldPeerBytes, () -> deeper.page(deep));
                    }
                    now.close();
                }
            }
        } finally {
            servers.forEach(s -> s.stop(0));
            handlers.shutdownNow();
        }
    }

    /** A budget that refuses nothing, so that the most held is what the queries need. */
    private static final PeerFanout.Limits UNBOUNDED = new PeerFanout.Limits(Duration.ofSeconds(60),
            Integer.MAX_VALUE, Long.MAX_VALUE);

    private static StatusQueries queries(StatusQueriesPeerTest.PeerStreams streams, HostInfo self) {
        return new StatusQueries(streams, self, JSON, MAPPER, new SimpleMeterRegistry(), UNBOUNDED);
    }

    /**
     * The previous version's way: every status of every instance (its own from {@code local}, the others' asked
     * for whole) handed to {@code use} here, the others' answers held until it returns.
     */
    private static <R> R everyStatus(PeerFanout fanout, StatusQueries local, Function<List<BackendStatus>, R> use)
            throws Exception {
        try (PeerFanout.Query query = fanout.open()) {
            List<BackendStatus> statuses = new ArrayList<>();
            local.eachLocal(s -> statuses.add(s.view()));
            fanout.ask(query, local.others(), "/api/status?scope=local&limit=" + Integer.MAX_VALUE,
                    PeerItems.Shape.PAGE, JSON::status, status -> false).forEach(statuses::addAll);
            return use.apply(statuses);
        }
    }

    @FunctionalInterface
    private interface Query {
        Object run() throws Exception;
    }

    /** Both at once, as the status page sends them (on threads of their own: the common pool may have one). */
    private static Object both(ExecutorService threads, Query first, Query second) {
        CompletableFuture<Object> one = CompletableFuture.supplyAsync(() -> unchecked(first), threads);
        CompletableFuture<Object> two = CompletableFuture.supplyAsync(() -> unchecked(second), threads);
        return List.of(one.join(), two.join());
    }

    private static Object unchecked(Query query) {
        try {
            return query.run();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void report(String name, LongSupplier held, Query query) throws Exception {
        long start = System.nanoTime();
        query.run();
        System.out.printf("%-34s %16d %10.0f%n", name, held.getAsLong(),
                (System.nanoTime() - start) / 1e6);
    }
}
