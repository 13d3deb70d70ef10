package dev.healthmon.probe;

import static dev.healthmon.support.Registrations.json;
import static dev.healthmon.support.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.status.Outcome;
import dev.healthmon.support.McpTestServer;
import dev.healthmon.support.RawMcpBackend;
import dev.healthmon.target.TargetPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What the lean fresh-session check ({@link McpLeanFresh}) sends, and that {@code --no-mcp-lean} takes it away. Its
 * conformance with the SDK is {@link McpProbeTest} against {@link McpProbeSdkPingTest}; here, what only it does: the
 * four requests of the handshake and nothing else (the SDK also opens its optional event stream, a GET).
 */
class McpLeanFreshTest {

    private static DecodedRegistration.Valid fresh(RawMcpBackend backend) {
        return valid(json("mcp-backend", backend.url(), j -> {
            j.put("transport", "streamable-http");
            ((ObjectNode) j.get("healthCheck")).put("intervalMs", 40000).put("timeoutMs", 20000)
                    .put("degradedLatencyMs", 20000).put("mcpSession", "fresh");
        }));
    }

    private static String pong(String id) {
        return RawMcpBackend.jsonAnswer("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{}}", "");
    }

    /** Every request head the backend saw, lower case, once the DELETE that ends the check's session has come. */
    private static List<String> headsUpToTheDelete(Probes probes, RawMcpBackend backend) throws Exception {
        DecodedRegistration.Valid r = fresh(backend);
        ProbeResult result = probes.check(r.registration(), r.settings()).get(30, TimeUnit.SECONDS);
        assertThat(result.observation().outcome()).as("%s", result).isEqualTo(Outcome.HEALTHY);
        await().atMost(Duration.ofSeconds(20)).until(() -> backend.requestHeads().stream()
                .anyMatch(h -> h.startsWith("DELETE")));
        return backend.requestHeads().stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
    }

    @Test
    void freshCheckIsInitializeInitializedPingAndADeleteOfTheSessionWithItsNegotiatedVersion() throws Exception {
        try (Probes probes = Probes.standard(TargetPolicy.DEFAULT, SecretCatalog.EMPTY, true);
             RawMcpBackend backend = RawMcpBackend.session(McpLeanFreshTest::pong)) {
            List<String> heads = headsUpToTheDelete(probes, backend);

            assertThat(heads).extracting(h -> h.substring(0, h.indexOf(' ')))
                    .containsExactly("post", "post", "post", "delete");
            assertThat(heads.get(0)).doesNotContain("mcp-session-id").doesNotContain("mcp-protocol-version");
            assertThat(heads.subList(1, 4)).allSatisfy(h -> assertThat(h)
                    .contains("mcp-session-id: " + RawMcpBackend.SESSION)
                    .contains("mcp-protocol-version: 2025-06-18"));
        }
    }

    /** An empty {@code Mcp-Session-Id} names no session: no request carries an empty one, and nothing is deleted. */
    @Test
    void emptySessionIdIsTakenAsNone() throws Exception {
        try (Probes probes = Probes.standard(TargetPolicy.DEFAULT, SecretCatalog.EMPTY, true);
             RawMcpBackend backend = RawMcpBackend.session(id -> RawMcpBackend.jsonAnswer(
                     RawMcpBackend.initializeResult(id, "2025-06-18"), "Mcp-Session-Id: \r\n"),
                     McpLeanFreshTest::pong)) {
            DecodedRegistration.Valid r = fresh(backend);

            ProbeResult result = probes.check(r.registration(), r.settings()).get(30, TimeUnit.SECONDS);

            assertThat(result.observation().outcome()).as("%s", result).isEqualTo(Outcome.HEALTHY);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> backend.requestHeads()
                    .stream().noneMatch(h -> h.startsWith("DELETE")));
            assertThat(backend.requestHeads()).hasSize(3).noneSatisfy(h -> assertThat(h.toLowerCase(Locale.ROOT))
                    .contains("mcp-session-id"));
        }
    }

    @Test
    void backToBackFreshChecksShareAFewKeptConnections() throws Exception {
        try (Probes probes = Probes.standard(TargetPolicy.DEFAULT, SecretCatalog.EMPTY, true);
             McpTestServer server = McpTestServer.start(McpTestServer.Kind.STREAMABLE_HTTP, false)) {
            DecodedRegistration.Valid r = valid(json("mcp-backend", server.url(), j -> {
                j.put("transport", "streamable-http");
                ((ObjectNode) j.get("healthCheck")).put("intervalMs", 40000).put("timeoutMs", 20000)
                        .put("degradedLatencyMs", 20000).put("mcpSession", "fresh");
            }));
            for (int i = 0; i < 20; i++) {
                ProbeResult result = probes.check(r.registration(), r.settings()).get(30, TimeUnit.SECONDS);
                assertThat(result.observation().outcome()).as("%s", result).isEqualTo(Outcome.HEALTHY);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> server.requestHeaders().stream()
                    .filter(h -> h.get(":method").equals("DELETE")).count() == 20);

            // The SDK's server ends each event-stream answer in a packet of its own: a request sent before that end has
            // come finds no kept connection. 80 requests came on 3 connections when this was written.
            assertThat(server.requestHeaders().stream().map(h -> h.get(":remote-port")).distinct())
                    .as("connections of 20 fresh checks (80 requests)").hasSizeLessThanOrEqualTo(6);
        }
    }

    @Test
    void withoutTheLeanPathTheSdkSendsTheCheck() throws Exception {
        try (Probes probes = Probes.standard(TargetPolicy.DEFAULT, SecretCatalog.EMPTY, false);
             RawMcpBackend backend = RawMcpBackend.session(McpLeanFreshTest::pong)) {
            List<String> heads = headsUpToTheDelete(probes, backend);

            // The SDK's mark: it opens its optional event stream once the session has an id.
            assertThat(heads).anySatisfy(h -> assertThat(h).startsWith("get "));
        }
    }
}
