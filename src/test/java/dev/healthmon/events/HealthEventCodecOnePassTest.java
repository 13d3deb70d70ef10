package dev.healthmon.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.healthmon.json.Json;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.CircuitState;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.Reason;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Events bound in one pass are read, or refused with its reason, exactly as through the tree. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthEventCodecOnePassTest {

    private static final long SEED = 1_605L;
    private static final Instant AT = Instant.parse("2026-11-24T10:00:00.120Z");
    private final HealthEventCodec codec = new HealthEventCodec(Json.mapper());

    private static final List<HealthEvent> EVENTS = List.of(
            new HealthEvent("payments-api", new RegistrationVersion(3, 1234), 42, "monitor-1", 7, AT, AT, 12,
                    Outcome.HEALTHY, HealthStatus.HEALTHY, HealthStatus.HEALTHY, Optional.empty(), 0, 42,
                    Optional.empty(), CircuitState.CLOSED, Optional.empty()),
            new HealthEvent("a\u00e9\"\\x", new RegistrationVersion(0, 0), 1, "m\n1", -1, AT, AT.plusNanos(123), 0,
                    Outcome.UNHEALTHY, HealthStatus.DEGRADED, HealthStatus.UNKNOWN, Optional.of(Reason.SLOW), 3, 0,
                    Optional.of(Failure.http(FailureKind.HTTP_STATUS, 503, "HTTP 503")), CircuitState.OPEN,
                    Optional.of(new McpServerInfo("2025-06-18", "", "1.0"))));

    /** Texts spliced in: other values of other types, keys again, nesting, what the schema refuses. */
    private static final String[] SPLICES = {"null", "\"7\"", "7.9", "1", "-1", "99999999999999999999", "true", "{}",
        "[]", "\"HEALTHY\"", ",\"schemaVersion\":2", ",\"sequence\":5", ",\"failure\":null", ",\"extra\":{\"a\":1}",
        "\"2026-11-24T10:00:00Z\"", "\"+999999999-12-31T23:59:59Z\"", "}", "{", ",", ":", "\""};

    @Test
    void everyMutatedEventIsReadOrRefusedAsThroughTheTree() {
        Random random = new Random(SEED);
        int read = 0;
        for (int i = 0; i < 30_000; i++) {
            String json = new String(codec.encode(EVENTS.get(random.nextInt(EVENTS.size()))), StandardCharsets.UTF_8);
            String mutated = mutate(json, random);
            byte[] bytes = mutated.getBytes(StandardCharsets.UTF_8);
            Object expected = outcome(() -> codec.decodeThroughTree(bytes));
            Object actual = outcome(() -> codec.decode(bytes));
            assertThat(actual).as("seed %d: %s", SEED, mutated).isEqualTo(expected);
            read += expected instanceof HealthEvent ? 1 : 0;
        }
        assertThat(read).as("mutations that still read: both paths exercised").isGreaterThan(3_000);
    }

    @Test
    void aRepeatedSchemaVersionIsJudgedByItsLastValueAsBefore() {
        String json = new String(codec.encode(EVENTS.get(0)), StandardCharsets.UTF_8);
        byte[] twice = json.replace("\"circuit\"", "\"schemaVersion\":2,\"circuit\"").getBytes(StandardCharsets.UTF_8);
        assertThat(outcome(() -> codec.decode(twice))).isEqualTo("not a version-1 HealthEvent");
    }

    private static String mutate(String json, Random random) {
        int at = random.nextInt(json.length());
        return switch (random.nextInt(4)) {
            case 0 -> json; // unchanged: the one-pass path's ordinary case
            case 1 -> json.substring(0, at) + SPLICES[random.nextInt(SPLICES.length)] + json.substring(at);
            case 2 -> { // a value replaced: from just after a ':' to the next ',' or '}'
                int colon = json.indexOf(':', at);
                if (colon < 0) {
                    yield json;
                }
                int end = colon + 1;
                while (end < json.length() && json.charAt(end) != ',' && json.charAt(end) != '}') {
                    end++;
                }
                yield json.substring(0, colon + 1) + SPLICES[random.nextInt(SPLICES.length)] + json.substring(end);
            }
            default -> json.substring(0, at) + json.substring(Math.min(json.length(), at + 1 + random.nextInt(20)));
        };
    }

    /** The event read, or the refusal's message; any other exception fails the test. */
    private static Object outcome(Supplier<HealthEvent> decode) {
        try {
            return decode.get();
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }
}
