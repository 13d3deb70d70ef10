package dev.healthmon.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.healthmon.json.Json;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.Thresholds;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code /api/status?scope=local} (what instances ask each other, and anyone who reaches the port may ask, with a
 * limit not capped): its page is written as the statuses are read, so that what one answer holds does not grow with
 * it (docs/design.md §8.6).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StatusApiLocalPageTest {

    private static final ObjectMapper MAPPER = Json.mapper();
    private static final StatusJson JSON = new StatusJson(MAPPER);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final List<StatusState> STATES = IntStream.range(0, 400)
            .mapToObj(i -> StatusState.fresh(unknown(String.format("backend-%03d", i)))).toList();

    private final ExecutorService handlers = Executors.newCachedThreadPool();
    private HttpServer server;

    @AfterEach
    void stop() {
        server.stop(0);
        handlers.shutdownNow();
    }

    /** The API over {@link #STATES}, which it reads through {@code reading}. */
    private void serve(Reading reading) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        new StatusApi(server, new ReadThrough(reading), JSON, MAPPER);
        server.setExecutor(handlers);
        server.start();
    }

    @Test
    void theFirstBytesOfAWholeLocalPageArriveBeforeItsLastStatusIsRead() throws Exception {
        CountDownLatch firstBytesRead = new CountDownLatch(1);
        serve((i, state, each) -> {
            if (i == STATES.size() - 1) {
                // Built whole, the page had no byte out yet: the asker's headers never come, and it gives up below.
                firstBytesRead.await(20, TimeUnit.SECONDS);
            }
            each.accept(state);
        });

        HttpResponse<InputStream> answer = HTTP.sendAsync(request("/api/status?scope=local&limit=" + Integer.MAX_VALUE),
                HttpResponse.BodyHandlers.ofInputStream()).get(10, TimeUnit.SECONDS);
        byte[] first = answer.body().readNBytes(1024);
        firstBytesRead.countDown();
        byte[] rest = answer.body().readAllBytes();

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type")).contains("application/json");
        JsonNode page = MAPPER.readTree(concat(first, rest));
        assertThat(page.path("scope").asText()).isEqualTo("local");
        assertThat(page.path("total").asInt()).isEqualTo(STATES.size());
        assertThat(page.path("offset").asInt()).isZero();
        assertThat(page.path("limit").asInt()).isEqualTo(Integer.MAX_VALUE);
        assertThat(page.path("items")).hasSize(STATES.size());
        assertThat(page.path("items").get(0).path("id").asText()).isEqualTo("backend-000");
    }

    @Test
    void aLocalPageIsItsMatchesFromOffsetAtMostLimitWithTheTotalOfAll() throws Exception {
        serve((i, state, each) -> each.accept(state));

        JsonNode page = MAPPER.readTree(HTTP.send(request("/api/status?scope=local&offset=397&limit=10"),
                HttpResponse.BodyHandlers.ofByteArray()).body());

        assertThat(page.path("items")).extracting(item -> item.path("id").asText())
                .containsExactly("backend-397", "backend-398", "backend-399");
        assertThat(page.path("total").asInt()).isEqualTo(STATES.size());
        JsonNode none = MAPPER.readTree(HTTP.send(request("/api/status?scope=local&status=HEALTHY"),
                HttpResponse.BodyHandlers.ofByteArray()).body());
        assertThat(none.path("items")).isEmpty();
        assertThat(none.path("total").asInt()).isZero();
        assertThat(none.path("scope").asText()).isEqualTo("local");
    }

    @Test
    void aStoreThatFailsBeforeTheFirstStatusIsStillAnAnswerOfItsOwn() throws Exception {
        serve((i, state, each) -> {
            throw new InvalidStateStoreException("rebalancing");
        });

        HttpResponse<String> answer = HTTP.send(request("/api/status?scope=local"),
                HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(503);
        assertThat(MAPPER.readTree(answer.body()).path("error").asText()).contains("rebalancing");
    }

    @Test
    void aPageWhoseStoreFailsAfterItsFirstBytesIsCutNeverEndedAsValidJson() throws Exception {
        // Past its 200, a 503 cannot follow: ended early as JSON, the asker would take a page short of statuses.
        serve((i, state, each) -> {
            if (i == 300) {
                throw new InvalidStateStoreException("the store closed by a rebalance while it was read");
            }
            each.accept(state);
        });

        assertThatThrownBy(() -> HTTP.send(request("/api/status?scope=local"), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(IOException.class);
    }

    /** How the source hands on the {@code i}th status (or fails instead). */
    @FunctionalInterface
    private interface Reading {
        void read(int i, StatusState state, Consumer<StatusState> each) throws Exception;
    }

    /** {@link #STATES} read through a {@link Reading}. */
    private static final class ReadThrough implements StatusSource {
        private final Reading reading;
        private final LocalStatuses rest = new LocalStatuses(STATES);

        ReadThrough(Reading reading) {
            this.reading = reading;
        }

        @Override
        public void eachLocal(Consumer<StatusState> each) {
            for (int i = 0; i < STATES.size(); i++) {
                try {
                    reading.read(i, STATES.get(i), each);
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }

        @Override
        public Optional<BackendStatus> local(String id) {
            return rest.local(id);
        }

        @Override
        public StatusFilter.Page page(StatusFilter filter) {
            return rest.page(filter);
        }

        @Override
        public StatusFilter.Summary summary() {
            return rest.summary();
        }

        @Override
        public Optional<BackendStatus> one(String id) {
            return rest.one(id);
        }

        @Override
        public List<StatusTransition> transitions(Instant since, int limit) {
            return rest.transitions(since, limit);
        }

        @Override
        public Map<String, RecentChecks> checks(int limit) {
            return rest.checks(limit);
        }
    }

    private HttpRequest request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + pathAndQuery))
                .timeout(Duration.ofSeconds(30)).build();
    }

    private static byte[] concat(byte[] first, byte[] rest) {
        byte[] all = new byte[first.length + rest.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(rest, 0, all, first.length, rest.length);
        return all;
    }

    private static BackendStatus unknown(String id) {
        return BackendStatus.unknown(new TrackedBackend(id, "Backend " + id, Map.of("team", "payments"),
                new RegistrationVersion(1, 42), new Thresholds(3, 2), Duration.ofSeconds(30), Duration.ofSeconds(2),
                "[http://" + id + ".internal/healthz]"), StoreValues.T0);
    }
}
