package dev.healthmon.probe;

import static dev.healthmon.support.Registrations.json;
import static dev.healthmon.support.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.events.FailureKind;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.registration.McpSessionMode;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.status.Outcome;
import dev.healthmon.support.McpTestServer;
import dev.healthmon.support.McpTestServer.Kind;
import dev.healthmon.target.TargetPolicy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An {@code https://} MCP check of a name reaches the address that was vetted, with the name in
 * SNI, in {@code Host} and in the certificate check: real MCP server (Jetty) behind a TLS relay on
 * 127.0.0.2, the names known only to the test's resolver.
 */
class McpTlsPinningTest {
    // The ping after initialize takes the lean path here (as in production); McpTlsPinningSdkPingTest runs
    // every case with the SDK sending it.

    private static final InetAddress VETTED = address(127, 0, 0, 2);
    private static final InetAddress DECOY = address(127, 0, 0, 3);
    /** Per test class (this one and its subclass each start and stop their own). */
    private static ExecutorService resolverThreads;

    @TempDir
    static Path dir;
    private static TlsTestServer.Identity named;
    private static TlsTestServer.Identity otherNameWithVettedIp;
    private static TlsTestServer.Identity wildcard;

    private McpTestServer mcp;
    private TlsRelay relay;
    private ServerSocket decoy;
    private final AtomicInteger decoyConnections = new AtomicInteger();
    private final List<PlainHttpClient> leanClients = new ArrayList<>();

    @BeforeAll
    static void makeCertificates() throws Exception {
        resolverThreads = Executors.newFixedThreadPool(2);
        named = TlsTestServer.Identity.generate(dir, "mcp.test", "alias.test");
        otherNameWithVettedIp = TlsTestServer.Identity.generate(dir, "other.test", "ip:127.0.0.2");
        wildcard = TlsTestServer.Identity.generate(dir, "*.wild.test");
    }

    @AfterAll
    static void stopResolver() {
        resolverThreads.shutdownNow();
    }

    @BeforeEach
    void startServer() throws Exception {
        mcp = McpTestServer.start(Kind.STREAMABLE_HTTP, false);
    }

    private void restartAs(Kind kind) throws Exception {
        mcp.close();
        mcp = McpTestServer.start(kind, false);
    }

    @AfterEach
    void stop() throws Exception {
        leanClients.forEach(PlainHttpClient::close);
        if (relay != null) {
            relay.close();
        }
        if (decoy != null) {
            decoy.close();
        }
        mcp.close();
    }

    /** TLS with {@code identity} on the vetted address, a plain listener on the decoy address at the same port. */
    private void serve(TlsTestServer.Identity identity) throws Exception {
        relay = new TlsRelay(identity, VETTED, URI.create(mcp.url()).getPort());
        decoy = new ServerSocket(relay.port(), 50, DECOY);
        Thread counter = new Thread(() -> {
            while (!decoy.isClosed()) {
                try (Socket ignored = decoy.accept()) {
                    decoyConnections.incrementAndGet();
                } catch (IOException closed) {
                    return;
                }
            }
        }, "decoy");
        counter.setDaemon(true);
        counter.start();
    }

    /**
     * A probe trusting {@code trust}, to which every name resolves to the vetted address; its lean ping
     * (here; {@link McpTlsPinningSdkPingTest}: none) trusts the same.
     */
    private McpProbe probe(SSLContext trust) {
        HttpClient shared = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        TargetVetting vetting = new TargetVetting(TargetPolicy.DEFAULT, host -> new InetAddress[] {
                InetAddress.getByAddress(host, VETTED.getAddress())}, resolverThreads);
        Optional<PlainHttpClient> lean = leanPing(trust);
        lean.ifPresent(leanClients::add);
        return new McpProbe(shared, trust, lean, new SecretResolver(SecretCatalog.EMPTY), vetting);
    }

    /** The lean ping's client for a probe trusting {@code trust}; empty: the SDK sends every request. */
    Optional<PlainHttpClient> leanPing(SSLContext trust) {
        return Optional.of(new PlainHttpClient(trust));
    }

    private DecodedRegistration.Valid registration(String name, McpSessionMode mode) {
        String path = URI.create(mcp.url()).getPath();
        return valid(json("mcp-tls", "https://" + name + ":" + relay.port() + path, j -> {
            j.put("transport", path.equals("/sse") ? "sse" : "streamable-http");
            ((ObjectNode) j.get("healthCheck")).put("intervalMs", 20000).put("timeoutMs", 15000)
                    .put("degradedLatencyMs", 15000).put("mcpSession", mode.name().toLowerCase(Locale.ROOT));
        }));
    }

    private ProbeResult check(McpProbe probe, String name) throws Exception {
        DecodedRegistration.Valid r = registration(name, McpSessionMode.FRESH);
        return probe.check(r.registration(), r.settings()).get(30, TimeUnit.SECONDS);
    }

    @Test
    void httpsCheckReachesTheVettedAddressWithTheNameInSniAndHost() throws Exception {
        serve(named);

        ProbeResult result = check(probe(named.trustingClient()), "mcp.test");

        assertThat(result.observation().outcome()).as("%s", result).isEqualTo(Outcome.HEALTHY);
        assertThat(relay.serverNames).isNotEmpty().containsOnly("mcp.test");
        assertThat(mcp.requestHeaders()).isNotEmpty()
                .allSatisfy(h -> assertThat(h.get("host")).isEqualTo("mcp.test:" + relay.port()));
        assertThat(decoyConnections).hasValue(0);
    }

    @Test
    void sseCheckAndItsMessagesReachTheVettedAddressWithTheNameInSniAndHost() throws Exception {
        restartAs(Kind.SSE);
        serve(named);

        ProbeResult result = check(probe(named.trustingClient()), "mcp.test");

        assertThat(result.observation().outcome()).as("%s", result).isEqualTo(Outcome.HEALTHY);
        assertThat(relay.serverNames).isNotEmpty().containsOnly("mcp.test");
        assertThat(mcp.requestHeaders()).hasSizeGreaterThan(1) // the event stream and the messages posted
                .allSatisfy(h -> assertThat(h.get("host")).isEqualTo("mcp.test:" + relay.port()));
        assertThat(decoyConnections).hasValue(0);
    }

    @Test
    void certificateForAnotherNameIsRefusedEvenWhenItNamesTheVettedAddress() throws Exception {
        serve(otherNameWithVettedIp);

        ProbeResult result = check(probe(otherNameWithVettedIp.trustingClient()), "mcp.test");

        assertThat(result.failure()).as("%s", result)
                .hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TLS));
        assertThat(mcp.requestHeaders()).as("nothing sent to a server that is not who the URL names").isEmpty();
    }

    @Test
    void wildcardCertificateCoversExactlyOneLabel() throws Exception {
        serve(wildcard);
        McpProbe probe = probe(wildcard.trustingClient());

        ProbeResult oneLabel = check(probe, "a.wild.test");
        ProbeResult twoLabels = check(probe, "a.b.wild.test");
        ProbeResult noLabel = check(probe, "wild.test");

        assertThat(oneLabel.observation().outcome()).as("%s", oneLabel).isEqualTo(Outcome.HEALTHY);
        assertThat(twoLabels.failure()).as("%s", twoLabels)
                .hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TLS));
        assertThat(noLabel.failure()).as("%s", noLabel)
                .hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TLS));
    }

    @Test
    void certificateTheClientDoesNotTrustIsATlsFailure() throws Exception {
        serve(named);

        ProbeResult result = check(probe(wildcard.trustingClient()), "mcp.test");

        assertThat(result.failure()).as("%s", result)
                .hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TLS));
        assertThat(mcp.requestHeaders()).isEmpty();
    }

    @Test
    void twoNamesOnOneAddressNeverShareATlsConnection() throws Exception {
        serve(named);
        McpProbe probe = probe(named.trustingClient());
        DecodedRegistration.Valid first = registration("mcp.test", McpSessionMode.REUSE);
        DecodedRegistration.Valid second = registration("alias.test", McpSessionMode.REUSE);

        try (ProbeSession one = probe.openSession(first.settings());
             ProbeSession two = probe.openSession(second.settings())) {
            for (int round = 0; round < 2; round++) {
                assertThat(one.check(first.registration()).get(30, TimeUnit.SECONDS).observation().outcome())
                        .isEqualTo(Outcome.HEALTHY);
                assertThat(two.check(second.registration()).get(30, TimeUnit.SECONDS).observation().outcome())
                        .isEqualTo(Outcome.HEALTHY);
            }
        }

        // A connection pooled by address would carry alias.test's requests over the handshake made for mcp.test.
        assertThat(relay.serverNames).contains("mcp.test", "alias.test");
    }

    private static InetAddress address(int a, int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
