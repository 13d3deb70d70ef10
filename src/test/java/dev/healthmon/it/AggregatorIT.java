package dev.healthmon.it;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.healthmon.MonitorConfig;
import dev.healthmon.MonitorService;
import dev.healthmon.aggregate.AggregatorConfig;
import dev.healthmon.aggregate.AggregatorService;
import dev.healthmon.aggregate.AggregatorSettings;
import dev.healthmon.kafka.EmbeddedKafka;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.TopicAdmin;
import dev.healthmon.kafka.Topics;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registry.RegistryWriter;
import dev.healthmon.support.CliRun;
import dev.healthmon.support.HeadlessChromium;
import dev.healthmon.support.LoopbackPorts;
import dev.healthmon.support.Schemas;
import dev.healthmon.support.TopicTail;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Monitor + aggregator on a real broker: five kinds of backends (and one the test takes down)
 * reach their statuses in the query API, the status topics hold schema-valid records, and the
 * status page, in a real headless Chromium, shows them, filters and groups them as asked, and
 * follows a backend going down.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the page test takes a backend down: it goes last
class AggregatorIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Map<String, String> EXPECTED = Map.of(
            "healthy", "HEALTHY", "slow", "DEGRADED", "failing", "UNHEALTHY", "dead", "UNHEALTHY",
            "auth", "UNAUTHENTICATED", "toggle", "HEALTHY");

    @TempDir
    static Path stateDir;
    private static EmbeddedKafka kafka;
    private static KafkaSettings settings;
    private static HttpServer backends;
    private static final AtomicBoolean toggleUp = new AtomicBoolean(true);
    private static MonitorService monitor;
    private static AggregatorService aggregator;
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startEverything() throws Exception {
        kafka = EmbeddedKafka.start(OptionalInt.empty());
        settings = KafkaSettings.of(kafka.bootstrapServers());
        try (TopicAdmin admin = new TopicAdmin(settings, Topics.DEFAULTS)) {
            admin.createTopics(3, (short) 1);
        }
        backends = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        backends.createContext("/healthy", e -> respond(e, 200));
        backends.createContext("/slow", e -> {
            pause(300);
            respond(e, 200);
        });
        backends.createContext("/failing", e -> respond(e, 503));
        backends.createContext("/auth", e -> respond(e, 401));
        backends.createContext("/toggle", e -> respond(e, toggleUp.get() ? 200 : 503));
        backends.setExecutor(Executors.newFixedThreadPool(4));
        backends.start();
        monitor = MonitorService.start(MonitorConfig.defaults(settings, "it-monitor"), new SimpleMeterRegistry());
        aggregator = AggregatorService.start(new AggregatorConfig(settings, Topics.DEFAULTS, "it-aggregator",
                CheckDefaults.STANDARD, AggregatorSettings.DEFAULTS, "127.0.0.1", 0, "127.0.0.1", stateDir, 0),
                new SimpleMeterRegistry());

        String base = "http://127.0.0.1:" + backends.getAddress().getPort();
        int deadPort = LoopbackPorts.unused(); // nothing listens there
        try (RegistryWriter writer = new RegistryWriter(settings, Topics.DEFAULTS.registry())) {
            // Label keys that name Object.prototype's members: the status page must group by them as by any other.
            register(writer, "healthy", base + "/healthy", "payments", j -> ((ObjectNode) j.get("labels"))
                    .put("constructor", "ctor-label").put("__proto__", "proto-label"));
            // Slow is 300 ms against a 100 ms threshold; the timeout leaves room for a loaded machine, where
            // 500 ms could turn slow into a timeout.
            register(writer, "slow", base + "/slow", "search", j -> ((ObjectNode) j.get("healthCheck"))
                    .put("degradedLatencyMs", 100).put("intervalMs", 3000).put("timeoutMs", 2500));
            register(writer, "failing", base + "/failing", "search", j -> {});
            register(writer, "dead", "http://127.0.0.1:" + deadPort + "/", "legacy", j -> {});
            register(writer, "auth", base + "/auth", "payments", j -> {});
            register(writer, "toggle", base + "/toggle", "payments", j -> {});
        }
    }

    private static void register(RegistryWriter writer, String id, String url, String team, Consumer<ObjectNode> edit) {
        writer.register(id, bytes(json(id, url, j -> {
            ((ObjectNode) j.get("healthCheck")).put("intervalMs", 700).put("timeoutMs", 500).put("jitterPercent", 0);
            j.putObject("labels").put("team", team);
            edit.accept(j);
        })));
    }

    @AfterAll
    static void stopEverything() throws Exception {
        if (aggregator != null) {
            aggregator.close();
        }
        if (monitor != null) {
            monitor.close();
        }
        if (backends != null) {
            backends.stop(0);
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    private static JsonNode get(String pathAndQuery) throws Exception {
        return get(aggregator, pathAndQuery);
    }

    private static JsonNode get(AggregatorService instance, String pathAndQuery) throws Exception {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + instance.httpPort() + pathAndQuery)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        return MAPPER.readTree(response.body());
    }

    private static Map<String, String> apiStatuses() throws Exception {
        Map<String, String> statuses = new HashMap<>();
        get("/api/status").path("items").forEach(s -> statuses.put(s.get("id").asText(), s.get("status").asText()));
        return statuses;
    }

    @Test
    @Order(1)
    void queryApiReportsEveryBackendsStatusAndTheSummaryCountsThem() throws Exception {
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .untilAsserted(() -> assertThat(apiStatuses()).containsAllEntriesOf(EXPECTED));

        HttpResponse<String> ready = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + aggregator.httpPort() + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);

        JsonNode one = get("/api/status/slow");
        assertThat(one.get("reason").asText()).isEqualTo("SLOW");
        assertThat(one.get("labels").get("team").asText()).isEqualTo("search");
        JsonNode unhealthy = get("/api/status?status=UNHEALTHY");
        assertThat(unhealthy.get("total").asInt()).isEqualTo(2);
        JsonNode payments = get("/api/status?label=team:payments&limit=2");
        assertThat(payments.get("total").asInt()).isEqualTo(3);
        assertThat(payments.get("items")).hasSize(2);
        JsonNode summary = get("/api/summary");
        assertThat(summary.get("total").asInt()).isEqualTo(6);
        assertThat(summary.path("byStatus").path("UNHEALTHY").asInt()).isEqualTo(2);
        assertThat(summary.path("byLabel").path("team").path("payments").path("HEALTHY").asInt())
                .isGreaterThanOrEqualTo(1);
        assertThat(get("/api/transitions?since=2000-01-01T00:00:00Z").path("items")).isNotEmpty();
        assertThat(checkOutcomes(aggregator)).containsOnlyKeys(EXPECTED.keySet())
                .hasEntrySatisfying("failing", outcomes -> assertThat(outcomes).isNotEmpty().containsOnly("UNHEALTHY"))
                .hasEntrySatisfying("healthy", outcomes -> assertThat(outcomes).isNotEmpty().containsOnly("HEALTHY"));

        HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + aggregator.httpPort() + "/api/status/nope")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(unknown.statusCode()).isEqualTo(404);
        HttpResponse<String> bad = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + aggregator.httpPort() + "/api/status?status=SIDEWAYS")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("status: must be one of");
    }

    @Test
    @Order(2)
    void statusAndTailCommandsShowWhatTheClusterKnows() throws Exception {
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .untilAsserted(() -> assertThat(apiStatuses()).containsAllEntriesOf(EXPECTED));
        String aggregatorUrl = "http://127.0.0.1:" + aggregator.httpPort();

        CliRun all = CliRun.of("status", "--aggregator", aggregatorUrl);
        assertThat(all.exit()).as(all.err()).isZero();
        assertThat(all.out()).contains("6 of 6 backends").containsPattern("failing\\s+UNHEALTHY")
                .containsPattern("slow\\s+DEGRADED \\(SLOW\\)");
        assertThat(CliRun.of("status", "--aggregator", aggregatorUrl,
                "auth").out()).contains("UNAUTHENTICATED (AUTH_REQUIRED)");
        assertThat(CliRun.of("status", "--aggregator", aggregatorUrl, "--status", "SIDEWAYS").exit()).isEqualTo(2);
        assertThat(CliRun.of("status", "--aggregator", aggregatorUrl, "nope").exit()).isEqualTo(1);

        CliRun tail = CliRun.of("tail", "--bootstrap-servers", kafka.bootstrapServers(), "--from-beginning",
                "--backend", "failing",
                "--max-records", "3");
        assertThat(tail.exit()).as(tail.err()).isZero();
        assertThat(tail.out().lines().toList()).hasSize(3).allSatisfy(line -> assertThat(line).contains("failing"));
        CliRun transitions = CliRun.of("tail", "--bootstrap-servers", kafka.bootstrapServers(), "--transitions",
                "--from-beginning",
                "--label", "team=search", "--json", "--max-records", "1");
        assertThat(MAPPER.readTree(transitions.out()).path("labels").path("team").asText()).isEqualTo("search");
        assertThat(CliRun.of("tail", "--bootstrap-servers", kafka.bootstrapServers(), "--label",
                "team=search").exit()).isEqualTo(2);
    }

    @Test
    @Order(2)
    void statusAndTransitionRecordsValidateAgainstTheirSchemas() throws Exception {
        Schema status = Schemas.load("backend-status.v1.schema.json");
        Schema transition = Schemas.load("status-transition.v1.schema.json");
        try (TopicTail statuses = new TopicTail(settings, Topics.DEFAULTS.status());
             TopicTail transitions = new TopicTail(settings, Topics.DEFAULTS.transitions())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> statuses.records().size() >= 12
                    && transitions.records().size() >= 5);
            assertThat(statuses.records()).allSatisfy(r ->
                    assertThat(Schemas.validate(status, r.value())).as(new String(r.value(),
                    StandardCharsets.UTF_8)).isEmpty());
            assertThat(transitions.records()).allSatisfy(r ->
                    assertThat(Schemas.validate(transition, r.value())).as(new String(r.value(),
                    StandardCharsets.UTF_8)).isEmpty());
        }
    }

    @Test
    @Order(3)
    void aSecondInstanceSharesTheWorkAndEitherAnswersForAllBackends(@TempDir Path secondStateDir) throws Exception {
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .untilAsserted(() -> assertThat(apiStatuses()).containsAllEntriesOf(EXPECTED));
        try (AggregatorService second = AggregatorService.start(new AggregatorConfig(settings, Topics.DEFAULTS,
                "it-aggregator", CheckDefaults.STANDARD, AggregatorSettings.DEFAULTS, "127.0.0.1", 0, "127.0.0.1",
                secondStateDir, 0), new SimpleMeterRegistry())) {
            // While the two instances rebalance, local queries answer 503 (documented): retry through it.
            AtomicInteger ownedBySecond = new AtomicInteger();
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                ownedBySecond.set(second.ready() && aggregator.ready() ? localCount(second) : 0);
                return ownedBySecond.get() > 0;
            });
            assertThat(ownedBySecond.get()).as("the second instance owns some backends, not all").isLessThan(6);

            for (AggregatorService instance : new AggregatorService[] {aggregator, second}) {
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
                    JsonNode all = get(instance, "/api/status");
                    assertThat(all.get("total").asInt()).isEqualTo(6);
                    for (String id : EXPECTED.keySet()) {
                        assertThat(get(instance, "/api/status/" + id).get("id").asText()).isEqualTo(id);
                    }
                    assertThat(checkOutcomes(instance)).as("each instance answers for every backend's checks")
                            .containsOnlyKeys(EXPECTED.keySet()).allSatisfy((id, outcomes) ->
                                    assertThat(outcomes).isNotEmpty());
                });
            }
        }
    }

    /** Backend id → outcomes of its recent checks, oldest first, from {@code /api/checks}. */
    private static Map<String, List<String>> checkOutcomes(AggregatorService instance) throws Exception {
        Map<String, List<String>> outcomes = new HashMap<>();
        get(instance, "/api/checks").path("items").forEach(item -> {
            List<String> list = new ArrayList<>();
            item.path("checks").forEach(c -> list.add(c.path("outcome").asText()));
            outcomes.put(item.path("id").asText(), list);
        });
        return outcomes;
    }

    private static int localCount(AggregatorService instance) throws Exception {
        return get(instance, "/api/status?scope=local").get("total").asInt();
    }

    @Test
    @Order(4)
    void statusPageShowsEveryBackendAndFollowsOneGoingDown() throws Exception {
        String page = "http://127.0.0.1:" + aggregator.httpPort() + "/";
        // A screenshot left by an earlier run must not pass for this one's.
        Path screenshot = Path.of("target", "status-page.png");
        Files.deleteIfExists(screenshot);
        String rows = "JSON.stringify(Object.fromEntries([...document.querySelectorAll('tr[data-backend-id]')]"
                + ".map(r => [r.dataset.backendId, r.dataset.status])))";
        try (HeadlessChromium chromium = HeadlessChromium.open(page)) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                    assertThat(statusesOnPage(chromium, rows)).containsAllEntriesOf(EXPECTED));
            assertThat(chromium.evaluate("document.getElementById('summary').innerText").asText())
                    .contains("6 backends");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(chromium.evaluate(
                    "[...document.querySelectorAll('tr[data-backend-id]')].every(r => r.querySelector("
                    + "'.tick') && r.querySelector('svg.sparkline'))").asBoolean()).as("every row has ticks").isTrue());
            filterAndGroupingShowWhatWasAskedFor(chromium);

            toggleUp.set(false); // the page is not reloaded: it must pick the change up by itself
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                    assertThat(statusesOnPage(chromium, rows)).containsEntry("toggle", "UNHEALTHY"));
            assertThat(chromium.evaluate("document.querySelector('tr[data-backend-id=toggle]').innerText").asText())
                    .contains("UNHEALTHY").contains("HTTP 503");
            chromium.screenshot(screenshot);
        } finally {
            toggleUp.set(true);
        }
        byte[] png = Files.readAllBytes(screenshot);
        assertThat(png).as("a PNG written by this run").startsWith(0x89, 'P', 'N', 'G').hasSizeGreaterThan(1000);
    }

    /**
     * Types filters and picks groupings as a user would, each read back in the evaluation that set it: every
     * expected group is non-empty, so neither an empty page nor an earlier rendering can pass for it.
     */
    private static void filterAndGroupingShowWhatWasAskedFor(HeadlessChromium chromium) throws Exception {
        List<String> others = List.of("auth", "dead", "failing", "slow", "toggle");
        assertThat(groupsAfter(chromium, "", "team")).isEqualTo(Map.of("team: legacy (1)", List.of("dead"),
                "team: payments (3)", List.of("auth", "healthy", "toggle"), "team: search (2)",
                List.of("failing", "slow")));
        assertThat(groupsAfter(chromium, "payments", "")).isEqualTo(Map.of("all backends (3)",
                List.of("auth", "healthy", "toggle")));
        assertThat(groupsAfter(chromium, "SEARCH unhealthy", "")).as("every word must match, in any case")
                .isEqualTo(Map.of("all backends (1)", List.of("failing")));
        assertThat(groupsAfter(chromium, "no-backend-is-called-this", "")).isEmpty();
        assertThat(chromium.evaluate("document.getElementById('groups').innerText").asText())
                .contains("No backends match.");
        // Reported: the backends without such a label were grouped under "function Object() { [native code] }".
        assertThat(groupsAfter(chromium, "", "constructor")).isEqualTo(Map.of(
                "constructor: (no constructor) (5)", others, "constructor: ctor-label (1)", List.of("healthy")));
        assertThat(groupsAfter(chromium, "", "__proto__")).isEqualTo(Map.of(
                "__proto__: (no __proto__) (5)", others, "__proto__: proto-label (1)", List.of("healthy")));

        // "(none)" is a choice too: the next poll must not put the default grouping back.
        assertThat(groupsAfter(chromium, "", "")).containsOnlyKeys("all backends (6)");
        // Counted from after the choice: a poll rendering before it would prove nothing.
        chromium.evaluate("window.healthmonRenders = 0; new MutationObserver(() => window.healthmonRenders++)"
                + ".observe(document.getElementById('updated'), {childList: true, characterData: true, subtree: "
                + "true})");
        await().atMost(Duration.ofSeconds(30)).until(() -> chromium.evaluate("window.healthmonRenders").asInt() >= 1);
        assertThat(chromium.evaluate("document.getElementById('group-by').value").asText()).isEmpty();
        assertThat(groupsAfter(chromium, "", "team")).hasSize(3);
    }

    /** Sets the filter box and the grouping (firing their events), then returns heading → backend ids of each group. */
    private static Map<String, List<String>> groupsAfter(HeadlessChromium chromium, String filter, String groupBy)
            throws Exception {
        String script = "(() => {"
                + " const filter = document.getElementById('filter'); filter.value = "
                + MAPPER.writeValueAsString(filter) + ";"
                + " filter.dispatchEvent(new Event('input'));"
                + " const group = document.getElementById('group-by'); group.value = "
                + MAPPER.writeValueAsString(groupBy) + ";"
                + " if (group.value !== " + MAPPER.writeValueAsString(groupBy)
                + ") throw new Error('no grouping option ' + "
                + MAPPER.writeValueAsString(groupBy) + ");"
                + " group.dispatchEvent(new Event('change'));"
                + " return JSON.stringify([...document.querySelectorAll('#groups section')].map(section =>"
                + " [section.querySelector('h2').textContent,"
                + " [...section.querySelectorAll('tr[data-backend-id]')].map(row => row.dataset.backendId).sort()]));"
                + " })()";
        Map<String, List<String>> groups = new HashMap<>();
        for (JsonNode group : MAPPER.readTree(chromium.evaluate(script).asText())) {
            List<String> ids = new ArrayList<>();
            group.get(1).forEach(id -> ids.add(id.asText()));
            assertThat(groups.put(group.get(0).asText(), ids)).as("one section per heading").isNull();
        }
        return groups;
    }

    private static Map<String, String> statusesOnPage(HeadlessChromium chromium, String rows) throws Exception {
        Map<String, String> statuses = new HashMap<>();
        MAPPER.readTree(chromium.evaluate(rows).asText()).fields()
                .forEachRemaining(e -> statuses.put(e.getKey(), e.getValue().asText()));
        return statuses;
    }

    private static void respond(HttpExchange exchange, int status) throws IOException {
        exchange.sendResponseHeaders(status, -1);
        try (OutputStream out = exchange.getResponseBody()) {
            out.flush();
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis); // this backend's job is to be slow
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
