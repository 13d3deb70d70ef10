package dev.healthmon.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.status.Outcome;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The query API's answers, over states folded as the aggregator folds them ({@link StatusPageFixture}). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StatusApiTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private StatusPageFixture fixture;

    @AfterEach
    void stop() {
        fixture.close();
    }

    private JsonNode get(String pathAndQuery) throws Exception {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(fixture.url()
                + pathAndQuery.substring(1))).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        return MAPPER.readTree(response.body());
    }

    private Map<String, List<JsonNode>> checksById(JsonNode answer) {
        Map<String, List<JsonNode>> byId = new HashMap<>();
        answer.path("items").forEach(item -> {
            List<JsonNode> checks = new ArrayList<>();
            item.path("checks").forEach(checks::add);
            byId.put(item.path("id").asText(), checks);
        });
        return byId;
    }

    @Test
    void checksEndpointGivesEachBackendsLastChecksOldestFirst() throws Exception {
        fixture = new StatusPageFixture();

        Map<String, List<JsonNode>> checks = checksById(get("/api/checks"));

        assertThat(checks).containsOnlyKeys("api", "verbose", "search", "auth", "newbie");
        assertThat(checks.get("api")).extracting(c -> c.path("outcome").asText())
                .containsExactlyElementsOf(StatusPageFixture.outcomes(StatusPageFixture.API_RECENT).stream()
                        .map(Outcome::name).toList());
        assertThat(checks.get("api")).extracting(c -> c.path("latencyMs").asLong()).first().isEqualTo(20L);
        JsonNode newest = checks.get("api").get(RecentChecks.CAPACITY - 1);
        assertThat(newest.path("at").asText()).isEqualTo(fixture.now.minusSeconds(60).toString());
        assertThat(checks.get("newbie")).isEmpty();
        assertThat(checksById(get("/api/checks?scope=local"))).isEqualTo(checks);
    }

    @Test
    void checksComePagedByIdAsStatusesDo() throws Exception {
        fixture = new StatusPageFixture();

        assertThat(get("/api/checks?limit=2").path("items")).extracting(item -> item.path("id").asText())
                .containsExactly("api", "auth");
        assertThat(get("/api/checks").path("items")).hasSize(5); // 100 by default
        assertThat(get("/api/checks?scope=local&limit=1").path("items")).extracting(item -> item.path("id").asText())
                .containsExactly("api");
    }

    @Test
    void statusItemsStayTheBackendStatusContract() throws Exception {
        fixture = new StatusPageFixture();

        JsonNode api = get("/api/status/api");

        assertThat(api.has("checks")).as("the checks are not part of backend-status").isFalse();
        assertThat(api.path("availability").path("lastHour").asDouble()).isEqualTo(28.0 / 30);
        assertThat(api.path("availability").path("lastDay").asDouble()).isEqualTo(28.0 / 40);
    }
}
