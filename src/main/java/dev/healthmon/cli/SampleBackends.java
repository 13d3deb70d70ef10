package dev.healthmon.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.healthmon.secrets.AllowedTarget;
import dev.healthmon.secrets.DeclaredSecret;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.secrets.SecretSource;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The demo's sample backends on loopback: healthy, slow (→ DEGRADED/SLOW), failing with 503,
 * asking for credentials (200 with this instance's random token, else 401), and one port that
 * refuses connections. The demo declares the token as the secret {@value #DEMO_SECRET}, bound to
 * {@code /auth} only, as an operator would in {@code monitor --secrets-file}.
 */
final class SampleBackends implements AutoCloseable {

    static final long SLOW_MS = 800;
    static final String DEMO_SECRET = "demo-token";
    private final HttpServer server;
    private final ExecutorService handlers;
    private final int deadPort;
    private final String token;
    private Path tokenFile;

    private SampleBackends(HttpServer server, ExecutorService handlers, int deadPort, String token) {
        this.server = server;
        this.handlers = handlers;
        this.deadPort = deadPort;
        this.token = token;
    }

    static SampleBackends start() throws IOException {
        return start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    /** Serves the samples on {@code address} (the compose file runs them on 0.0.0.0:8000). */
    static SampleBackends start(InetSocketAddress address) throws IOException {
        HttpServer server = HttpServer.create(address, 64);
        server.createContext("/healthy", exchange -> respond(exchange, 200, "ok"));
        server.createContext("/slow", exchange -> {
            try {
                Thread.sleep(SLOW_MS); // this backend's job is to be slow
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            respond(exchange, 200, "ok, eventually");
        });
        server.createContext("/failing", exchange -> respond(exchange, 503, "overloaded"));
        String token = UUID.randomUUID().toString();
        server.createContext("/auth", exchange -> {
            if (("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                respond(exchange, 200, "welcome");
                return;
            }
            exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"demo\"");
            respond(exchange, 401, "credentials required");
        });
        ExecutorService handlers = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "demo-backend");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(handlers);
        server.start();
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = socket.getLocalPort(); // closed at once: connections to it are refused
        }
        return new SampleBackends(server, handlers, deadPort, token);
    }

    /**
     * Writes the {@code /auth} token to an owner-only file (deleted by {@link #close()}) and declares
     * it as {@value #DEMO_SECRET}, allowed to {@code /auth} of these backends and nowhere else.
     */
    SecretCatalog declareSecret() throws IOException {
        tokenFile = Files.createTempFile("healthmon-demo-token", "",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tokenFile, token + "\n");
        SecretSource source = SecretSource.parse("file:" + tokenFile.toAbsolutePath());
        List<AllowedTarget> onlyAuth = List.of(AllowedTarget.parse(base() + "/auth"));
        return SecretCatalog.of(new DeclaredSecret(DEMO_SECRET, source, onlyAuth));
    }

    private String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Backend id → registration JSON, with short intervals so the demo settles within seconds. */
    Map<String, String> registrations() {
        String base = base();
        Map<String, String> r = new LinkedHashMap<>();
        r.put("demo-healthy", json("demo-healthy", "Healthy API", base + "/healthy", "payments"));
        r.put("demo-slow", json("demo-slow", "Slow API", base + "/slow", "search"));
        r.put("demo-failing", json("demo-failing", "Failing API (503)", base + "/failing", "search"));
        String auth = ",\"auth\":{\"type\":\"bearer\",\"secretRef\":\"" + DEMO_SECRET + "\"}";
        r.put("demo-auth", json("demo-auth", "Auth-protected API (declared secret)", base + "/auth", "payments")
                .replace(",\"labels\"", auth + ",\"labels\""));
        r.put("demo-locked", json("demo-locked", "Auth-protected API, no credentials (401)", base + "/auth",
                "payments"));
        r.put("demo-dead", json("demo-dead", "Dead API (refused)", "http://127.0.0.1:" + deadPort + "/", "legacy"));
        return r;
    }

    private static String json(String id, String name, String url, String team) {
        return "{\"schemaVersion\":1,\"id\":\"" + id + "\",\"name\":\"" + name + "\",\"url\":\"" + url + "\","
                + "\"transport\":\"http\",\"healthCheck\":{\"intervalMs\":2000,\"timeoutMs\":1500,"
                + "\"degradedLatencyMs\":400},\"labels\":{\"team\":\"" + team + "\",\"env\":\"demo\"}}";
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
        if (tokenFile != null) {
            try {
                Files.deleteIfExists(tokenFile);
            } catch (IOException e) {
                // a temp file left behind; nothing else to do at shutdown
            }
        }
    }
}
