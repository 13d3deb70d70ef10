package dev.healthmon.aggregate;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.healthmon.status.UntrustedText;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The aggregator's HTTP surface: the query API (JSON) and the status page.
 *
 * <ul>
 *   <li>{@code GET /api/status?status=&label=key:value&offset=&limit=} — a page of statuses, by id
 *   <li>{@code GET /api/status/{id}} — one status, 404 if unknown
 *   <li>{@code GET /api/summary} — counts by status, overall and per label value
 *   <li>{@code GET /api/transitions?since=<ISO-8601>&limit=} — recent transitions, newest first
 *   <li>{@code GET /api/checks} — every backend's latest check results ({@link RecentChecks}), by id
 *   <li>{@code GET /} — the status page (static files from the jar; it polls the API)
 * </ul>
 *
 * Any instance answers any query; {@code scope=local} (used between instances) answers from this instance's stores
 * only, and says {@code "scope": "local"} so that the asker can tell it from an earlier version's answer: a page of its
 * matches (the filter, {@code offset} and {@code limit} not capped; written as the statuses are read, {@link
 * StreamedPage}), or the summary of its statuses (docs/design.md §8.6). Errors are JSON {@code {"error": "…"}}: 400 for
 * a bad parameter (named), 503 while the stores are not queryable (starting, rebalancing, or stopped after a close or
 * an error) or while other instances' answers to queries in progress hold all this instance may hold of them ({@link
 * PeerFanout}), 502 when another instance did not answer (all of them within 5 s) or answered something else than
 * statuses. A status value this instance's store holds but cannot read is left out of its answers (logged once,
 * {@link StatusQueries}), not an error that would fail every page until the value is repaired.
 */
final class StatusApi {

    private static final Logger log = LoggerFactory.getLogger(StatusApi.class);
    private static final Map<String, String> STATIC = Map.of(
            "/", "index.html", "/index.html", "index.html", "/app.js", "app.js", "/style.css", "style.css");

    private final StatusSource queries;
    private final StatusJson json;
    private final ObjectMapper mapper;

    StatusApi(HttpServer server, StatusSource queries, StatusJson json, ObjectMapper mapper) {
        this.queries = queries;
        this.json = json;
        this.mapper = mapper;
        server.createContext("/api/status", exchange -> handle(exchange, this::status));
        server.createContext("/api/summary", exchange -> handle(exchange, this::summary));
        server.createContext("/api/transitions", exchange -> handle(exchange, this::transitions));
        server.createContext("/api/checks", exchange -> handle(exchange, this::checks));
        server.createContext("/", this::staticFile);
    }

    @FunctionalInterface
    private interface Endpoint {
        Response answer(String path, Map<String, String> query) throws IOException, InterruptedException;
    }

    private record Response(int status, Object body) {}

    private Response status(String path, Map<String, String> query) throws IOException, InterruptedException {
        boolean local = "local".equals(query.get("scope"));
        if (path.startsWith("/api/status/")) {
            String id = URLDecoder.decode(path.substring("/api/status/".length()), StandardCharsets.UTF_8);
            Optional<BackendStatus> status = local ? queries.local(id) : queries.one(id);
            return status.<Response>map(s -> new Response(200, json.statusNode(s)))
                    .orElseGet(() -> new Response(404, error("no backend " + id)));
        }
        if (local) {
            // Another instance's part of a page: filtered and paged here, where the statuses are (design.md §8.6).
            // Its limit is offset + limit of the page asked, so not capped (earlier versions ask for all): the page
            // is written as its statuses are read, so that what one answer holds does not grow with the limit.
            Map<String, String> filterOnly = new HashMap<>(query);
            filterOnly.keySet().removeAll(List.of("offset", "limit"));
            StatusFilter filter = StatusFilter.parse(filterOnly);
            int offset = whole(query, "offset", 0);
            int limit = whole(query, "limit", Integer.MAX_VALUE);
            return new Response(200, (Streamed) page -> {
                int total = queries.localPage(filter, offset, limit, status -> page.item(json.statusNode(status)));
                page.end(total, offset, limit);
            });
        }
        StatusFilter.Page page = queries.page(StatusFilter.parse(query)); // a bad parameter is a 400 before any ask
        ObjectNode body = mapper.createObjectNode();
        ArrayNode items = body.putArray("items");
        page.items().forEach(s -> items.add(json.statusNode(s)));
        body.put("total", page.total());
        body.put("offset", page.offset());
        body.put("limit", page.limit());
        return new Response(200, body);
    }

    /** An answer written as it is made ({@link StreamedPage}), not built whole before it is sent. */
    @FunctionalInterface
    private interface Streamed {
        void write(StreamedPage page) throws IOException, InterruptedException;
    }

    /**
     * A {@code scope=local} page written to the exchange as its statuses are read: what it holds is one status and
     * Jackson's buffer, whatever the limit. The status line and the page's start go with its first item (or its
     * end, when it has none), so that a failure before it (the store not queryable) is still an answer of its own
     * (503). A failure after it cannot change the status sent: the
     * connection is dropped before the last chunk, so the asker reads a cut answer (its 502), never a page that
     * ends early as valid JSON.
     */
    private final class StreamedPage {
        private final HttpExchange exchange;
        private JsonGenerator out;

        StreamedPage(HttpExchange exchange) {
            this.exchange = exchange;
        }

        boolean started() {
            return out != null;
        }

        void item(ObjectNode status) {
            try {
                mapper.writeTree(generator(), status);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void end(int total, int offset, int limit) throws IOException {
            JsonGenerator page = generator();
            page.writeEndArray();
            page.writeNumberField("total", total);
            page.writeNumberField("offset", offset);
            page.writeNumberField("limit", limit);
            page.writeEndObject();
            page.close();
        }

        /** The page's generator, the status line and the page's start sent first if they are not yet. */
        private JsonGenerator generator() throws IOException {
            if (out == null) {
                headers(exchange);
                exchange.sendResponseHeaders(200, 0); // chunked: the length is not known until the end
                out = mapper.getFactory().createGenerator(exchange.getResponseBody())
                        .disable(JsonGenerator.Feature.AUTO_CLOSE_JSON_CONTENT);
                out.writeStartObject();
                out.writeStringField("scope", "local"); // filtered and paged: earlier versions sent all, no scope
                out.writeArrayFieldStart("items");
            }
            return out;
        }
    }

    private Response summary(String path, Map<String, String> query) throws IOException, InterruptedException {
        boolean local = "local".equals(query.get("scope"));
        StatusFilter.Summary summary = local ? queries.localSummary() : queries.summary();
        ObjectNode body = mapper.createObjectNode();
        body.put("total", summary.total());
        if (local) {
            body.put("scope", "local"); // earlier versions ignored scope here and answered for every instance
        }
        ObjectNode byStatus = body.putObject("byStatus");
        summary.byStatus().forEach((status, count) -> byStatus.put(status.name(), count));
        ObjectNode byLabel = body.putObject("byLabel");
        summary.byLabel().forEach((key, values) -> {
            ObjectNode perKey = byLabel.putObject(key);
            values.forEach((value, counts) -> {
                ObjectNode perValue = perKey.putObject(value);
                counts.forEach((status, count) -> perValue.put(status.name(), count));
            });
        });
        return new Response(200, body);
    }

    private Response transitions(String path, Map<String, String> query) throws IOException, InterruptedException {
        Instant since;
        try {
            since = query.containsKey("since") ? Instant.parse(query.get("since")) : Instant.EPOCH;
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("since: must be an ISO-8601 instant such as 2026-11-24T10:00:00Z, was \""
                    + query.get("since") + "\"");
        }
        // Asked by another instance, the limit is not capped: the version before asked for Integer.MAX_VALUE, and
        // refusing it (400) made every query for transitions on a cluster of two or more a 502.
        boolean local = "local".equals(query.get("scope"));
        int limit = local ? Math.max(1, whole(query, "limit", 100))
                : StatusFilter.parse(Map.of("limit", query.getOrDefault("limit", "100"))).limit();
        List<StatusTransition> found = local ? queries.localTransitions(since, limit)
                : queries.transitions(since, limit);
        ObjectNode body = mapper.createObjectNode();
        ArrayNode items = body.putArray("items");
        found.forEach(t -> items.add(json.transitionNode(t)));
        return new Response(200, body);
    }

    /** Not in {@code /api/status}: its items are the {@code backend-status} contract, and these are not in it. */
    private Response checks(String path, Map<String, String> query) throws IOException, InterruptedException {
        int limit = StatusFilter.parse(Map.of("limit", query.getOrDefault("limit", "100"))).limit();
        Map<String, RecentChecks> found = "local".equals(query.get("scope")) ? queries.localChecks(limit)
                : queries.checks(limit);
        ObjectNode body = mapper.createObjectNode();
        ArrayNode items = body.putArray("items");
        found.forEach((id, checks) -> {
            ObjectNode item = items.addObject().put("id", id);
            ArrayNode list = item.putArray("checks");
            checks.checks().forEach(c -> list.add(json.checkNode(c)));
        });
        return new Response(200, body);
    }

    private void handle(HttpExchange exchange, Endpoint endpoint) throws IOException {
        StreamedPage streamed = new StreamedPage(exchange);
        Response response;
        if (!exchange.getRequestMethod().equals("GET")) {
            response = new Response(405, error("only GET"));
        } else {
            try {
                response = endpoint.answer(exchange.getRequestURI().getRawPath(), query(exchange));
                if (response.body() instanceof Streamed page) {
                    page.write(streamed);
                    exchange.close();
                    return;
                }
            } catch (IllegalArgumentException e) {
                response = new Response(400, error(e.getMessage()));
            } catch (InvalidStateStoreException e) {
                response = new Response(503,
                        error("status store not queryable now (starting, rebalancing or stopped): "
                        + e.getMessage() + "; retry"));
            } catch (PeerFanout.OverBudgetException e) {
                log.warn("query {} refused: {}", exchange.getRequestURI(),
                        UntrustedText.escape(e.getMessage(), 500));
                response = new Response(503, error("too much of other aggregator instances' answers held now: "
                        + e.getMessage()));
            } catch (IOException e) {
                log.warn("query {} failed: {}", exchange.getRequestURI(),
                        UntrustedText.escape(e.getMessage(), 500));
                response = new Response(502, error("another aggregator instance did not answer: "
                        + e.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                response = new Response(503, error("shutting down"));
            }
            if (streamed.started()) {
                // Part of a 200 is sent: no other answer can follow. Leaving without closing the exchange makes the
                // server drop the connection before the last chunk, so the page is cut, not ended as valid JSON.
                log.warn("query {} failed while its answer was being sent; connection dropped: {}",
                        exchange.getRequestURI(), UntrustedText.escape(String.valueOf(response.body()), 500));
                throw new IOException("answer cut: " + response.body());
            }
        }
        try (exchange) {
            byte[] body = mapper.writeValueAsBytes(response.body());
            headers(exchange);
            exchange.sendResponseHeaders(response.status(), body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static void headers(HttpExchange exchange) {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
    }

    private void staticFile(HttpExchange exchange) throws IOException {
        try (exchange) {
            String file = STATIC.get(exchange.getRequestURI().getPath());
            InputStream resource = file == null ? null : StatusApi.class.getResourceAsStream("/statuspage/" + file);
            if (resource == null) {
                byte[] body = "not found\n".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(404, body.length);
                exchange.getResponseBody().write(body);
                return;
            }
            byte[] body;
            try (resource) {
                body = resource.readAllBytes();
            }
            String type = file.endsWith(".js") ? "text/javascript" : file.endsWith(".css") ? "text/css" : "text/html";
            exchange.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    /** A whole number >= 0 named {@code name}, or {@code fallback} when absent. */
    private static int whole(Map<String, String> query, String name, int fallback) {
        String text = query.get(name);
        if (text == null) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(text);
            if (value >= 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(name + ": must be a whole number >= 0, was \"" + text + "\"");
    }

    private ObjectNode error(String message) {
        return mapper.createObjectNode().put("error", message);
    }

    private static Map<String, String> query(HttpExchange exchange) {
        Map<String, String> query = new HashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                query.put(key, value);
            }
        }
        return query;
    }
}
