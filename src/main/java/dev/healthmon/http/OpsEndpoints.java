package dev.healthmon.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * The operational endpoints every healthmon process serves, for Prometheus and Kubernetes:
 * {@code /metrics} (Prometheus text format, when the registry is a Prometheus one),
 * {@code /healthz} (200 while the process runs: a liveness probe) and {@code /readyz}
 * (200 when {@code readiness} says ready, else 503 with the reasons, one per line: a readiness probe).
 */
public final class OpsEndpoints {

    private OpsEndpoints() {}

    public static void install(HttpServer server, MeterRegistry meters, Supplier<Readiness> readiness) {
        if (meters instanceof PrometheusMeterRegistry prometheus) {
            server.createContext("/metrics", exchange -> respond(exchange, 200,
                    "text/plain; version=0.0.4; charset=utf-8", prometheus.scrape()));
        }
        server.createContext("/healthz", exchange -> respond(exchange, 200, "text/plain; charset=utf-8", "ok\n"));
        server.createContext("/readyz", exchange -> {
            Readiness now = readiness.get();
            respond(exchange, now.ready() ? 200 : 503, "text/plain; charset=utf-8", now.ready() ? "ready\n"
                    : "not ready\n" + String.join("\n", now.reasons()) + "\n");
        });
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        try (exchange) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", type);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
