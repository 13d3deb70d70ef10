package dev.healthmon.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The floor of an https check's TLS work in the client: what the JDK's {@link SSLEngine} costs to
 * encrypt one health-check request and decrypt its answer on a kept TLS 1.3 connection, with no
 * socket, no selector and no HTTP — two engines in one thread, handshake done before measuring.
 * The https check's selector thread does exactly this much more than the http check's (plus a
 * copy), so this is what TLS must cost per check whatever healthmon's client does around it.
 *
 * <p>Variants, interleaved round by round (median of {@value #ROUNDS} rounds of {@value #EXCHANGES}
 * exchanges after {@value #WARMUP} warm-up exchanges each): encrypted buffers and the decrypted answer
 * direct (as {@code TlsChannel} and {@code PlainHttpClient} have them) or on the heap; the answer in one
 * TLS record (head and body written together, as nginx does) or two (head, then body: the JDK's
 * {@code HttpsServer}, which {@link BenchServers} runs).
 *
 * <p>Run: {@code mvn -B -o -Pbench test -Dtest=TlsEngineCostBench} (≈ 1 min; target/bench/tls-engine-cost.md).
 * Client-side time only, wall clock of one busy thread (nanoTime around each client call).
 */
class TlsEngineCostBench {

    private static final int WARMUP = 200_000;
    private static final int EXCHANGES = 20_000;
    private static final int ROUNDS = 15;
    private static final String PASSWORD = "changeit";
    private static final byte[] REQUEST = ("GET /health HTTP/1.1\r\nHost: bench.test:8443\r\nUser-Agent: healthmon\r\n"
            + "Accept: */*\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEAD = ("HTTP/1.1 200 OK\r\nDate: Wed, 02 Dec 2026 03:00:00 GMT\r\n"
            + "Content-length: 2\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BODY = "ok".getBytes(StandardCharsets.US_ASCII);

    /** One kept connection's two engines and buffers, as one variant has them. */
    private static final class Pair {
        final SSLEngine client;
        final SSLEngine server;
        final boolean twoRecords;
        final ByteBuffer clientNetOut;
        final ByteBuffer clientNetIn;
        final ByteBuffer clientApp;
        final ByteBuffer serverNet;
        final ByteBuffer serverApp;
        long clientNanos;

        Pair(SSLContext clientTls, SSLContext serverTls, boolean direct, boolean twoRecords) throws Exception {
            client = clientTls.createSSLEngine("bench.test", 8443);
            client.setUseClientMode(true);
            SSLParameters parameters = client.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS"); // as TlsChannel: the same checks, once
            client.setSSLParameters(parameters);
            server = serverTls.createSSLEngine();
            server.setUseClientMode(false);
            this.twoRecords = twoRecords;
            int packet = client.getSession().getPacketBufferSize();
            int app = 64 * 1024;
            clientNetOut = direct ? ByteBuffer.allocateDirect(2 * packet) : ByteBuffer.allocate(2 * packet);
            clientNetIn = direct ? ByteBuffer.allocateDirect(2 * packet) : ByteBuffer.allocate(2 * packet);
            clientApp = direct ? ByteBuffer.allocateDirect(app) : ByteBuffer.allocate(app);
            serverNet = ByteBuffer.allocate(2 * packet);
            serverApp = ByteBuffer.allocate(app);
            handshake();
        }

        private void handshake() throws Exception {
            client.beginHandshake();
            server.beginHandshake();
            ByteBuffer toServer = ByteBuffer.allocate(64 * 1024);
            ByteBuffer toClient = ByteBuffer.allocate(64 * 1024);
            ByteBuffer sink = ByteBuffer.allocate(64 * 1024);
            for (int step = 0; step < 100 && (busy(client) || busy(server)); step++) {
                toServer.clear();
                client.wrap(ByteBuffer.allocate(0), toServer);
                run(client);
                toServer.flip();
                while (toServer.hasRemaining() && server.unwrap(toServer, sink).bytesConsumed() > 0) {
                    run(server);
                }
                toClient.clear();
                server.wrap(ByteBuffer.allocate(0), toClient);
                run(server);
                toClient.flip();
                while (toClient.hasRemaining() && client.unwrap(toClient, sink).bytesConsumed() > 0) {
                    run(client);
                }
            }
            assertThat(busy(client) || busy(server)).as("handshake done").isFalse();
            assertThat(client.getSession().getProtocol()).isEqualTo("TLSv1.3");
            exchange(); // the server's session ticket arrives in front of the first answer
        }

        private static boolean busy(SSLEngine engine) {
            HandshakeStatus status = engine.getHandshakeStatus();
            return status != HandshakeStatus.NOT_HANDSHAKING && status != HandshakeStatus.FINISHED;
        }

        private static void run(SSLEngine engine) {
            Runnable task;
            while ((task = engine.getDelegatedTask()) != null) {
                task.run();
            }
        }

        /** One request and its answer; the client's calls timed. */
        void exchange() throws Exception {
            long start = System.nanoTime();
            clientNetOut.clear();
            client.wrap(ByteBuffer.wrap(REQUEST), clientNetOut); // the request is a byte array, as HttpProbe's
            clientNetOut.flip();
            long clientDone = System.nanoTime();
            serverApp.clear();
            server.unwrap(clientNetOut, serverApp);
            serverNet.clear();
            if (twoRecords) {
                server.wrap(ByteBuffer.wrap(HEAD), serverNet);
                server.wrap(ByteBuffer.wrap(BODY), serverNet);
            } else {
                server.wrap(new ByteBuffer[] {ByteBuffer.wrap(HEAD), ByteBuffer.wrap(BODY)}, serverNet);
            }
            serverNet.flip();
            long clientStart = System.nanoTime();
            clientNetIn.clear();
            clientNetIn.put(serverNet).flip(); // what the socket read would do
            clientApp.clear();
            int produced = 0;
            while (clientNetIn.hasRemaining()) {
                SSLEngineResult result = client.unwrap(clientNetIn, clientApp);
                produced += result.bytesProduced();
                if (result.bytesConsumed() == 0) {
                    throw new AssertionError("client engine stuck: " + result);
                }
            }
            long end = System.nanoTime();
            clientNanos += (clientDone - start) + (end - clientStart);
            if (produced != HEAD.length + BODY.length && produced != 0) {
                throw new AssertionError("answer of " + produced + " bytes");
            }
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void clientCostOfOneTlsExchange() throws Exception {
        Path dir = Files.createTempDirectory("tls-engine-bench");
        try {
            SSLContext[] tls = contexts(dir);
            Map<String, Pair> variants = new LinkedHashMap<>();
            variants.put("direct buffers, answer in one record", new Pair(tls[0], tls[1], true, false));
            variants.put("heap buffers, answer in one record", new Pair(tls[0], tls[1], false, false));
            variants.put("direct buffers, answer in two records", new Pair(tls[0], tls[1], true, true));
            variants.put("heap buffers, answer in two records", new Pair(tls[0], tls[1], false, true));
            for (Pair pair : variants.values()) {
                for (int i = 0; i < WARMUP; i++) {
                    pair.exchange();
                }
            }
            Map<String, List<Double>> perRound = new LinkedHashMap<>();
            for (int round = 0; round < ROUNDS; round++) {
                for (Map.Entry<String, Pair> variant : variants.entrySet()) {
                    Pair pair = variant.getValue();
                    pair.clientNanos = 0;
                    for (int i = 0; i < EXCHANGES; i++) {
                        pair.exchange();
                    }
                    perRound.computeIfAbsent(variant.getKey(), k -> new ArrayList<>())
                            .add(pair.clientNanos / 1e3 / EXCHANGES);
                }
            }
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("cipherSuite", variants.values().iterator().next().client.getSession().getCipherSuite());
            perRound.forEach((variant, micros) -> {
                micros.sort(Double::compare);
                String figure = String.format(Locale.ROOT, "%.2f µs (quartiles %.2f–%.2f)", micros.get(ROUNDS / 2),
                        micros.get(ROUNDS / 4), micros.get(3 * ROUNDS / 4));
                figures.put(variant + ": client wrap + unwrap per exchange", figure);
            });
            BenchResults.write("tls-engine-cost", figures);
        } finally {
            Utils.delete(dir.toFile());
        }
    }

    /** A client context trusting a fresh self-signed certificate for bench.test, and a server context holding it. */
    private static SSLContext[] contexts(Path dir) throws Exception {
        Path store = dir.resolve("server.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process keys = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", "CN=bench.test", "-ext", "SAN=dns:bench.test", "-validity", "2", "-keystore",
                store.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD).redirectErrorStream(true).start();
        String output = new String(keys.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(keys.waitFor(60, TimeUnit.SECONDS) && keys.exitValue() == 0).as(output).isTrue();
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keyStore.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keyStore, PASSWORD.toCharArray());
        SSLContext server = SSLContext.getInstance("TLS");
        server.init(keyManagers.getKeyManagers(), null, null);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(keyStore);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, trust.getTrustManagers(), null);
        return new SSLContext[] {client, server};
    }
}
