package dev.healthmon.aggregate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.json.Json;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.Thresholds;
import dev.healthmon.support.HealthEvents;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The query API ({@link StatusApi}, the real one, with the status page's files) over a fixed set of backends whose
 * states were folded from events by {@link StatusFold}, as the aggregator folds them: no broker needed. Closing it
 * stops the server.
 */
final class StatusPageFixture implements AutoCloseable {

    /**
     * 2,000 characters after markup that must stay text, with no place a browser may break a line (no space, no
     * hyphen): the widest a failure can be.
     */
    static final String LONG_MESSAGE = ("<img src=x onerror=\"window.pwned=1\">upstream_said:"
            + "connection_reset_by_peer_while_reading_the_response_body.".repeat(40)).substring(0, 2000);
    /** A name with markup in it: the page must show it as text. */
    static final String HOSTILE_NAME = "Verbose <b onmouseover=\"window.pwned=1\">bold</b>";
    /** The last 30 checks of {@code api}, oldest first (H healthy, D degraded, U unhealthy, A unauthenticated). */
    static final String API_RECENT = "HHHHHHHHHHUUHHHHHHHHDHHHHHHHHH";

    final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    final Map<String, StatusState> states = new LinkedHashMap<>();
    private final HttpServer server;

    StatusPageFixture() throws IOException {
        // 10 failures three hours ago (in the day, not in the hour), then 30 checks a minute apart: up 28 of 30
        // in the last hour, 28 of 40 in the day; only the last 30 are ticks.
        StatusState api = fold(registered("api", "Payments API", "payments"), now.minus(Duration.ofHours(3)),
                "UUUUUUUUUU", "HTTP 503");
        add(fold(api, now.minus(Duration.ofMinutes(30)), API_RECENT, "HTTP 503"));
        add(fold(registered("verbose", HOSTILE_NAME, "payments"), now.minus(Duration.ofMinutes(5)), "HHUUU",
                LONG_MESSAGE));
        add(fold(registered("search", "Search", "search"), now.minus(Duration.ofMinutes(4)), "HDDD", ""));
        add(fold(registered("auth", "Auth", "payments"), now.minus(Duration.ofMinutes(3)), "AAA",
                "HTTP 401 asks for credentials"));
        add(registered("newbie", "Newbie", "search"));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        ObjectMapper mapper = Json.mapper();
        new StatusApi(server, new LocalStatuses(List.copyOf(states.values())), new StatusJson(mapper), mapper);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    /** The outcomes a letter string stands for (see {@link #API_RECENT}). */
    static List<Outcome> outcomes(String letters) {
        Map<Character, Outcome> byLetter = Map.of('H', Outcome.HEALTHY, 'D', Outcome.DEGRADED, 'U', Outcome.UNHEALTHY,
                'A', Outcome.UNAUTHENTICATED);
        return letters.chars().mapToObj(c -> byLetter.get((char) c)).toList();
    }

    private void add(StatusState state) {
        states.put(state.view().id(), state);
    }

    private StatusState registered(String id, String name, String team) {
        TrackedBackend backend = new TrackedBackend(id, name, Map.of("team", team), new RegistrationVersion(0, 1),
                new Thresholds(3, 2), Duration.ofMinutes(1), Duration.ofSeconds(5), "fingerprint-" + id);
        return StatusFold.registered(Optional.empty(), Optional.empty(), backend, now.minus(Duration.ofHours(4)),
                AggregatorSettings.DEFAULTS).state();
    }

    /** {@code state} after one check per letter, a minute apart from {@code first}, as the aggregator applies them. */
    private static StatusState fold(StatusState state, Instant first, String letters, String failureMessage) {
        TrackedBackend backend = new TrackedBackend(state.view().id(), state.view().name(), state.view().labels(),
                new RegistrationVersion(0, 1), new Thresholds(3, 2), Duration.ofMinutes(1), Duration.ofSeconds(5),
                "fingerprint-" + state.view().id());
        List<Outcome> outcomes = outcomes(letters);
        long sequence = state.applied().map(StatusState.Applied::sequence).orElse(0L);
        for (int i = 0; i < outcomes.size(); i++) {
            Outcome outcome = outcomes.get(i);
            HealthEvent event = HealthEvents.event(backend.id()).registration(0, 1).sequence(++sequence)
                    .at(first.plus(Duration.ofMinutes(i))).outcome(outcome).latencyMs(latency(outcome, i))
                    .failure(failure(outcome, failureMessage)).build();
            state = StatusFold.apply(state, backend, event, AggregatorSettings.DEFAULTS).state();
        }
        return state;
    }

    /** Varied, so that the sparkline has a shape: 20-79 ms up, 500 ms (a timeout-like wait) down. */
    static long latency(Outcome outcome, int index) {
        return outcome.isSuccess() ? 20 + (index * 37L) % 60 : 500;
    }

    private static Optional<Failure> failure(Outcome outcome, String message) {
        return switch (outcome) {
            case HEALTHY, DEGRADED -> Optional.empty();
            case UNHEALTHY -> Optional.of(Failure.http(FailureKind.HTTP_STATUS, 503, message));
            case UNAUTHENTICATED -> Optional.of(Failure.http(FailureKind.AUTH, 401, message));
        };
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
