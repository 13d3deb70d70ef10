package dev.healthmon.http;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * A small HTTP server with only the {@link OpsEndpoints}, for the monitor (the aggregator serves them next to its API).
 */
public final class OpsServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService threads;

    private OpsServer(HttpServer server, ExecutorService threads) {
        this.server = server;
        this.threads = threads;
    }

    /** @param port 0 picks a free port */
    public static OpsServer start(String host, int port, MeterRegistry meters, Supplier<Readiness> readiness) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("http port: cannot listen on " + host + ":" + port + ": " + e.getMessage(),
                    e);
        }
        OpsEndpoints.install(server, meters, readiness);
        ExecutorService threads = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "healthmon-ops-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(threads);
        server.start();
        return new OpsServer(server, threads);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
