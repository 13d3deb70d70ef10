package dev.healthmon.support;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToIntFunction;

/**
 * An HTTP server on loopback that answers 200 on every path (or what {@link #answerBy} says) and counts requests per
 * path and, when the request carries a {@code ?m=} marker, nothing else: backends are told apart by path.
 */
public final class CountingBackend implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private volatile ToIntFunction<Headers> status = headers -> 200;

    public CountingBackend() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        server.createContext("/", exchange -> {
            hits.computeIfAbsent(exchange.getRequestURI().getPath(), p -> new AtomicInteger()).incrementAndGet();
            exchange.sendResponseHeaders(status.applyAsInt(exchange.getRequestHeaders()), -1);
            try (OutputStream out = exchange.getResponseBody()) {
                out.flush();
            }
        });
        server.setExecutor(executor);
        server.start();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** From now on every path answers the status {@code rule} gives for the request's headers. Any thread. */
    public void answerBy(ToIntFunction<Headers> rule) {
        status = rule;
    }

    public int hits(String path) {
        AtomicInteger count = hits.get(path);
        return count == null ? 0 : count.get();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
