package dev.healthmon.probe;

import static dev.healthmon.support.Registrations.json;
import static dev.healthmon.support.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.events.FailureKind;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.status.Outcome;
import dev.healthmon.target.TargetPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The http probe on {@code https://} URLs, against real TLS servers on loopback addresses other
 * than 127.0.0.1, with a certificate generated for the test and names that only the test's
 * resolver knows ({@code .test} never resolves in DNS).
 */
class HttpsProbeTest {

    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    private static final String OK_THEN_CLOSE = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";

    @TempDir
    static Path dir;
    private static TlsTestServer.Identity identity;
    private static SSLContext trusting;
    private static InetAddress backendAddress;
    private static final ExecutorService resolverThreads = Executors.newFixedThreadPool(2);

    /** Every name the test resolves, and how often it was asked. */
    private final Map<String, AtomicInteger> lookups = new ConcurrentHashMap<>();
    private PlainHttpClient client;
    private TlsTestServer server;

    @BeforeAll
    static void makeCertificate() throws Exception {
        identity = TlsTestServer.Identity.generate(dir, "backend.test", "alias.test");
        trusting = identity.trustingClient();
        backendAddress = InetAddress.getByName("127.0.0.2");
    }

    @AfterAll
    static void stopResolver() {
        resolverThreads.shutdownNow();
    }

    @AfterEach
    void stop() throws IOException {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** A probe whose names resolve through {@code resolver}, counted, over a client trusting {@code tls}. */
    private HttpProbe probe(SSLContext tls, TargetVetting.HostResolver resolver) {
        client = new PlainHttpClient(tls);
        TargetVetting vetting = new TargetVetting(TargetPolicy.DEFAULT, host -> {
            lookups.computeIfAbsent(host, h -> new AtomicInteger()).incrementAndGet();
            return resolver.resolve(host);
        }, resolverThreads);
        return new HttpProbe(client, new SecretResolver(SecretCatalog.EMPTY), vetting);
    }

    /** Every name the test uses resolves to 127.0.0.2. */
    private HttpProbe probe() {
        return probe(trusting, host -> new InetAddress[] {backendAddress});
    }

    private static ProbeResult check(HttpProbe probe, String url) throws Exception {
        return start(probe, url, 5000).get(10, TimeUnit.SECONDS);
    }

    private static CompletableFuture<ProbeResult> start(HttpProbe probe, String url, int timeoutMs) {
        DecodedRegistration.Valid r = valid(json("b", url, j ->
                ((ObjectNode) j.get("healthCheck")).put("timeoutMs", timeoutMs).put("intervalMs", 10_000)));
        return probe.check(r.registration(), r.settings());
    }

    @Test
    void checksAtTheVettedAddressWithTheNameInSniHostAndCertificate() throws Exception {
        server = new TlsTestServer(identity, backendAddress, 0, (c, r) -> OK);
        HttpProbe probe = probe();

        ProbeResult result = check(probe, "https://backend.test:" + server.port() + "/health");

        assertThat(result.observation().outcome()).isEqualTo(Outcome.HEALTHY);
        assertThat(server.reachedAt).containsExactly(backendAddress);
        assertThat(server.serverNames).containsExactly("backend.test");
        assertThat(server.requests).singleElement().asString()
                .startsWith("GET /health HTTP/1.1\r\nHost: backend.test:" + server.port() + "\r\n");
        // The certificate names backend.test and no address: it passed, so it was checked against the name.
    }

    @Test
    void aSecondDnsAnswerCannotChangeTheAddressACheckReaches() throws Exception {
        server = new TlsTestServer(identity, backendAddress, 0, (c, r) -> OK);
        // Another server on the same port of another address: where a second lookup would lead.
        try (TlsTestServer elsewhere = new TlsTestServer(identity, InetAddress.getByName("127.0.0.3"), server.port(),
                (c, r) -> OK)) {
            AtomicInteger answers = new AtomicInteger();
            HttpProbe probe = probe(trusting, host -> new InetAddress[] {answers.getAndIncrement() == 0
                    ? backendAddress : InetAddress.getByName("127.0.0.3")});

            ProbeResult result = check(probe, "https://backend.test:" + server.port() + "/");

            assertThat(result.observation().outcome()).isEqualTo(Outcome.HEALTHY);
            assertThat(lookups.get("backend.test")).as("the name was looked up once, by the vetting").hasValue(1);
            assertThat(server.connections).hasValue(1);
            assertThat(elsewhere.connections).hasValue(0);
        }
    }

    @Test
    void readsALargeAnswerSpreadOverManyTlsRecordsAndKeepsTheConnection() throws Exception {
        // 40 KiB of body: three TLS records and more, which TCP delivers cut anywhere.
        String body = "x".repeat(40 * 1024);
        server = new TlsTestServer(identity, backendAddress, 0,
                (c, r) -> "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        HttpProbe probe = probe();

        for (int i = 0; i < 3; i++) {
            assertThat(check(probe, "https://backend.test:" + server.port() + "/").observation().outcome())
                    .isEqualTo(Outcome.HEALTHY);
        }

        assertThat(server.connections).hasValue(1);
    }

    @Test
    void aServerThatStallsInTheMiddleOfATlsRecordTimesOut() throws Exception {
        String body = "x".repeat(40 * 1024);
        String padding = ("X-Padding: " + "p".repeat(4000) + "\r\n").repeat(8); // the head alone spans two records
        server = new TlsTestServer(identity, InetAddress.getByName("127.0.0.4"), 0,
                (c, r) -> "HTTP/1.1 200 OK\r\n" + padding + "Content-Length: " + body.length() + "\r\n\r\n" + body);
        // Between client and server: passes the handshake and the answer's first ~18 KB, then nothing:
        // the second 16 KiB record of the answer arrives in part and is never finished. (With the status
        // and headers complete, a stalled body would count as the answer: see ResponseReader.)
        try (ServerSocket relay = new ServerSocket(0, 50, backendAddress)) {
            Thread relaying = new Thread(() -> relay(relay, server.port(), 20_000));
            relaying.setDaemon(true);
            relaying.start();
            HttpProbe probe = probe();

            // 3 s: a first handshake in a cold JVM, relayed message by message, can take over a second.
            ProbeResult result = start(probe, "https://backend.test:" + relay.getLocalPort() + "/", 3000)
                    .get(10, TimeUnit.SECONDS);

            assertThat(result.failure()).hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TIMEOUT));
        }
    }

    /** Relays one connection to the server on 127.0.0.4, passing at most {@code limit} bytes back to the client. */
    private static void relay(ServerSocket relay, int serverPort, int limit) {
        try (Socket client = relay.accept();
             Socket upstream = new Socket(InetAddress.getByName("127.0.0.4"), serverPort)) {
            Thread up = new Thread(() -> {
                try {
                    client.getInputStream().transferTo(upstream.getOutputStream());
                } catch (IOException ignored) {
                    // a side hung up
                }
            });
            up.setDaemon(true);
            up.start();
            InputStream in = upstream.getInputStream();
            OutputStream out = client.getOutputStream();
            byte[] buffer = new byte[4096];
            int passed = 0;
            int n;
            while (passed < limit && (n = in.read(buffer, 0, Math.min(buffer.length, limit - passed))) > 0) {
                out.write(buffer, 0, n);
                out.flush();
                passed += n;
            }
            up.join(); // hold until the client leaves
        } catch (IOException | InterruptedException ignored) {
            // test over
        }
    }

    @Test
    void aCertificateForAnotherNameIsATlsFailure() throws Exception {
        server = new TlsTestServer(identity, backendAddress, 0, (c, r) -> OK);
        HttpProbe probe = probe();

        ProbeResult result = check(probe, "https://other.test:" + server.port() + "/");

        assertThat(result.observation().outcome()).isEqualTo(Outcome.UNHEALTHY);
        assertThat(result.failure()).hasValueSatisfying(f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.TLS);
            assertThat(f.message()).contains("other.test");
        });
        assertThat(server.requests).as("nothing sent to a server that is not who the URL names").isEmpty();
    }

    @Test
    void aCertificateTheJvmDoesNotTrustIsATlsFailure() throws Exception {
        server = new TlsTestServer(identity, backendAddress, 0, (c, r) -> OK);
        client = new PlainHttpClient(); // production's trust: the JVM's default
        TargetVetting vetting = new TargetVetting(TargetPolicy.DEFAULT, host -> new InetAddress[] {backendAddress},
                resolverThreads);
        HttpProbe probe = new HttpProbe(client, new SecretResolver(SecretCatalog.EMPTY), vetting);

        ProbeResult result = check(probe, "https://backend.test:" + server.port() + "/");

        assertThat(result.failure()).hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TLS));
        assertThat(server.requests).isEmpty();
    }

    @Test
    void repeatedChecksOfABackendShareOneTlsConnection() throws Exception {
        server = new TlsTestServer(identity, backendAddress, 0, (c, r) -> OK);
        HttpProbe probe = probe();

        for (int i = 0; i < 4; i++) {
            assertThat(check(probe, "https://backend.test:" + server.port() + "/").observation().outcome())
                    .isEqualTo(Outcome.HEALTHY);
        }

        assertThat(server.connections).hasValue(1);
        assertThat(server.requests).hasSize(4);
        assertThat(client.openConnections()).isEqualTo(1);
    }

    @Test
    void aKeptTlsConnectionTheServerClosedCostsNoFailure() throws Exception {
        // Each connection answers one request; at the next the server closes it (close_notify, then FIN).
        server = new TlsTestServer(identity, backendAddress, 0, (c, r) -> r == 1 ? OK : null);
        HttpProbe probe = probe();

        assertThat(check(probe, "https://backend.test:" + server.port() + "/").observation().outcome())
                .isEqualTo(Outcome.HEALTHY);
        assertThat(check(probe, "https://backend.test:" + server.port() + "/").observation().outcome())
                .as("sent again on a new connection").isEqualTo(Outcome.HEALTHY);

        assertThat(server.connections).hasValue(2);
    }

    @Test
    void aNewConnectionResumesTheTlsSessionInsteadOfAFullHandshake() throws Exception {
        server = new TlsTestServer(identity, backendAddress, 0, (c, r) -> OK_THEN_CLOSE);
        HttpProbe probe = probe();

        for (int i = 0; i < 3; i++) {
            assertThat(check(probe, "https://backend.test:" + server.port() + "/").observation().outcome())
                    .isEqualTo(Outcome.HEALTHY);
        }

        assertThat(server.connections).as("the server closes each connection").hasValue(3);
        assertThat(server.fullHandshakes()).as("the certificate was presented once").isEqualTo(1);
    }

    @Test
    void aTls12ServerGetsKeptConnectionsAndResumedSessionsToo() throws Exception {
        server = new TlsTestServer(identity, backendAddress, 0, (c, r) -> r == 1 ? OK : OK_THEN_CLOSE, "TLSv1.2");
        HttpProbe probe = probe();

        for (int i = 0; i < 4; i++) {
            assertThat(check(probe, "https://backend.test:" + server.port() + "/").observation().outcome())
                    .isEqualTo(Outcome.HEALTHY);
        }

        assertThat(server.connections).as("two checks per connection").hasValue(2);
        assertThat(server.fullHandshakes()).isEqualTo(1);
    }

    @Test
    void aConnectionVerifiedForOneNameNeverCarriesAnotherNamesCheck() throws Exception {
        server = new TlsTestServer(identity, backendAddress, 0, (c, r) -> OK);
        HttpProbe probe = probe();

        check(probe, "https://backend.test:" + server.port() + "/");
        check(probe, "https://alias.test:" + server.port() + "/");
        check(probe, "https://backend.test:" + server.port() + "/");

        assertThat(server.connections).as("one per name on the one address").hasValue(2);
        assertThat(server.serverNames).containsExactly("backend.test", "alias.test");
        assertThat(server.requests).extracting(head -> head.lines().skip(1).findFirst().orElseThrow())
                .containsExactly("Host: backend.test:" + server.port(), "Host: alias.test:" + server.port(),
                        "Host: backend.test:" + server.port());
    }

    @Test
    void theTimeoutBoundsTheTlsHandshake() throws Exception {
        // Accepts the connection and never answers the client's hello.
        try (ServerSocket silent = new ServerSocket(0, 50, backendAddress)) {
            Thread holder = new Thread(() -> {
                try (Socket held = silent.accept(); InputStream in = held.getInputStream()) {
                    in.transferTo(OutputStream.nullOutputStream());
                } catch (IOException ignored) {
                    // test over
                }
            });
            holder.setDaemon(true);
            holder.start();
            HttpProbe probe = probe();

            long start = System.nanoTime();
            ProbeResult result = start(probe, "https://backend.test:" + silent.getLocalPort() + "/", 500)
                    .get(10, TimeUnit.SECONDS);

            assertThat(result.failure()).hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TIMEOUT));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(500 + 1500));
            assertThat(client.openConnections()).isZero();
        }
    }

    @Test
    void cancellingAnHttpsCheckClosesItsConnection() throws Exception {
        CountDownLatch asked = new CountDownLatch(1);
        server = new TlsTestServer(identity, backendAddress, 0, (c, r) -> {
            asked.countDown();
            return TlsTestServer.HOLD; // a backend still thinking when the check is cancelled
        });
        HttpProbe probe = probe();
        CompletableFuture<ProbeResult> pending = start(probe, "https://backend.test:" + server.port() + "/", 5000);
        assertThat(asked.await(10, TimeUnit.SECONDS)).isTrue();

        pending.cancel(true);

        await().atMost(Duration.ofSeconds(5)).until(() -> server.clientsGone.get() == 1);
        assertThat(client.openConnections()).isZero();
    }

}
