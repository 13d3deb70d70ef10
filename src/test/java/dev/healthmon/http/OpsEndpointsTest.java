package dev.healthmon.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OpsEndpointsTest {

    private static HttpResponse<String> readyz(int port) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void readyzSaysWhyTheProcessIsNotReady() throws Exception {
        AtomicReference<Readiness> reasons = new AtomicReference<>(Readiness.notReady(
                "dead-letter topic dlq cannot be written: 1 record(s) waiting").and(Readiness.notReady("starting")));
        try (OpsServer server = OpsServer.start("127.0.0.1", 0, new SimpleMeterRegistry(), reasons::get)) {
            HttpResponse<String> notReady = readyz(server.port());
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body())
                    .isEqualTo("not ready\ndead-letter topic dlq cannot be written: 1 record(s) waiting\nstarting\n");

            reasons.set(Readiness.READY);
            HttpResponse<String> ready = readyz(server.port());
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).isEqualTo("ready\n");
        }
    }
}
