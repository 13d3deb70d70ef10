package dev.healthmon.probe;

import static dev.healthmon.support.Registrations.json;
import static dev.healthmon.support.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.events.FailureKind;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.registration.McpSessionMode;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.Reason;
import dev.healthmon.support.DeclaredSecrets;
import dev.healthmon.support.LoopbackPorts;
import dev.healthmon.support.McpTestServer;
import dev.healthmon.support.McpTestServer.Kind;
import dev.healthmon.support.RawMcpBackend;
import dev.healthmon.target.TargetPolicy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The mcp probe against real MCP servers: the SDK's own server transports in Jetty on loopback. Here the
 * ping of an initialized streamable-HTTP session takes the lean path ({@link McpLeanPing}, as in
 * production); {@link McpProbeSdkPingTest} runs every case again with the SDK sending it, so both paths
 * pass the same conformance cases.
 */
class McpProbeTest {

    private static final String TOKEN = "mcp-s3cret-token";
    /** Per test class (this one and its subclass each start and stop their own). */
    private static ExecutorService resolver;
    private static PlainHttpClient leanClient;
    /** Where the declared file secret lives (class-wide: the catalog is built per instance). */
    @TempDir
    static Path secretFiles;
    private final McpProbe probe = new McpProbe(HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).build(), leanPing(leanClient),
            new SecretResolver(DeclaredSecrets.catalog(DeclaredSecrets.toLoopback("token", "env:TOKEN"),
                    DeclaredSecrets.toLoopback("rotating", "file:" + secretFiles.resolve("rotating"))),
                    Map.of("TOKEN", TOKEN)::get),
            new TargetVetting(TargetPolicy.DEFAULT, InetAddress::getAllByName, resolver));

    @BeforeAll
    static void startClients() {
        resolver = Executors.newFixedThreadPool(2);
        leanClient = new PlainHttpClient();
    }

    @AfterAll
    static void stopClients() {
        resolver.shutdownNow();
        leanClient.close();
    }

    /** The lean ping's client for the probe under test; empty: the SDK sends every request. */
    Optional<PlainHttpClient> leanPing(PlainHttpClient client) {
        return Optional.of(client);
    }

    private static DecodedRegistration.Valid registration(McpTestServer server, Consumer<ObjectNode> edit) {
        String transport = server.url().endsWith("/sse") ? "sse" : "streamable-http";
        return valid(json("mcp-backend", server.url(), j -> {
            j.put("transport", transport);
            // Generous: the in-process test server's cold start on a loaded machine must not turn a healthy
            // check into a timeout (3 s was seen to be too short with a load average of 20 on 2 cores).
            ((ObjectNode) j.get("healthCheck")).put("intervalMs", 20000).put("timeoutMs", 15000)
                    .put("degradedLatencyMs", 15000);
            edit.accept(j);
        }));
    }

    private ProbeResult check(DecodedRegistration.Valid r) throws Exception {
        return probe.check(r.registration(), r.settings()).get(30, TimeUnit.SECONDS);
    }

    private ProbeResult check(ProbeSession session, DecodedRegistration.Valid r) throws Exception {
        return session.check(r.registration()).get(30, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void healthyServerIsHealthyWithItsProtocolVersionAndServerInfo(Kind kind) throws Exception {
        try (McpTestServer server = McpTestServer.start(kind, false)) {
            ProbeResult result = check(registration(server, j -> {}));

            assertThat(result.observation().outcome()).as("%s", result).isEqualTo(Outcome.HEALTHY);
            assertThat(result.failure()).isEmpty();
            assertThat(result.mcp()).hasValueSatisfying(info -> {
                assertThat(info.protocolVersion()).matches("\\d{4}-\\d{2}-\\d{2}");
                assertThat(info.serverName()).isEqualTo("test-mcp-server");
                assertThat(info.serverVersion()).isEqualTo("9.9.9");
            });
            assertThat(server.requests("initialize")).isEqualTo(1);
            assertThat(server.requests("ping")).isEqualTo(1);
        }
    }

    @Test
    void sendsTheHeadersTheSpecRequiresAndIdentifiesAsHealthmon() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            check(registration(server, j -> {}));
            List<Map<String, String>> requests = server.requestHeaders();

            assertThat(requests).allSatisfy(h -> assertThat(h.get("user-agent")).startsWith("healthmon/"));
            // Without both, spec-following servers answer 406.
            assertThat(requests).filteredOn(h -> h.get(":method").equals("POST")).hasSizeGreaterThanOrEqualTo(3)
                    .allSatisfy(h
                    -> assertThat(h.get("accept")).contains("application/json").contains("text/event-stream"));
            // Every request after initialize carries the negotiated version.
            assertThat(requests.subList(1, requests.size()))
                    .allSatisfy(h -> assertThat(h).containsKey("mcp-protocol-version"));
            assertThat(server.clientNames()).containsOnly("healthmon");
        }
    }

    @Test
    void reusedSessionPingsWithoutAnotherHandshake() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            DecodedRegistration.Valid r = registration(server, j -> {});
            try (ProbeSession session = probe.openSession(r.settings())) {
                for (int i = 0; i < 3; i++) {
                    assertThat(check(session, r).observation().outcome()).isEqualTo(Outcome.HEALTHY);
                }
            }
            assertThat(server.requests("initialize")).isEqualTo(1);
            assertThat(server.requests("ping")).isEqualTo(3);
        }
    }

    @Test
    void pingsOnAReusedSessionKeepTheirConnections() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            DecodedRegistration.Valid r = registration(server, j -> {});
            try (ProbeSession session = probe.openSession(r.settings())) {
                for (int i = 0; i < 10; i++) {
                    assertThat(check(session, r).observation().outcome()).isEqualTo(Outcome.HEALTHY);
                }
            }
            List<Map<String, String>> posts = server.requestHeaders().stream()
                    .filter(h -> h.get(":method").equals("POST")).toList();
            // The server ends each answer's event stream right after the response: a new connection per ping
            // (a TCP handshake each) would cost more than the ping. Back to back, a check may still find the last
            // ping's connection waiting for that end (7 of 10 pings came on new connections when none was kept).
            assertThat(posts.subList(2, posts.size()).stream().map(h -> h.get(":remote-port")).distinct())
                    .as("connections the 10 pings came on").hasSizeLessThanOrEqualTo(4);
        }
    }

    @Test
    void freshSessionHandshakesOnEveryCheck() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            DecodedRegistration.Valid r = registration(server,
                    j -> ((ObjectNode) j.get("healthCheck")).put("mcpSession", "fresh"));
            try (ProbeSession session = probe.openSession(r.settings())) {
                for (int i = 0; i < 3; i++) {
                    assertThat(check(session, r).observation().outcome()).isEqualTo(Outcome.HEALTHY);
                }
            }
            assertThat(server.requests("initialize")).isEqualTo(3);
            assertThat(server.requests("ping")).isEqualTo(3);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void reinitializesWhenTheServerHasDroppedTheSession(Kind kind) throws Exception {
        try (McpTestServer server = McpTestServer.start(kind, false)) {
            DecodedRegistration.Valid r = registration(server, j -> {});
            try (ProbeSession session = probe.openSession(r.settings())) {
                assertThat(check(session, r).observation().outcome()).isEqualTo(Outcome.HEALTHY);
                server.forgetSessions(); // as after a server restart: the old session id now gets 404

                ProbeResult afterDrop = check(session, r);

                assertThat(afterDrop.observation().outcome()).as("%s", afterDrop).isEqualTo(Outcome.HEALTHY);
                assertThat(server.requests("initialize")).isEqualTo(2);
                List<String> pings = server.sessionsOf("ping");
                assertThat(pings).as("the ping refused on the old session, then one on a new session").hasSize(3);
                assertThat(pings.get(2)).isNotEmpty().isNotEqualTo(pings.get(0));
                assertThat(check(session, r).observation().outcome()).isEqualTo(Outcome.HEALTHY);
                assertThat(server.requests("initialize")).as("the new session is kept").isEqualTo(2);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void checkAfterATimedOutOneHandshakesAgainOnANewSession(Kind kind) throws Exception {
        try (McpTestServer server = McpTestServer.start(kind, false)) {
            // Warm up first (as the hang test does): a cold start must not spend the short timeout below.
            assertThat(check(registration(server, j -> {})).failure()).isEmpty();
            DecodedRegistration.Valid r = registration(server, j -> ((ObjectNode) j.get("healthCheck"))
                    .put("timeoutMs", 5000).put("degradedLatencyMs", 5000));
            try (ProbeSession session = probe.openSession(r.settings())) {
                assertThat(check(session, r).observation().outcome()).isEqualTo(Outcome.HEALTHY);
                int handshakes = server.requests("initialize");
                server.behaviour().hangAfterInitialize = true;
                ProbeResult timedOut = check(session, r);
                assertThat(timedOut.failure()).as("%s", timedOut)
                        .hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TIMEOUT));
                server.behaviour().hangAfterInitialize = false; // the timed-out ping stays held until close

                ProbeResult next = check(session, r);

                assertThat(next.observation().outcome()).as("%s", next).isEqualTo(Outcome.HEALTHY);
                assertThat(server.requests("initialize")).as("the next check handshakes again")
                        .isEqualTo(handshakes + 1);
                List<String> pings = server.sessionsOf("ping");
                String timedOutSession = pings.get(pings.size() - 2);
                assertThat(pings.get(pings.size() - 1)).as("the timed-out session is not reused")
                        .isNotEmpty().isNotEqualTo(timedOutSession);
                assertThat(check(session, r).observation().outcome()).isEqualTo(Outcome.HEALTHY);
                assertThat(server.requests("initialize")).as("the new session is kept").isEqualTo(handshakes + 1);
            }
        }
    }

    @Test
    void jsonRpcErrorToPingIsUnhealthyProtocol() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            server.behaviour().pingError = true;

            ProbeResult result = check(registration(server, j -> {}));

            assertThat(result.observation().outcome()).isEqualTo(Outcome.UNHEALTHY);
            assertThat(result.failure()).hasValueSatisfying(f -> {
                assertThat(f.kind()).isEqualTo(FailureKind.PROTOCOL);
                assertThat(f.message()).contains("-32603").contains("ping handler exploded");
            });
            assertThat(result.mcp()).as("initialize did succeed").isPresent();
        }
    }

    @Test
    void toolsListIsSentWhenAskedForAndAdvertised() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, true)) {
            ProbeResult result = check(registration(server,
                    j -> ((ObjectNode) j.get("healthCheck")).put("mcpMethod", "tools/list")));

            assertThat(result.observation().outcome()).isEqualTo(Outcome.HEALTHY);
            assertThat(server.requests("tools/list")).isEqualTo(1);
            assertThat(server.requests("ping")).isZero();
        }
    }

    @Test
    void serverWithoutToolsIsPingedInsteadOfFailed() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            ProbeResult result = check(registration(server,
                    j -> ((ObjectNode) j.get("healthCheck")).put("mcpMethod", "tools/list")));

            assertThat(result.observation().outcome()).isEqualTo(Outcome.HEALTHY);
            assertThat(server.requests("tools/list")).isZero();
            assertThat(server.requests("ping")).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void serverRequiringATokenIsUnauthenticatedWithoutAuth(Kind kind) throws Exception {
        try (McpTestServer server = McpTestServer.start(kind, false)) {
            server.behaviour().requiredAuthorization = () -> "Bearer " + TOKEN;

            DecodedRegistration.Valid r = registration(server, j -> {});

            ProbeResult result = check(r);

            assertThat(result.observation().outcome()).isEqualTo(Outcome.UNAUTHENTICATED);
            assertThat(result.failure()).hasValueSatisfying(f -> {
                assertThat(f.kind()).isEqualTo(FailureKind.AUTH);
                assertThat(f.httpStatus()).hasValue(401);
            });
            assertThat(result.latency()).as("ends on the refusal, not at its timeout")
                    .isLessThan(r.settings().timeout());
        }
    }

    @Test
    void bearerTokenFromEnvGetsThrough() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            server.behaviour().requiredAuthorization = () -> "Bearer " + TOKEN;

            ProbeResult result = check(registration(server,
                    j -> j.putObject("auth").put("type", "bearer").put("secretRef", "token")));

            assertThat(result.observation().outcome()).isEqualTo(Outcome.HEALTHY);
            assertThat(result.mcp()).as("got past initialize, not merely challenged").isPresent();
            assertThat(server.requests("ping")).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void tokenFromAFileIsReReadWhenRotated(Kind kind) throws Exception {
        Path secret = secretFiles.resolve("rotating");
        Files.writeString(secret, "first-token\n");
        try (McpTestServer server = McpTestServer.start(kind, false)) {
            server.behaviour().requiredAuthorization = () -> "Bearer " + readQuietly(secret);
            DecodedRegistration.Valid r = registration(server,
                    j -> j.putObject("auth").put("type", "bearer").put("secretRef", "rotating"));
            try (ProbeSession session = probe.openSession(r.settings())) {
                assertThat(check(session, r).mcp()).isPresent();
                Files.writeString(secret, "rotated-token\n");

                ProbeResult afterRotation = check(session, r);

                assertThat(afterRotation.observation().outcome()).isEqualTo(Outcome.HEALTHY);
                assertThat(afterRotation.failure()).isEmpty();
                List<Map<String, String>> requests = server.requestHeaders();
                assertThat(requests.get(requests.size() - 1).get("authorization"))
                        .isEqualTo("Bearer rotated-token");
            }
        }
    }

    @Test
    void slowServerIsDegradedWithReasonSlow() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            // per request; a check makes three (initialize, initialized, ping)
            server.behaviour().delay = Duration.ofMillis(150);

            ProbeResult result = check(registration(server,
                    j -> ((ObjectNode) j.get("healthCheck")).put("degradedLatencyMs", 200)));

            assertThat(result.observation().outcome()).isEqualTo(Outcome.DEGRADED);
            assertThat(result.observation().reason()).contains(Reason.SLOW);
            assertThat(result.mcp()).isPresent();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void serverThatHangsAfterInitializeTimesOutWithinTheTimeout(Kind kind) throws Exception {
        try (McpTestServer server = McpTestServer.start(kind, false)) {
            // Warm up first: the SDK's and the server's cold start is not what this test times.
            assertThat(check(registration(server, j -> {})).failure()).isEmpty();
            server.behaviour().hangAfterInitialize = true;
            long start = System.nanoTime();

            ProbeResult result = check(registration(server, j
                    -> ((ObjectNode) j.get("healthCheck")).put("timeoutMs", 2000)));

            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(result.failure()).hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TIMEOUT));
            // Not before the timeout, and well before the 30 s the test waits: the 4 s margin is for a loaded
            // 2-core machine, not for the code.
            assertThat(took).isBetween(Duration.ofMillis(2000), Duration.ofMillis(2000 + 4000));
        }
    }

    @Test
    void rateLimitedServerIsDegradedAndItsRetryAfterIsKept() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            server.behaviour().rateLimited = true;

            ProbeResult result = check(registration(server, j -> {}));

            assertThat(result.observation().outcome()).isEqualTo(Outcome.DEGRADED);
            assertThat(result.observation().reason()).contains(Reason.RATE_LIMITED);
            assertThat(result.retryAfter()).contains(Duration.ofSeconds(7));
        }
    }

    @Test
    void serverErrorStatusIsUnhealthyWithTheStatus() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            String wrongEndpoint = server.url().replace("/mcp", "/not-mcp");
            ProbeResult result = check(valid(json("mcp-backend", wrongEndpoint,
                    j -> j.put("transport", "streamable-http"))));

            assertThat(result.observation().outcome()).isEqualTo(Outcome.UNHEALTHY);
            assertThat(result.failure()).hasValueSatisfying(f -> {
                assertThat(f.kind()).isEqualTo(FailureKind.HTTP_STATUS);
                assertThat(f.httpStatus()).isPresent();
            });
        }
    }

    @Test
    void refusedPortIsConnectionRefused() throws Exception {
        int port = LoopbackPorts.unused(); // nothing listens there
        ProbeResult result = check(valid(json("mcp-backend", "http://127.0.0.1:" + port + "/mcp",
                j -> j.put("transport", "streamable-http"))));

        assertThat(result.failure()).hasValueSatisfying(f
                -> assertThat(f.kind()).isEqualTo(FailureKind.CONNECTION_REFUSED));
    }

    @ParameterizedTest
    @EnumSource(McpSessionMode.class)
    void hungBackendNeverHoldsMoreThanTwoConnectionsOverFiftyChecks(McpSessionMode mode) throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.hanging()) {
            DecodedRegistration.Valid r = rawRegistration(backend.url(), j -> ((ObjectNode) j.get("healthCheck"))
                    .put("timeoutMs", 200).put("mcpSession", mode.name().toLowerCase(Locale.ROOT)));
            try (ProbeSession session = probe.openSession(r.settings())) {
                for (int i = 1; i <= 50; i++) {
                    int before = backend.requests();
                    CompletableFuture<ProbeResult> result = session.check(r.registration());
                    if (i % 2 == 0) {
                        // As the monitor's timeout guard or a stop does: cancel while the backend holds the request
                        // (a check on a slow machine may also reach its deadline before it could send).
                        await().atMost(Duration.ofSeconds(20))
                                .until(() -> backend.requests() > before || result.isDone());
                        result.cancel(true);
                    } else {
                        ProbeResult ended = result.get(30, TimeUnit.SECONDS);
                        assertThat(ended.failure()).as("%s", ended)
                                .hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TIMEOUT));
                    }
                    assertThat(backend.maxOpen()).as("connections held at once, check %d", i).isLessThanOrEqualTo(2);
                }
            }
            // Not vacuous: most checks did hold a connection (on a loaded machine a few reach their deadline unsent).
            assertThat(backend.accepted()).isGreaterThanOrEqualTo(25);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(backend.open()).isZero());
        }
    }

    @Test
    void answerWhoseBodyNeverComesTimesOutAndItsConnectionIsClosed() throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.headWithoutBody()) {
            // Long enough for a cold client on a loaded machine to send its request before the deadline.
            DecodedRegistration.Valid r = rawRegistration(backend.url(),
                    j -> ((ObjectNode) j.get("healthCheck")).put("timeoutMs", 5000).put("intervalMs", 10000));

            ProbeResult result = probe.check(r.registration(), r.settings()).get(30, TimeUnit.SECONDS);

            assertThat(result.failure()).as("%s", result)
                    .hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TIMEOUT));
            assertThat(backend.accepted()).isEqualTo(1);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(backend.open()).isZero());
        }
    }

    @Test
    void checkOfAStoppedBackendSendsNothing() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            DecodedRegistration.Valid r = registration(server, j -> {});
            ProbeSession session = probe.openSession(r.settings());
            session.close(); // the backend's check was stopped (deregistered, replaced)

            ProbeResult result = check(session, r);

            assertThat(result.failure()).hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.INTERNAL));
            assertThat(server.requestHeaders()).isEmpty();
        }
    }

    @Test
    void freshCheckOfAStoppedBackendSendsNothing() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            DecodedRegistration.Valid r = registration(server,
                    j -> ((ObjectNode) j.get("healthCheck")).put("mcpSession", "fresh"));
            ProbeSession session = probe.openSession(r.settings());
            session.close();

            check(session, r);

            assertThat(server.requestHeaders()).isEmpty();
        }
    }

    @Test
    void abandonedCheckNeverClosesTheSessionALaterCheckUses() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            DecodedRegistration.Valid r = registration(server, j -> {});
            try (ProbeSession session = probe.openSession(r.settings())) {
                assertThat(check(session, r).observation().outcome()).isEqualTo(Outcome.HEALTHY);
                server.behaviour().hangAfterInitialize = true;
                CompletableFuture<ProbeResult> abandoned = session.check(r.registration());
                await().atMost(Duration.ofSeconds(20)).until(() -> server.behaviour().hung.get() == 1);
                abandoned.cancel(true); // the monitor's timeout guard gave up on it
                server.behaviour().hangAfterInitialize = false;

                assertThat(check(session, r).observation().outcome()).isEqualTo(Outcome.HEALTHY);
                int handshakes = server.requests("initialize");
                // The abandoned request is answered late, with what would make its check drop and renew the session.
                server.behaviour().lateStatus = 404;
                server.releaseHung();
                await().atMost(Duration.ofSeconds(20)).until(() -> server.behaviour().letGo.get() == 1);
                await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(20))
                        .until(() -> server.requests("initialize") == handshakes);

                assertThat(check(session, r).observation().outcome()).isEqualTo(Outcome.HEALTHY);
                assertThat(server.requests("initialize")).as("the later check's session was kept")
                        .isEqualTo(handshakes);
                assertThat(server.requestHeaders()).filteredOn(h -> h.get(":method").equals("DELETE"))
                        .as("nobody closed the later check's session").isEmpty();
            }
        }
    }

    @Test
    void answerThatIsNotJsonIsAProtocolFailureBeforeTheTimeout() throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.answeringJson("{not json")) {
            DecodedRegistration.Valid r = rawRegistration(backend.url(),
                    j -> ((ObjectNode) j.get("healthCheck")).put("timeoutMs", 60000).put("intervalMs", 120000));

            assertProtocolFailureBeforeTheTimeout(probe.check(r.registration(), r.settings()).get(50, TimeUnit.SECONDS),
                    r.settings().timeout());
        }
    }

    @Test
    void sseMessageThatIsNotJsonIsAProtocolFailureBeforeTheTimeout() throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.sseAnswering("{not json")) {
            DecodedRegistration.Valid r = rawRegistration(backend.url(), j -> {
                j.put("transport", "sse");
                ((ObjectNode) j.get("healthCheck")).put("timeoutMs", 60000).put("intervalMs", 120000);
            });

            assertProtocolFailureBeforeTheTimeout(probe.check(r.registration(), r.settings()).get(50, TimeUnit.SECONDS),
                    r.settings().timeout());
        }
    }

    private static void assertProtocolFailureBeforeTheTimeout(ProbeResult result, Duration timeout) {
        assertThat(result.failure()).as("%s", result).hasValueSatisfying(f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.PROTOCOL);
            assertThat(f.message()).contains("not a JSON-RPC message");
        });
        assertThat(result.latency()).as("ends on the answer, not at its timeout").isLessThan(timeout);
    }

    @Test
    void checkConnectsToTheVettedAddressAndKeepsTheNameInHost() throws Exception {
        // The JVM cannot resolve this name (.test is reserved); only the vetting's resolver knows it.
        String name = "mcp-pinned.test";
        InetAddress vetted = InetAddress.getByAddress(name, new byte[] {127, 0, 0, 1});
        McpProbe pinned = new McpProbe(HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1).build(), leanPing(leanClient),
                new SecretResolver(SecretCatalog.EMPTY),
                new TargetVetting(TargetPolicy.DEFAULT, host -> {
                    if (!host.equals(name)) {
                        throw new UnknownHostException(host);
                    }
                    return new InetAddress[] {vetted};
                }, resolver));
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            String byName = server.url().replace("127.0.0.1", name);
            DecodedRegistration.Valid r = registration(server, j -> j.put("url", byName));

            ProbeResult result = pinned.check(r.registration(), r.settings()).get(30, TimeUnit.SECONDS);

            assertThat(result.observation().outcome()).as("%s", result).isEqualTo(Outcome.HEALTHY);
            String authority = URI.create(byName).getRawAuthority();
            assertThat(server.requestHeaders()).isNotEmpty()
                    .allSatisfy(h -> assertThat(h.get("host")).isEqualTo(authority));
        }
    }

    @Test
    void pingsOnAnEstablishedSessionCarryItsIdVersionCredentialAndTheSpecsAccept() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            server.behaviour().requiredAuthorization = () -> "Bearer " + TOKEN;
            DecodedRegistration.Valid r = registration(server,
                    j -> j.putObject("auth").put("type", "bearer").put("secretRef", "token"));
            try (ProbeSession session = probe.openSession(r.settings())) {
                for (int i = 0; i < 3; i++) {
                    assertThat(check(session, r).observation().outcome()).isEqualTo(Outcome.HEALTHY);
                }
            }
            List<String> pings = server.sessionsOf("ping");
            assertThat(pings).hasSize(3).doesNotContain("").containsOnly(pings.get(0));
            List<Map<String, String>> posts = server.requestHeaders().stream()
                    .filter(h -> h.get(":method").equals("POST")).toList();
            String negotiated = posts.get(1).get("mcp-protocol-version"); // notifications/initialized, by the SDK
            assertThat(negotiated).isNotBlank();
            assertThat(posts.subList(2, posts.size())).as("the pings").hasSize(3).allSatisfy(h -> {
                assertThat(h.get("mcp-session-id")).isEqualTo(pings.get(0));
                assertThat(h.get("mcp-protocol-version")).isEqualTo(negotiated);
                assertThat(h.get("authorization")).isEqualTo("Bearer " + TOKEN);
                assertThat(h.get("user-agent")).startsWith("healthmon/");
                assertThat(h.get("accept")).contains("application/json").contains("text/event-stream");
                assertThat(h.get("content-type")).startsWith("application/json");
            });
        }
    }

    @Test
    void rateLimitedPingOnAnEstablishedSessionIsDegradedAndKeepsTheSession() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            DecodedRegistration.Valid r = registration(server, j -> {});
            try (ProbeSession session = probe.openSession(r.settings())) {
                assertThat(check(session, r).failure()).isEmpty();
                server.behaviour().rateLimited = true;

                ProbeResult limited = check(session, r);

                assertThat(limited.observation().outcome()).as("%s", limited).isEqualTo(Outcome.DEGRADED);
                assertThat(limited.observation().reason()).contains(Reason.RATE_LIMITED);
                assertThat(limited.retryAfter()).contains(Duration.ofSeconds(7));
                assertThat(limited.mcp()).isPresent();
                server.behaviour().rateLimited = false;
                assertThat(check(session, r).observation().outcome()).isEqualTo(Outcome.HEALTHY);
                assertThat(server.requests("initialize")).as("a refusal leaves the session sound").isEqualTo(1);
            }
        }
    }

    @Test
    void jsonRpcErrorToAPingOnAnEstablishedSessionIsUnhealthyProtocol() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            DecodedRegistration.Valid r = registration(server, j -> {});
            try (ProbeSession session = probe.openSession(r.settings())) {
                assertThat(check(session, r).failure()).isEmpty();
                server.behaviour().pingError = true;

                ProbeResult result = check(session, r);

                assertThat(result.observation().outcome()).isEqualTo(Outcome.UNHEALTHY);
                assertThat(result.failure()).hasValueSatisfying(f -> {
                    assertThat(f.kind()).isEqualTo(FailureKind.PROTOCOL);
                    assertThat(f.message()).isEqualTo("JSON-RPC error -32603: ping handler exploded");
                });
                assertThat(result.mcp()).isPresent();
            }
        }
    }

    @Test
    void pingRefusedForCredentialsOnAnEstablishedSessionIsUnauthenticated() throws Exception {
        try (McpTestServer server = McpTestServer.start(Kind.STREAMABLE_HTTP, false)) {
            DecodedRegistration.Valid r = registration(server, j -> {});
            try (ProbeSession session = probe.openSession(r.settings())) {
                assertThat(check(session, r).failure()).isEmpty();
                server.behaviour().requiredAuthorization = () -> "Bearer " + TOKEN;

                ProbeResult result = check(session, r);

                assertThat(result.observation().outcome()).as("%s", result).isEqualTo(Outcome.UNAUTHENTICATED);
                assertThat(result.failure()).hasValueSatisfying(f -> {
                    assertThat(f.kind()).isEqualTo(FailureKind.AUTH);
                    assertThat(f.httpStatus()).hasValue(401);
                });
            }
        }
    }

    @Test
    void pingAnsweredOnAnEventStreamAfterAnotherMessageIsHealthy() throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.session(id -> eventStream(
                "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\n\n",
                "id: 1\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{}}\n\n")
                + "0\r\n\r\n")) {
            DecodedRegistration.Valid r = rawRegistration(backend.url(),
                    j -> ((ObjectNode) j.get("healthCheck")).put("timeoutMs", 10000).put("intervalMs", 20000));
            try (ProbeSession session = probe.openSession(r.settings())) {
                for (int i = 0; i < 2; i++) {
                    ProbeResult result = check(session, r);
                    assertThat(result.observation().outcome()).as("%s", result).isEqualTo(Outcome.HEALTHY);
                    assertThat(result.mcp()).hasValueSatisfying(info -> assertThat(info.serverName()).isEqualTo("raw"));
                }
            }
            List<String> pings = backend.requestHeads().stream().filter(h -> h.startsWith("POST"))
                    .skip(2).toList(); // after initialize and notifications/initialized
            assertThat(pings).hasSize(2).allSatisfy(head -> assertThat(head.toLowerCase(Locale.ROOT))
                    .contains("mcp-session-id: " + RawMcpBackend.SESSION)
                    .contains("mcp-protocol-version: 2025-06-18"));
        }
    }

    @Test
    void pingAnsweredOnAStreamThatStaysOpenIsHealthyWithoutWaitingForItsEnd() throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.session(id -> eventStream(
                "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{}}\n\n"))) {
            DecodedRegistration.Valid r = rawRegistration(backend.url(), j -> ((ObjectNode) j.get("healthCheck"))
                    .put("timeoutMs", 20000).put("intervalMs", 30000).put("degradedLatencyMs", 20000));

            ProbeResult result = check(r);

            assertThat(result.observation().outcome()).as("%s", result).isEqualTo(Outcome.HEALTHY);
            assertThat(result.latency()).as("ends on the response, not at the stream's end or the timeout")
                    .isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void pingAnsweredForAnotherRequestIsAProtocolFailureBeforeTheTimeout() throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.session(id -> jsonAnswer(
                "{\"jsonrpc\":\"2.0\",\"id\":\"someone-else\",\"result\":{}}"))) {
            DecodedRegistration.Valid r = rawRegistration(backend.url(),
                    j -> ((ObjectNode) j.get("healthCheck")).put("timeoutMs", 60000).put("intervalMs", 120000));

            ProbeResult result = probe.check(r.registration(), r.settings()).get(50, TimeUnit.SECONDS);

            assertThat(result.failure()).as("%s", result).hasValueSatisfying(f -> {
                assertThat(f.kind()).isEqualTo(FailureKind.PROTOCOL);
                assertThat(f.message()).contains("JSON-RPC id mismatch");
            });
            assertThat(result.latency()).isLessThan(r.settings().timeout());
        }
    }

    @Test
    void pingAnsweredWithAnEventThatIsNotJsonRpcIsAProtocolFailureBeforeTheTimeout() throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.session(id -> eventStream("event: message\ndata: {not json\n\n"))) {
            DecodedRegistration.Valid r = rawRegistration(backend.url(),
                    j -> ((ObjectNode) j.get("healthCheck")).put("timeoutMs", 60000).put("intervalMs", 120000));

            assertProtocolFailureBeforeTheTimeout(probe.check(r.registration(), r.settings()).get(50, TimeUnit.SECONDS),
                    r.settings().timeout());
        }
    }

    @ParameterizedTest
    @EnumSource(McpSessionMode.class)
    void pingThatIsNeverAnsweredIsClosedWhenItsCheckIsCancelled(McpSessionMode mode) throws Exception {
        AtomicInteger pings = new AtomicInteger();
        try (RawMcpBackend backend = RawMcpBackend.session(id -> {
            pings.incrementAndGet();
            return null; // holds the ping unanswered
        })) {
            // A deadline far beyond the waits below: only the cancel can close the ping's connection in time.
            DecodedRegistration.Valid r = rawRegistration(backend.url(), j -> ((ObjectNode) j.get("healthCheck"))
                    .put("timeoutMs", 60000).put("intervalMs", 120000)
                    .put("mcpSession", mode.name().toLowerCase(Locale.ROOT)));
            try (ProbeSession session = probe.openSession(r.settings())) {
                for (int i = 1; i <= 4; i++) {
                    int before = pings.get();
                    CompletableFuture<ProbeResult> result = session.check(r.registration());
                    await().atMost(Duration.ofSeconds(20)).until(() -> pings.get() > before);
                    result.cancel(true); // as the monitor's timeout guard or a stop does

                    await("the ping's connection closed, check " + i).atMost(Duration.ofSeconds(15))
                            .until(() -> backend.holdingPings() == 0);
                }
            }
            assertThat(backend.maxHoldingPings()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"})
    void pingAnsweredWithoutItsResponseTimesOutAsTheSdkDoes(String answer) throws Exception {
        AtomicInteger pings = new AtomicInteger();
        try (RawMcpBackend backend = RawMcpBackend.session(id -> pings.incrementAndGet() == 1
                ? jsonAnswer("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{}}") : answer)) {
            DecodedRegistration.Valid r = rawRegistration(backend.url(),
                    j -> ((ObjectNode) j.get("healthCheck")).put("timeoutMs", 3000).put("intervalMs", 120000));
            try (ProbeSession session = probe.openSession(r.settings())) {
                assertThat(check(session, r).failure()).isEmpty();
                for (int i = 0; i < 2; i++) { // on the established session, then on the new one after the timeout
                    ProbeResult result = check(session, r);

                    assertThat(result.failure()).as("%s", result)
                            .hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TIMEOUT));
                    assertThat(result.latency()).isGreaterThanOrEqualTo(r.settings().timeout());
                }
            }
        }
    }

    /** As the SDK (1.1.5): a 2xx answer whose media type is neither JSON nor an event stream fails at once. */
    @ParameterizedTest
    @EnumSource(McpSessionMode.class)
    void pingAnsweredWithAnUnknownMediaTypeIsAProtocolFailureBeforeTheTimeout(McpSessionMode mode) throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.session(id -> pong(id).replace("application/json", "text/plain"))) {
            DecodedRegistration.Valid r = rawRegistration(backend.url(), j -> ((ObjectNode) j.get("healthCheck"))
                    .put("timeoutMs", 20000).put("intervalMs", 30000).put("degradedLatencyMs", 20000)
                    .put("mcpSession", mode.wireName()));
            try (ProbeSession session = probe.openSession(r.settings())) {
                ProbeResult result = check(session, r);

                assertThat(result.failure()).as("%s", result).hasValueSatisfying(f -> {
                    assertThat(f.kind()).isEqualTo(FailureKind.PROTOCOL);
                    assertThat(f.message()).containsIgnoringCase("media type").contains("text/plain");
                });
                assertThat(result.latency()).isLessThan(r.settings().timeout());
            }
        }
    }

    /** As the SDK (1.1.5): a 2xx answer without {@code Content-Type} has no body, so the response never comes. */
    @ParameterizedTest
    @EnumSource(McpSessionMode.class)
    void pingAnsweredWithoutAContentTypeTimesOutAsTheSdkDoes(McpSessionMode mode) throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.session(
                id -> pong(id).replace("Content-Type: application/json\r\n", ""))) {
            DecodedRegistration.Valid r = rawRegistration(backend.url(), j -> ((ObjectNode) j.get("healthCheck"))
                    .put("timeoutMs", 2000).put("intervalMs", 30000).put("degradedLatencyMs", 2000)
                    .put("mcpSession", mode.wireName()));
            try (ProbeSession session = probe.openSession(r.settings())) {
                ProbeResult result = check(session, r);

                assertThat(result.failure()).as("%s", result)
                        .hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TIMEOUT));
                assertThat(result.latency()).isGreaterThanOrEqualTo(r.settings().timeout());
            }
        }
    }

    /**
     * The answer to {@code notifications/initialized} counts only when it is malformed: the SDK logs a JSON-RPC error
     * to a notification and goes on, while a body that is not JSON-RPC fails the check as any malformed answer does.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"no\"}}|HEALTHY",
        "not json|UNHEALTHY"})
    void answerToTheInitializedNotificationCountsOnlyWhenMalformed(String body, Outcome expected) throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.session(id -> RawMcpBackend.jsonAnswer(
                RawMcpBackend.initializeResult(id, "2025-06-18"), "Mcp-Session-Id: s1\r\n"), jsonAnswer(body),
                McpProbeTest::pong)) {
            DecodedRegistration.Valid r = freshRaw(backend.url(), 20000);

            ProbeResult result = probe.check(r.registration(), r.settings()).get(30, TimeUnit.SECONDS);

            assertThat(result.observation().outcome()).as("%s", result).isEqualTo(expected);
            if (expected == Outcome.UNHEALTHY) {
                assertThat(result.failure()).hasValueSatisfying(f -> assertThat(f.kind())
                        .isEqualTo(FailureKind.PROTOCOL));
                assertThat(result.latency()).isLessThan(r.settings().timeout());
            }
        }
    }

    /**
     * The SDK's 1 MiB limit is per line of an event stream, not per answer: a stream carrying more than that in small
     * notifications before the response is healthy, on every path (the whole stream is bounded by the deadline).
     */
    @ParameterizedTest
    @EnumSource(McpSessionMode.class)
    void pingAnsweredAfterMoreThanAMebibyteOfSmallNotificationsIsHealthy(McpSessionMode mode) throws Exception {
        String notification = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
                + "\"params\":{\"level\":\"info\",\"data\":\"" + "x".repeat(900) + "\"}}\n\n";
        int count = McpSession.MAX_RESPONSE_BYTES / notification.length() + 200;
        try (RawMcpBackend backend = RawMcpBackend.session(id -> {
            String[] events = new String[count + 1];
            Arrays.fill(events, notification);
            events[count] = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{}}\n\n";
            return eventStream(events) + "0\r\n\r\n";
        })) {
            DecodedRegistration.Valid r = rawRegistration(backend.url(), j -> ((ObjectNode) j.get("healthCheck"))
                    .put("timeoutMs", 20000).put("intervalMs", 30000).put("degradedLatencyMs", 20000)
                    .put("mcpSession", mode.wireName()));
            try (ProbeSession session = probe.openSession(r.settings())) {
                ProbeResult result = check(session, r);

                assertThat(result.observation().outcome()).as("%s", result).isEqualTo(Outcome.HEALTHY);
            }
        }
    }

    /** One event line over the SDK's 1 MiB limit fails the check at once, on every path. */
    @Test
    void pingAnsweredWithAnEventLineOverTheLimitIsAProtocolFailureBeforeTheTimeout() throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.session(id -> eventStream("event: message\ndata: {\"jsonrpc\":"
                + "\"2.0\",\"method\":\"notifications/message\",\"params\":{\"data\":\""
                + "x".repeat(McpSession.MAX_RESPONSE_BYTES) + "\"}}\n\n"))) {
            DecodedRegistration.Valid r = rawRegistration(backend.url(), j -> ((ObjectNode) j.get("healthCheck"))
                    .put("timeoutMs", 20000).put("intervalMs", 30000).put("degradedLatencyMs", 20000));
            try (ProbeSession session = probe.openSession(r.settings())) {
                ProbeResult result = check(session, r);

                assertThat(result.failure()).as("%s", result)
                        .hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.PROTOCOL));
                assertThat(result.latency()).isLessThan(r.settings().timeout());
            }
        }
    }

    // What a fresh session's handshake can get wrong: run against the SDK and the lean handshake (McpLeanFresh) alike.

    @Test
    void initializeAnsweredWithAVersionWeDoNotSupportIsAProtocolFailureBeforeTheTimeout() throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.session(id -> RawMcpBackend.jsonAnswer(
                RawMcpBackend.initializeResult(id, "1999-01-01"), "Mcp-Session-Id: s1\r\n"), McpProbeTest::pong)) {
            DecodedRegistration.Valid r = freshRaw(backend.url(), 60000);

            ProbeResult result = probe.check(r.registration(), r.settings()).get(50, TimeUnit.SECONDS);

            assertThat(result.failure()).as("%s", result).hasValueSatisfying(f -> {
                assertThat(f.kind()).isEqualTo(FailureKind.PROTOCOL);
                assertThat(f.message()).isEqualTo("JSON-RPC error -32602: Unsupported protocol version");
            });
            assertThat(result.latency()).isLessThan(r.settings().timeout());
            assertThat(result.mcp()).as("no server info from a session that was refused").isEmpty();
            // The SDK opens its optional event stream (GET) as soon as the answer names a session; no POST follows.
            assertThat(backend.requestHeads()).filteredOn(h -> h.startsWith("POST")).as("nothing after initialize")
                    .hasSize(1);
        }
    }

    @Test
    void initializeAnsweredWithAJsonRpcErrorIsAProtocolFailureWithItsCodeAndMessage() throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.session(id -> RawMcpBackend.jsonAnswer("{\"jsonrpc\":\"2.0\",\"id\":"
                + id + ",\"error\":{\"code\":-32000,\"message\":\"not ready\"}}", ""), McpProbeTest::pong)) {
            DecodedRegistration.Valid r = freshRaw(backend.url(), 60000);

            ProbeResult result = probe.check(r.registration(), r.settings()).get(50, TimeUnit.SECONDS);

            assertThat(result.failure()).as("%s", result).hasValueSatisfying(f -> {
                assertThat(f.kind()).isEqualTo(FailureKind.PROTOCOL);
                assertThat(f.message()).isEqualTo("JSON-RPC error -32000: not ready");
            });
            assertThat(result.mcp()).as("no server info without an initialize result").isEmpty();
            assertThat(result.latency()).isLessThan(r.settings().timeout());
        }
    }

    @Test
    void initializeAnsweredOnAnEventStreamIsHealthyAndItsSessionIsUsedThenDeleted() throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.session(id -> "HTTP/1.1 200 OK\r\nMcp-Session-Id: sse-session-7"
                + "\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunk(": primer\n\n")
                + chunk("event: message\ndata: " + RawMcpBackend.initializeResult(id, "2025-03-26") + "\n\n")
                + "0\r\n\r\n", McpProbeTest::pong)) {
            DecodedRegistration.Valid r = freshRaw(backend.url(), 20000);

            ProbeResult result = probe.check(r.registration(), r.settings()).get(30, TimeUnit.SECONDS);

            assertThat(result.observation().outcome()).as("%s", result).isEqualTo(Outcome.HEALTHY);
            assertThat(result.mcp()).hasValueSatisfying(info -> {
                assertThat(info.protocolVersion()).isEqualTo("2025-03-26");
                assertThat(info.serverName()).isEqualTo("raw");
                assertThat(info.serverVersion()).isEqualTo("1");
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> backend.requestHeads().stream()
                    .anyMatch(h -> h.startsWith("DELETE")));
            List<String> heads = lowerCase(backend.requestHeads());
            assertThat(heads.stream().filter(h -> h.startsWith("post")).skip(1)).as("initialized, ping").hasSize(2)
                    .allSatisfy(h -> assertThat(h).contains("mcp-session-id: sse-session-7")
                            .contains("mcp-protocol-version: 2025-03-26").contains("user-agent: healthmon/"));
            // The SDK's DELETE (and its event stream's GET) carry its latest version, not the negotiated one.
            assertThat(heads).filteredOn(h -> h.startsWith("delete")).hasSize(1).allSatisfy(h -> assertThat(h)
                    .contains("mcp-session-id: sse-session-7").contains("user-agent: healthmon/"));
        }
    }

    @Test
    void serverThatNamesNoSessionIsCheckedWithoutOneAndNothingIsDeleted() throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.session(id -> RawMcpBackend.jsonAnswer(
                RawMcpBackend.initializeResult(id, "2025-06-18"), ""), McpProbeTest::pong)) {
            DecodedRegistration.Valid r = freshRaw(backend.url(), 20000);

            ProbeResult result = probe.check(r.registration(), r.settings()).get(30, TimeUnit.SECONDS);

            assertThat(result.observation().outcome()).as("%s", result).isEqualTo(Outcome.HEALTHY);
            List<String> heads = lowerCase(backend.requestHeads());
            assertThat(heads).filteredOn(h -> h.startsWith("post")).hasSize(3)
                    .noneSatisfy(h -> assertThat(h).contains("mcp-session-id"));
            assertThat(heads.stream().filter(h -> h.startsWith("post")).skip(1))
                    .allSatisfy(h -> assertThat(h).contains("mcp-protocol-version: 2025-06-18"));
            // Held for a while: a DELETE is sent without waiting, so its absence right after the result proves nothing.
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> backend.requestHeads()
                    .stream().noneMatch(h -> h.startsWith("DELETE")));
        }
    }

    /** The SDK (1.1.5) takes a 404, and a 400 to a request that carried a session id, as "session not found". */
    @ParameterizedTest
    @CsvSource({"404, REUSE", "404, FRESH", "400, REUSE", "400, FRESH"})
    void pingRefusedWith404Or400ForAStaleSessionIsHttpStatusWithoutServerInfo(int status, McpSessionMode mode)
            throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.session(
                id -> "HTTP/1.1 " + status + " Refused\r\nContent-Length: 0\r\n\r\n")) {
            DecodedRegistration.Valid r = rawRegistration(backend.url(), j -> ((ObjectNode) j.get("healthCheck"))
                    .put("timeoutMs", 20000).put("intervalMs", 30000).put("degradedLatencyMs", 20000)
                    .put("mcpSession", mode.name().toLowerCase(Locale.ROOT)));
            try (ProbeSession session = probe.openSession(r.settings())) {
                ProbeResult result = check(session, r);

                assertThat(result.failure()).as("%s", result).hasValueSatisfying(f -> {
                    assertThat(f.kind()).isEqualTo(FailureKind.HTTP_STATUS);
                    assertThat(f.httpStatus()).hasValue(status);
                });
                // The session is gone, and the SDK forgets its initialize result with it.
                assertThat(result.mcp()).isEmpty();
            }
        }
    }

    /**
     * A server restarted behind a kept session answers its old id with 400 (as some do, and the SDK reads as "session
     * not found"): the check renews the session at once and is healthy, on every path.
     */
    @Test
    void keptSessionRefusedWith400AfterARestartIsRenewedAndHealthy() throws Exception {
        AtomicInteger initializes = new AtomicInteger();
        AtomicInteger pings = new AtomicInteger();
        try (RawMcpBackend backend = RawMcpBackend.session(id -> {
            initializes.incrementAndGet();
            return RawMcpBackend.jsonAnswer(RawMcpBackend.initializeResult(id, "2025-06-18"),
                    "Mcp-Session-Id: " + RawMcpBackend.SESSION + "\r\n");
        }, id -> pings.incrementAndGet() == 2 ? "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" : pong(id))) {
            DecodedRegistration.Valid r = rawRegistration(backend.url(), j -> ((ObjectNode) j.get("healthCheck"))
                    .put("timeoutMs", 20000).put("intervalMs", 30000).put("degradedLatencyMs", 20000));
            try (ProbeSession session = probe.openSession(r.settings())) {
                assertThat(check(session, r).failure()).isEmpty();

                ProbeResult afterRestart = check(session, r);

                assertThat(afterRestart.observation().outcome()).as("%s", afterRestart).isEqualTo(Outcome.HEALTHY);
                assertThat(initializes).as("a new session after the 400").hasValue(2);
                assertThat(pings).as("the refused ping, then one on the new session").hasValue(3);
                assertThat(check(session, r).observation().outcome()).isEqualTo(Outcome.HEALTHY);
                assertThat(initializes).as("the new session is kept").hasValue(2);
            }
        }
    }

    @Test
    void initializeAnswerOverTheSizeLimitIsAProtocolFailureBeforeTheTimeout() throws Exception {
        String padding = "x".repeat(McpSession.MAX_RESPONSE_BYTES);
        try (RawMcpBackend backend = RawMcpBackend.session(id -> RawMcpBackend.jsonAnswer(
                RawMcpBackend.initializeResult(id, "2025-06-18").replace("\"raw\"", "\"" + padding + "\""),
                "Mcp-Session-Id: big\r\n"), McpProbeTest::pong)) {
            DecodedRegistration.Valid r = freshRaw(backend.url(), 30000);

            ProbeResult result = probe.check(r.registration(), r.settings()).get(50, TimeUnit.SECONDS);

            // As the SDK: PROTOCOL at once, not a TIMEOUT after reading on (the SDK: "Inbound line exceeds the maximum
            // allowed size of 1048576 bytes").
            assertThat(result.failure()).as("%s", result).hasValueSatisfying(f -> {
                assertThat(f.kind()).isEqualTo(FailureKind.PROTOCOL);
                assertThat(f.message()).contains("1048576");
            });
            assertThat(result.latency()).isLessThan(r.settings().timeout());
            assertThat(result.mcp()).as("the oversized answer is not taken").isEmpty();
            assertThat(backend.requestHeads()).filteredOn(h -> h.startsWith("POST")).as("nothing after initialize")
                    .hasSize(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"})
    void initializeAnsweredWithoutItsResponseTimesOutAtTheTimeoutAsTheSdkDoes(String answer) throws Exception {
        try (RawMcpBackend backend = RawMcpBackend.session(id -> answer, McpProbeTest::pong)) {
            DecodedRegistration.Valid r = freshRaw(backend.url(), 2000);

            ProbeResult result = probe.check(r.registration(), r.settings()).get(30, TimeUnit.SECONDS);

            assertThat(result.failure()).as("%s", result)
                    .hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TIMEOUT));
            assertThat(result.latency()).isGreaterThanOrEqualTo(r.settings().timeout());
            assertThat(backend.requestHeads()).filteredOn(h -> h.startsWith("POST")).as("nothing after initialize")
                    .hasSize(1);
        }
    }

    private static DecodedRegistration.Valid freshRaw(String url, int timeoutMs) {
        return rawRegistration(url, j -> ((ObjectNode) j.get("healthCheck")).put("timeoutMs", timeoutMs)
                .put("intervalMs", 2 * timeoutMs).put("degradedLatencyMs", timeoutMs).put("mcpSession", "fresh"));
    }

    private static String pong(String id) {
        return jsonAnswer("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{}}");
    }

    private static String chunk(String text) {
        return Integer.toHexString(text.getBytes(StandardCharsets.UTF_8).length) + "\r\n" + text + "\r\n";
    }

    private static List<String> lowerCase(List<String> heads) {
        return heads.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
    }

    /** A chunked {@code text/event-stream} answer carrying {@code events}, one chunk each, not ended. */
    private static String eventStream(String... events) {
        StringBuilder answer = new StringBuilder(
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (String event : events) {
            answer.append(Integer.toHexString(event.getBytes(StandardCharsets.UTF_8).length)).append("\r\n")
                    .append(event).append("\r\n");
        }
        return answer.toString();
    }

    private static String jsonAnswer(String body) {
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    private static DecodedRegistration.Valid rawRegistration(String url, Consumer<ObjectNode> edit) {
        return valid(json("mcp-backend", url, j -> {
            j.put("transport", "streamable-http");
            ((ObjectNode) j.get("healthCheck")).put("intervalMs", 5000);
            edit.accept(j);
        }));
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
