package dev.healthmon.chaos;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The backends of the chaos run, all on one loopback HTTP server told apart by path, plus a port
 * nothing listens on for the dead ones. Four kinds: {@code healthy} (200 at once), {@code slow}
 * (200 after {@link #SLOW}), {@code flapping} (503 during the first {@link #FLAP_DOWN} of every
 * {@link #FLAP_PERIOD}, shifted per backend, 200 otherwise) and {@code dead} (connection refused).
 *
 * <p>Threading: the server's handler threads answer at once or hand the exchange to one
 * scheduler thread that answers later, so slow answers hold no handler thread.
 */
public final class ChaosBackends implements AutoCloseable {

    public enum Kind { HEALTHY, SLOW, FLAPPING, DEAD }

    public static final Duration SLOW = Duration.ofMillis(600);
    public static final Duration FLAP_PERIOD = Duration.ofSeconds(16);
    /** Long enough for about three failed checks at a 2 s interval (UNHEALTHY), too short for five (circuit). */
    public static final Duration FLAP_DOWN = Duration.ofSeconds(6);

    private final HttpServer server;
    private final ExecutorService handlers = Executors.newFixedThreadPool(4);
    private final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
    private final int deadPort;

    public ChaosBackends(int deadPort) throws IOException {
        this.deadPort = deadPort;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
        server.createContext("/healthy/", e -> answer(e, 200));
        server.createContext("/slow/", e ->
                later.schedule(() -> answer(e, 200), SLOW.toMillis(), TimeUnit.MILLISECONDS));
        server.createContext("/flapping/", e -> {
            long shift = Math.floorMod(e.getRequestURI().getPath().hashCode(), FLAP_PERIOD.toMillis());
            boolean down = (System.currentTimeMillis() + shift) % FLAP_PERIOD.toMillis() < FLAP_DOWN.toMillis();
            answer(e, down ? 503 : 200);
        });
        server.setExecutor(handlers);
        server.start();
    }

    /** The URL of backend {@code id} of this kind. */
    public String url(Kind kind, String id) {
        if (kind == Kind.DEAD) {
            return "http://127.0.0.1:" + deadPort + "/dead/" + id;
        }
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + kind.name().toLowerCase() + "/" + id;
    }

    private static void answer(HttpExchange exchange, int status) {
        try (exchange) {
            exchange.sendResponseHeaders(status, -1);
        } catch (IOException e) {
            // the monitor gave up on this check (timeout or a killed monitor): nothing to answer
        }
    }

    @Override
    public void close() {
        server.stop(0);
        later.shutdownNow();
        handlers.shutdownNow();
    }
}
