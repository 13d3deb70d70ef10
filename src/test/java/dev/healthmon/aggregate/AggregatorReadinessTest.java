package dev.healthmon.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.healthmon.http.Readiness;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.Topics;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.support.LoopbackPorts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An aggregator is ready only while its Streams application is RUNNING, and its query API answers
 * 503 whenever the stores cannot be queried. No broker: a Streams application that was never
 * started is CREATED, and once closed NOT_RUNNING — the same refusals as after a fatal error.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AggregatorReadinessTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path stateDir;

    @ParameterizedTest
    @EnumSource(KafkaStreams.State.class)
    void onlyARunningStreamsApplicationIsReady(KafkaStreams.State state) {
        Readiness readiness = AggregatorService.readiness(state);

        assertThat(readiness.ready()).isEqualTo(state == KafkaStreams.State.RUNNING);
        if (!readiness.ready()) {
            assertThat(readiness.reasons()).singleElement().asString().contains("streams state " + state);
        }
    }

    @Test
    void readyzAndTheQueryApiAnswer503WhileStartingAndOnceStopped() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        int port = server.getAddress().getPort();
        KafkaStreams streams = new KafkaStreams(
                StatusTopology.build(Topics.DEFAULTS, CheckDefaults.STANDARD, AggregatorSettings.DEFAULTS,
                        new SimpleMeterRegistry()),
                KafkaSettings.toProperties(KafkaSettings.of("127.0.0.1:" + LoopbackPorts.unused())
                        .streams("readiness-test", "127.0.0.1:" + port, stateDir.toString(), 0)));
        try (StatusQueries queries = AggregatorService.serve(server, streams, new HostInfo("127.0.0.1", port),
                new SimpleMeterRegistry())) {
            server.start();

            assertNotReadyNorQueryable(port, streams, KafkaStreams.State.CREATED);

            streams.close(Duration.ofSeconds(10));
            assertNotReadyNorQueryable(port, streams, KafkaStreams.State.NOT_RUNNING);
        } finally {
            server.stop(0);
            streams.close(Duration.ofSeconds(10));
        }
    }

    private static void assertNotReadyNorQueryable(int port, KafkaStreams streams, KafkaStreams.State state)
            throws Exception {
        assertThat(streams.state()).isEqualTo(state);
        HttpResponse<String> readyz = get(port, "/readyz");
        assertThat(readyz.statusCode()).as(readyz.body()).isEqualTo(503);
        assertThat(readyz.body()).startsWith("not ready\n").contains("streams state " + state);
        for (String path : List.of("/api/status", "/api/status/payments-api", "/api/summary", "/api/transitions")) {
            HttpResponse<String> answer = get(port, path);
            assertThat(answer.statusCode()).as("%s in %s: %s", path, state, answer.body()).isEqualTo(503);
            assertThat(MAPPER.readTree(answer.body()).path("error").asText()).as(path).contains("not queryable now");
        }
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
