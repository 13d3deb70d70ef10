package dev.healthmon.probe;

import static dev.healthmon.support.Registrations.json;
import static dev.healthmon.support.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.healthmon.events.FailureKind;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.Reason;
import dev.healthmon.support.DeclaredSecrets;
import dev.healthmon.support.LoopbackPorts;
import dev.healthmon.target.TargetPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The http probe against real HTTP servers on loopback. */
class HttpProbeTest {

    private static final String TOKEN = "s3cret-token-value";
    private static HttpServer server;
    private static ExecutorService handlers;
    private static String base;
    private static final AtomicInteger redirectTargetHits = new AtomicInteger();
    private static final AtomicInteger endpoints = new AtomicInteger();

    private static final ExecutorService resolver = Executors.newFixedThreadPool(2);
    /** Resolves like the system, except that metadata.test points at the cloud metadata address. */
    private static final TargetVetting vetting = new TargetVetting(TargetPolicy.DEFAULT,
            host -> host.equals("metadata.test")
            ? new InetAddress[] {InetAddress.getByName("169.254.169.254")} : InetAddress.getAllByName(host), resolver);
    private static final PlainHttpClient plain = new PlainHttpClient();
    /** Where the file secrets declared below live (a class-wide directory: the catalog is built per instance). */
    @TempDir
    static Path secretFiles;
    private final HttpProbe probe = new HttpProbe(plain, new SecretResolver(catalog(),
            Map.of("TOKEN", TOKEN, "MULTILINE", "first-line\nsecond-line")::get), vetting);

    private static SecretCatalog catalog() {
        return DeclaredSecrets.catalog(DeclaredSecrets.toLoopback("token", "env:TOKEN"),
                DeclaredSecrets.toLoopback("not-set", "env:NOT_SET"),
                DeclaredSecrets.toLoopback("multiline", "env:MULTILINE"),
                DeclaredSecrets.toLoopback("a-directory", "file:" + secretFiles),
                DeclaredSecrets.toLoopback("rotating", "file:" + secretFiles.resolve("rotating")));
    }

    @BeforeAll
    static void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.createContext("/ok", e -> respond(e, 200, "ok"));
        server.createContext("/slow", e -> {
            pause(300); // a slow backend: slower than the 100 ms degraded threshold used below
            respond(e, 200, "ok");
        });
        server.createContext("/unavailable", e -> respond(e, 503, "down"));
        server.createContext("/secure", e -> respondToBearer(e, new CopyOnWriteArrayList<>()));
        server.createContext("/unauthorized", e -> respond(e, 401, ""));
        server.createContext("/forbidden", e -> respond(e, 403, ""));
        server.createContext("/busy", e -> {
            e.getResponseHeaders().add("Retry-After", "7");
            respond(e, 429, "slow down");
        });
        server.createContext("/moved", e -> {
            e.getResponseHeaders().add("Location", "/target");
            respond(e, 302, "");
        });
        server.createContext("/target", e -> {
            redirectTargetHits.incrementAndGet();
            respond(e, 500, "");
        });
        handlers = Executors.newCachedThreadPool();
        server.setExecutor(handlers);
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    static void stopServer() {
        server.stop(0);
        handlers.shutdownNow();
        resolver.shutdownNow();
        plain.close();
    }

    /**
     * A fresh endpoint of this test's own that answers 200 to the bearer {@link #TOKEN} and 401 to anything else,
     * recording every Authorization header it receives (the literal "null" when there is none).
     */
    private static String secureEndpoint(List<String> authorizationSeen) {
        String path = "/secure-" + endpoints.incrementAndGet();
        server.createContext(path, e -> respondToBearer(e, authorizationSeen));
        return base + path;
    }

    private static void respondToBearer(HttpExchange e, List<String> authorizationSeen) throws IOException {
        String authorization = e.getRequestHeaders().getFirst("Authorization");
        authorizationSeen.add(String.valueOf(authorization));
        respond(e, ("Bearer " + TOKEN).equals(authorization) ? 200 : 401, "");
    }

    /**
     * Checks with generous time limits: a loaded 2-core machine must not turn a healthy answer into DEGRADED or
     * TIMEOUT. The tests about slowness and timeouts set their own, tight limits.
     */
    private ProbeResult check(String url, Consumer<ObjectNode> edit) throws Exception {
        DecodedRegistration.Valid r = valid(json("b", url, j -> {
            ((ObjectNode) j.get("healthCheck")).put("degradedLatencyMs", 4000).put("timeoutMs", 5000)
                    .put("intervalMs", 30000);
            edit.accept(j);
        }));
        return probe.check(r.registration(), r.settings()).get(30, TimeUnit.SECONDS);
    }

    private ProbeResult check(String url) throws Exception {
        return check(url, j -> {});
    }

    @Test
    void healthyOn200() throws Exception {
        ProbeResult result = check(base + "/ok");
        assertThat(result.observation().outcome()).isEqualTo(Outcome.HEALTHY);
        assertThat(result.failure()).isEmpty();
    }

    @Test
    void appendsThePathToTheUrl() throws Exception {
        ProbeResult result = check(base, j -> ((ObjectNode) j.get("healthCheck")).put("path", "/ok"));
        assertThat(result.observation().outcome()).isEqualTo(Outcome.HEALTHY);
    }

    @Test
    void degradedWithReasonSlowWhenSlowerThanTheThreshold() throws Exception {
        // The server takes at least 300 ms; the threshold is 100 ms: DEGRADED however loaded the machine is.
        ProbeResult result = check(base + "/slow",
                j -> ((ObjectNode) j.get("healthCheck")).put("degradedLatencyMs", 100));
        assertThat(result.observation().outcome()).isEqualTo(Outcome.DEGRADED);
        assertThat(result.observation().reason()).contains(Reason.SLOW);
        assertThat(result.latency()).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }

    @Test
    void unhealthyWithHttpStatusOn503() throws Exception {
        ProbeResult result = check(base + "/unavailable");
        assertThat(result.observation().outcome()).isEqualTo(Outcome.UNHEALTHY);
        assertThat(result.failure()).hasValueSatisfying(f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.HTTP_STATUS);
            assertThat(f.httpStatus()).hasValue(503);
        });
    }

    @Test
    void unauthenticatedOn401WithoutAuth() throws Exception {
        ProbeResult result = check(base + "/unauthorized");
        assertThat(result.observation().outcome()).isEqualTo(Outcome.UNAUTHENTICATED);
        assertThat(result.failure()).hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.AUTH));
    }

    @Test
    void unauthenticatedOn403WithoutAuth() throws Exception {
        assertThat(check(base + "/forbidden").observation().outcome()).isEqualTo(Outcome.UNAUTHENTICATED);
    }

    @Test
    void sendsTheBearerSecretFromItsReference() throws Exception {
        // A 401 also reads HEALTHY when auth is configured, so the outcome proves nothing here: what the server
        // received does.
        List<String> authorizationSeen = new CopyOnWriteArrayList<>();
        ProbeResult result = check(secureEndpoint(authorizationSeen),
                j -> j.putObject("auth").put("type", "bearer").put("secretRef", "token"));
        assertThat(result.observation().outcome()).isEqualTo(Outcome.HEALTHY);
        assertThat(authorizationSeen).containsExactly("Bearer " + TOKEN);
    }

    @Test
    void healthyOn401WhenTheRegistrationHasAuth() throws Exception {
        // The backend is up and asks for credentials: with auth configured that is healthy (ToolHive parity).
        ProbeResult result = check(base + "/unauthorized",
                j -> j.putObject("auth").put("type", "bearer").put("secretRef", "token"));
        assertThat(result.observation().outcome()).isEqualTo(Outcome.HEALTHY);
        assertThat(result.failure()).isEmpty();
    }

    @Test
    void healthyOn403WhenTheRegistrationHasAuth() throws Exception {
        ProbeResult result = check(base + "/forbidden",
                j -> j.putObject("auth").put("type", "bearer").put("secretRef", "token"));
        assertThat(result.observation().outcome()).isEqualTo(Outcome.HEALTHY);
        assertThat(result.failure()).isEmpty();
    }

    @Test
    void missingSecretIsAnInternalFailureNamingTheSecret() throws Exception {
        ProbeResult result = check(base + "/secure",
                j -> j.putObject("auth").put("type", "bearer").put("secretRef", "not-set"));
        assertThat(result.failure()).hasValueSatisfying(f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.INTERNAL);
            assertThat(f.message()).contains("secret not-set is missing");
        });
    }

    @Test
    void secretThatCannotBeAHeaderIsRefusedWithoutQuotingIt() throws Exception {
        ProbeResult result = check(base + "/secure",
                j -> j.putObject("auth").put("type", "bearer").put("secretRef", "multiline"));
        assertThat(result.failure()).hasValueSatisfying(f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.INTERNAL);
            assertThat(f.message()).contains("secret multiline").doesNotContain("first-line")
                    .doesNotContain("second-line");
        });
    }

    @Test
    void secretFileThatIsNotARegularFileCountsAsMissing() throws Exception {
        ProbeResult result = check(base + "/secure",
                j -> j.putObject("auth").put("type", "bearer").put("secretRef", "a-directory"));
        assertThat(result.failure()).hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.INTERNAL));
    }

    @Test
    void secretFileIsReadAtEachCheckSoRotationIsPickedUp() throws Exception {
        Path file = secretFiles.resolve("rotating");
        Files.writeString(file, "old-token\n");
        Consumer<ObjectNode> auth = j -> j.putObject("auth").put("type", "bearer").put("secretRef", "rotating");
        List<String> authorizationSeen = new CopyOnWriteArrayList<>();
        String url = secureEndpoint(authorizationSeen);
        assertThat(check(url, auth).failure()).isEmpty(); // 401 with auth configured: up
        Files.writeString(file, TOKEN + "\n");
        check(url, auth);
        assertThat(authorizationSeen).containsExactly("Bearer old-token", "Bearer " + TOKEN);
    }

    @Test
    void cancellingTheProbeAbortsTheExchange() throws Exception {
        try (ServerSocket endless = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CountDownLatch streaming = new CountDownLatch(1);
            AtomicBoolean clientHungUp = new AtomicBoolean();
            Thread server = new Thread(() -> {
                try (Socket client = endless.accept(); OutputStream out = client.getOutputStream()) {
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    streaming.countDown();
                    for (int i = 0; i < 10_000; i++) {
                        out.write('x');
                        out.flush();
                        pause(20);
                    }
                } catch (IOException e) {
                    clientHungUp.set(true);
                }
            });
            server.setDaemon(true);
            server.start();
            DecodedRegistration.Valid r = valid(json("b", "http://127.0.0.1:" + endless.getLocalPort() + "/", j -> {}));
            var future = probe.check(r.registration(), r.settings());
            assertThat(streaming.await(5, TimeUnit.SECONDS)).isTrue();

            future.cancel(true);

            await().atMost(Duration.ofSeconds(10)).untilTrue(clientHungUp);
        }
    }

    @Test
    void rateLimitedIsDegradedAndCarriesRetryAfter() throws Exception {
        ProbeResult result = check(base + "/busy");
        assertThat(result.observation().outcome()).isEqualTo(Outcome.DEGRADED);
        assertThat(result.observation().reason()).contains(Reason.RATE_LIMITED);
        assertThat(result.retryAfter()).contains(Duration.ofSeconds(7));
    }

    @Test
    void doesNotFollowRedirects() throws Exception {
        ProbeResult result = check(base + "/moved");
        assertThat(result.observation().outcome()).as("302 is within the default 200-399").isEqualTo(Outcome.HEALTHY);
        assertThat(redirectTargetHits).hasValue(0);
    }

    @Test
    void httpsGoesThroughTls() throws Exception {
        // A server that answers a TLS hello in plain text: the handshake fails, and says so.
        try (ServerSocket plainText = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (Socket client = plainText.accept()) {
                    client.getInputStream().read(new byte[512]);
                    client.getOutputStream()
                            .write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException ignored) {
                    // test over
                }
            });
            server.setDaemon(true);
            server.start();

            // The JVM's first TLS handshake loads the whole TLS stack: on a slow host that took over
            // the usual 500 ms, and the check came back TIMEOUT. This test is about the failure's kind.
            ProbeResult result = check("https://127.0.0.1:" + plainText.getLocalPort() + "/",
                    j -> ((ObjectNode) j.get("healthCheck")).put("timeoutMs", 4000));

            assertThat(result.failure()).hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TLS));
        }
    }

    @Test
    void keepsOneConnectionForRepeatedChecksOfABackend() throws Exception {
        try (PlainHttpClient own = new PlainHttpClient()) {
            HttpProbe probe = new HttpProbe(own, new SecretResolver(SecretCatalog.EMPTY), vetting);
            DecodedRegistration.Valid r = valid(json("b", base + "/ok", j -> {}));
            for (int i = 0; i < 3; i++) {
                assertThat(probe.check(r.registration(), r.settings()).get(10,
                        TimeUnit.SECONDS).observation().outcome())
                        .isEqualTo(Outcome.HEALTHY);
            }
            assertThat(own.openConnections()).isEqualTo(1);
        }
    }

    @Test
    void requestHeadIsAnOriginFormGetWithHostAndTheCredential() {
        String head = new String(HttpProbe.requestHead(URI.create("http://[::1]:8080/v1/health?deep=1#frag"),
                Optional.of(new SecretResolver.Credential("X-Api-Key", "k"))), StandardCharsets.ISO_8859_1);

        assertThat(head).isEqualTo("GET /v1/health?deep=1 HTTP/1.1\r\nHost: [::1]:8080\r\nUser-Agent: healthmon/0.1\r\n"
                + "Accept: */*\r\nX-Api-Key: k\r\n\r\n");
    }

    @Test
    void requestHeadPercentEncodesARawNonAsciiPathAndDefaultsToSlash() {
        String encoded = new String(HttpProbe.requestHead(URI.create("http://h/sant\u00e9"),
                Optional.empty()),
                StandardCharsets.ISO_8859_1);
        String bare = new String(HttpProbe.requestHead(URI.create("http://h"), Optional.empty()),
                StandardCharsets.ISO_8859_1);

        assertThat(encoded).startsWith("GET /sant%C3%A9 HTTP/1.1\r\nHost: h\r\n");
        assertThat(bare).startsWith("GET / HTTP/1.1\r\n");
    }

    @Test
    void connectionRefusedOnAClosedPort() throws Exception {
        int port = LoopbackPorts.unused(); // nothing listens there
        ProbeResult result = check("http://127.0.0.1:" + port + "/");
        assertThat(result.observation().outcome()).isEqualTo(Outcome.UNHEALTHY);
        assertThat(result.failure()).hasValueSatisfying(f
                -> assertThat(f.kind()).isEqualTo(FailureKind.CONNECTION_REFUSED));
    }

    @Test
    void timesOutWithinTheTimeoutWhenTheServerNeverAnswers() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = acceptAndHold(silent);
            long start = System.nanoTime();
            ProbeResult result = check("http://127.0.0.1:" + silent.getLocalPort() + "/",
                    j -> ((ObjectNode) j.get("healthCheck")).put("timeoutMs", 500));
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(result.failure()).hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TIMEOUT));
            // The server never answers: without the timeout the check would run for the 30 s the test waits.
            // The margin (4.5 s over the 500 ms timeout) is for a loaded machine, not for the code.
            assertThat(took).isLessThan(Duration.ofMillis(500 + 4500));
            acceptor.interrupt();
        }
    }

    @Test
    void readsAtMostTheCapOfAHugeBody() throws Exception {
        // 100 MiB, trickled: reading all of it would take over 30 s, far past the 5 s timeout, and the check would
        // come back TIMEOUT. A capped read stops after 64 KiB and answers HEALTHY.
        try (ServerSocket bigBody = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread writer = new Thread(() -> serveTrickledBody(bigBody, 100 * 1024 * 1024));
            writer.setDaemon(true);
            writer.start();

            ProbeResult result = check("http://127.0.0.1:" + bigBody.getLocalPort() + "/");

            assertThat(result.failure()).isEmpty();
            assertThat(result.observation().outcome()).isEqualTo(Outcome.HEALTHY);
            assertThat(result.latency()).isLessThan(Duration.ofMillis(5000));
        }
    }

    @Test
    void refusesAHostNameThatResolvesToTheCloudMetadataAddress() throws Exception {
        ProbeResult result = check("http://metadata.test/latest/meta-data/");
        assertThat(result.failure()).hasValueSatisfying(f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.INTERNAL);
            assertThat(f.message()).contains("refused by target policy").contains("169.254.169.254")
                    .contains("169.254.0.0/16");
        });
    }

    @Test
    void dnsFailureForAnUnresolvableHost() throws Exception {
        ProbeResult result = check("http://no-such-host.invalid/");
        assertThat(result.failure()).hasValueSatisfying(f -> assertThat(f.kind()).isIn(FailureKind.DNS,
                FailureKind.CONNECTION_REFUSED));
    }

    private static Thread acceptAndHold(ServerSocket socket) {
        Thread t = new Thread(() -> {
            try (Socket held = socket.accept(); InputStream in = held.getInputStream()) {
                in.transferTo(OutputStream.nullOutputStream()); // read the request, never answer
            } catch (IOException ignored) {
                // test over
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void serveTrickledBody(ServerSocket socket, int length) {
        try (Socket client = socket.accept(); OutputStream out = client.getOutputStream()) {
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            for (int sent = 0; sent < length; sent += chunk.length) {
                out.write(chunk);
                out.flush();
                pause(20);
            }
        } catch (IOException expected) {
            // the probe closed the connection after its cap
        }
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis); // simulates a slow backend; never used to wait for the code under test
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
