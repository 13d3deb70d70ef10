package dev.healthmon.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The operational endpoints every healthmon process serves, for Prometheus and Kubernetes:
 * {@code /metrics} (Prometheus text format, when the registry is a Prometheus one),
 * {@code /healthz} (200 while the process runs: a liveness probe) and {@code /readyz}
 * (200 when {@code ready} says so, else 503: a readiness probe, whose body says why when the
 * process gives reasons).
 */
public final class OpsEndpoints {

    private OpsEndpoints() {}

    public static void install(HttpServer server, MeterRegistry meters, BooleanSupplier ready) {
        install(server, meters, () -> ready.getAsBoolean() ? List.of() : List.of("not ready"));
    }

    /** @param notReadyBecause the reasons the process is not ready, one per line of the 503 body; empty when ready */
    public static void install(HttpServer server, MeterRegistry meters, Supplier<List<String>> notReadyBecause) {
        if (meters instanceof PrometheusMeterRegistry prometheus) {
            server.createContext("/metrics", exchange -> respond(exchange, 200,
                    "text/plain; version=0.0.4; charset=utf-8", prometheus.scrape()));
        }
        server.createContext("/healthz", exchange -> respond(exchange, 200, "text/plain; charset=utf-8", "ok\n"));
        server.createContext("/readyz", exchange -> {
            List<String> reasons = notReadyBecause.get();
            respond(exchange, reasons.isEmpty() ? 200 : 503, "text/plain; charset=utf-8",
                    reasons.isEmpty() ? "ready\n" : "not ready\n" + String.join("\n", reasons) + "\n");
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
