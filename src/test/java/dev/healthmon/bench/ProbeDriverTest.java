package dev.healthmon.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProbeDriverTest {

    @Test
    void readsBlackboxExportersProbeSuccessGauge() {
        String body = "# HELP probe_success Displays whether or not the probe was a success\n"
                + "# TYPE probe_success gauge\nprobe_success %s\nprobe_duration_seconds 0.001\n";
        assertThat(ProbeDriver.probeSucceeded(200, body.formatted("1"))).isTrue();
        assertThat(ProbeDriver.probeSucceeded(200, body.formatted("0"))).isFalse();
        assertThat(ProbeDriver.probeSucceeded(400, body.formatted("1"))).isFalse();
    }

    @Test
    void sendsEveryScheduledRequestOrCountsItSkippedAndCountsEachAnswer() throws Exception {
        AtomicInteger succeededServed = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.createContext("/probe", exchange -> {
            boolean success = Long.parseLong(exchange.getRequestURI().getQuery().substring("n=".length())) % 3 != 0;
            if (success) {
                succeededServed.incrementAndGet();
            }
            byte[] body = ("probe_success " + (success ? 1 : 0) + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        try {
            ProbeDriver driver = new ProbeDriver(HttpClient.newHttpClient(), 4, Duration.ofSeconds(10));
            ProbeDriver.Result result = driver.drive(n -> URI.create("http://127.0.0.1:"
                    + server.getAddress().getPort() + "/probe?n=" + n), 200, Duration.ofMillis(500));
            assertThat(result.scheduled()).isEqualTo(100);
            assertThat(result.sent() + result.skipped()).isEqualTo(result.scheduled());
            assertThat(result.answered()).as("every request sent is answered before drive returns")
                    .isEqualTo(result.sent());
            assertThat(result.succeeded()).isEqualTo(succeededServed.get()).isPositive()
                    .isLessThan(result.answered());
        } finally {
            server.stop(0);
        }
    }
}
