package dev.healthmon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.status.UntrustedText;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code healthmon status}: ask an aggregator, print a table. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the current status of backends, from an aggregator's query API.")
final class StatusCommand implements Callable<Integer> {

    private static final int MAX_ID = 200;
    private static final int MAX_TEXT = 300;

    @Spec
    CommandSpec spec;

    @Option(names = "--aggregator", defaultValue = "http://localhost:8080", paramLabel = "URL",
            description = "Base URL of any aggregator instance. Default ${DEFAULT-VALUE}.")
    URI aggregator;

    @Option(names = "--status", description = "Only backends with this status.")
    String status;

    @Option(names = "--label", paramLabel = "KEY:VALUE", description = "Only backends with this label.")
    String label;

    @Parameters(arity = "0..1", paramLabel = "ID", description = "One backend (default: all).")
    String id;

    @Override
    public Integer call() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        ObjectMapper mapper = new ObjectMapper();
        List<String> query = new ArrayList<>(List.of("limit=1000"));
        if (status != null) {
            query.add("status=" + URLEncoder.encode(status, StandardCharsets.UTF_8));
        }
        if (label != null) {
            query.add("label=" + URLEncoder.encode(label, StandardCharsets.UTF_8));
        }
        String path = id != null ? "/api/status/" + URLEncoder.encode(id, StandardCharsets.UTF_8)
                : "/api/status?" + String.join("&", query);
        HttpResponse<byte[]> response;
        try {
            response = http.send(HttpRequest.newBuilder(aggregator.resolve(path)).timeout(Duration.ofSeconds(10)).GET()
                    .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            spec.commandLine().getErr().println("error: aggregator " + aggregator + " unreachable: "
                    + UntrustedText.escape(e.getMessage(), MAX_TEXT));
            return 1;
        }
        JsonNode body = mapper.readTree(response.body());
        if (response.statusCode() != 200) {
            spec.commandLine().getErr().println("error: "
                    + UntrustedText.escape(body.path("error").asText("HTTP " + response.statusCode()), MAX_TEXT));
            return response.statusCode() == 400 ? 2 : 1;
        }
        List<JsonNode> rows = new ArrayList<>();
        if (id != null) {
            rows.add(body);
        } else {
            body.path("items").forEach(rows::add);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%-28s %-32s %-10s %-24s %s%n", "BACKEND", "STATUS", "LAT(ms)", "SINCE",
                "LAST FAILURE");
        for (JsonNode s : rows) {
            out.println(row(s));
        }
        if (id == null) {
            out.printf("%d of %d backends%n", rows.size(), body.path("total").asInt());
        }
        out.flush();
        return 0;
    }

    /**
     * One backend's line. Every value comes from the aggregator, and ids and failure messages from
     * registry writers and backends before that: all of it is escaped, so none can start a line or
     * drive the terminal.
     */
    static String row(JsonNode s) {
        String statusText = s.path("status").asText() + (s.has("reason") ? " (" + s.get("reason").asText() + ")" : "")
                + (s.path("flapping").asBoolean() ? " FLAPPING" : "");
        JsonNode lastFailure = s.path("lastFailure");
        String failure = s.has("lastFailure") && !"HEALTHY".equals(s.path("status").asText())
                ? lastFailure.path("kind").asText() + ": " + lastFailure.path("message").asText() : "";
        String latency = s.has("latencyMs") ? s.get("latencyMs").asText() : "";
        return String.format(Locale.ROOT, "%-28s %-32s %-10s %-24s %s", UntrustedText.escape(s.path("id").asText(),
                MAX_ID), UntrustedText.escape(statusText, MAX_ID), UntrustedText.escape(latency, 20),
                UntrustedText.escape(s.path("since").asText(), 40), UntrustedText.escape(failure, MAX_TEXT));
    }
}
