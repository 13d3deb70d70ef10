package dev.healthmon.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The demo's sample backends on loopback: healthy, slow (→ DEGRADED/SLOW), failing with 503,
 * asking for credentials with 401, and one port that refuses connections.
 */
final class SampleBackends implements AutoCloseable {

    static final long SLOW_MS = 800;
    private final HttpServer server;
    private final ExecutorService handlers;
    private final int deadPort;

    private SampleBackends(HttpServer server, ExecutorService handlers, int deadPort) {
        this.server = server;
        this.handlers = handlers;
        this.deadPort = deadPort;
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
        server.createContext("/auth", exchange -> {
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
        return new SampleBackends(server, handlers, deadPort);
    }

    /** Backend id → registration JSON, with short intervals so the demo settles within seconds. */
    Map<String, String> registrations() {
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        Map<String, String> r = new LinkedHashMap<>();
        r.put("demo-healthy", json("demo-healthy", "Healthy API", base + "/healthy", "payments"));
        r.put("demo-slow", json("demo-slow", "Slow API", base + "/slow", "search"));
        r.put("demo-failing", json("demo-failing", "Failing API (503)", base + "/failing", "search"));
        r.put("demo-auth", json("demo-auth", "Auth-protected API (401)", base + "/auth", "payments"));
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
    }
}
