package dev.healthmon.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.aggregate.Availability;
import dev.healthmon.aggregate.BackendStatus;
import dev.healthmon.aggregate.StatusJson;
import dev.healthmon.aggregate.StatusTransition;
import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.events.McpServerInfo;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.CircuitState;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.Reason;
import dev.healthmon.support.Registrations;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The records' JSON, byte for byte, is what the hand-written codecs wrote before the records were
 * mapped by annotations through {@link Json} (the expected strings are their output): field order,
 * omitted absent optionals, ISO-8601 UTC times, labels sorted by name.
 */
class RecordJsonTest {

    private static final Instant AT = Instant.parse("2026-11-24T10:00:00Z");
    private static final Instant AT_MS = Instant.parse("2026-11-24T10:00:00.120Z");
    private static final Instant AT_NS = Instant.parse("2026-11-24T10:00:00.000123456Z");
    private static final Map<String, String> LABELS = Map.of("zeta", "z", "alpha", "a", "mid", "m");

    private final HealthEventCodec events = new HealthEventCodec(Json.mapper());
    private final StatusJson statuses = new StatusJson(Json.mapper());

    private static String utf8(byte[] json) {
        return new String(json, StandardCharsets.UTF_8);
    }

    private static HealthEvent healthy() {
        return new HealthEvent("payments-api", new RegistrationVersion(3, 1234), 42, "monitor-1", 7, AT, AT_MS, 12,
                Outcome.HEALTHY, HealthStatus.HEALTHY, HealthStatus.HEALTHY, Optional.empty(), 0, 42,
                Optional.empty(), CircuitState.CLOSED, Optional.empty());
    }

    private static HealthEvent degradedWithEverything() {
        return new HealthEvent("a\u00e9\"\\x", new RegistrationVersion(0, 0), 1, "m\n1", -1, AT_NS, AT_NS, 0,
                Outcome.UNHEALTHY, HealthStatus.DEGRADED, HealthStatus.UNKNOWN, Optional.of(Reason.SLOW), 3, 0,
                Optional.of(Failure.http(FailureKind.HTTP_STATUS, 503, "HTTP 503 \u001b")), CircuitState.OPEN,
                Optional.of(new McpServerInfo("2025-06-18", "", "1.0")));
    }

    @Test
    void writesAHealthEventWithoutOptionalsAsBefore() {
        assertThat(utf8(events.encode(healthy()))).isEqualTo("{\"schemaVersion\":1,\"backendId\":\"payments-api\","
                + "\"registration\":{\"partition\":3,\"offset\":1234},\"sequence\":42,\"monitorId\":\"monitor-1\","
                + "\"ownerEpoch\":7,\"scheduledAt\":\"2026-11-24T10:00:00Z\","
                + "\"checkedAt\":\"2026-11-24T10:00:00.120Z\",\"latencyMs\":12,\"outcome\":\"HEALTHY\","
                + "\"status\":\"HEALTHY\",\"previousStatus\":\"HEALTHY\","
                + "\"consecutiveFailures\":0,\"consecutiveSuccesses\":42,\"circuit\":\"CLOSED\"}");
    }

    @Test
    void writesAHealthEventWithEveryOptionalAsBefore() {
        assertThat(utf8(events.encode(degradedWithEverything()))).isEqualTo("{\"schemaVersion\":1,"
                + "\"backendId\":\"a\u00e9\\\"\\\\x\",\"registration\":{\"partition\":0,\"offset\":0},\"sequence\":1,"
                + "\"monitorId\":\"m\\n1\",\"ownerEpoch\":-1,\"scheduledAt\":\"2026-11-24T10:00:00.000123456Z\","
                + "\"checkedAt\":\"2026-11-24T10:00:00.000123456Z\",\"latencyMs\":0,\"outcome\":\"UNHEALTHY\","
                + "\"status\":\"DEGRADED\",\"previousStatus\":\"UNKNOWN\",\"reason\":\"SLOW\","
                + "\"consecutiveFailures\":3,\"consecutiveSuccesses\":0,"
                + "\"failure\":{\"kind\":\"HTTP_STATUS\",\"message\":\"HTTP 503 \\u001B\","
                + "\"httpStatus\":503},\"circuit\":\"OPEN\",\"mcp\":{\"protocolVersion\":\"2025-06-18\","
                + "\"serverName\":\"\",\"serverVersion\":\"1.0\"}}");
        assertThat(events.decode(events.encode(degradedWithEverything()))).isEqualTo(degradedWithEverything());
    }

    @Test
    void namesTheMissingFieldOfAHealthEvent() {
        String json = utf8(events.encode(healthy())).replace("\"checkedAt\":\"2026-11-24T10:00:00.120Z\",", "");
        assertThatThrownBy(() -> events.decode(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a HealthEvent: checkedAt is missing");
        String version2 = utf8(events.encode(healthy())).replace("\"schemaVersion\":1", "\"schemaVersion\":2");
        assertThatThrownBy(() -> events.decode(version2.getBytes(StandardCharsets.UTF_8)))
                .hasMessage("not a version-1 HealthEvent");
    }

    @Test
    void refusesAnEventWhoseTimeTheAggregatorCouldNotComputeWith() {
        String json = utf8(events.encode(healthy()))
                .replace("\"checkedAt\":\"2026-11-24T10:00:00.120Z\"", "\"checkedAt\":\"+999999999-12-31T23:59:59Z\"");
        assertThatThrownBy(() -> events.decode(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("checkedAt");
    }

    @Test
    void refusesWhatTheSchemaRefusesInsteadOfGuessing() {
        String good = utf8(events.encode(healthy()));
        for (String[] swap : new String[][] {
                {"\"ownerEpoch\":7", "\"ownerEpoch\":null"},
                {"\"ownerEpoch\":7", "\"ownerEpoch\":\"7\""},
                {"\"ownerEpoch\":7", "\"ownerEpoch\":7.9"},
                {"\"status\":\"HEALTHY\"", "\"status\":1"}}) {
            assertThat(good).contains(swap[0]);
            byte[] bad = good.replace(swap[0], swap[1]).getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> events.decode(bad)).as(swap[1]).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void writesBackendStatusesAsBefore() {
        BackendStatus full = new BackendStatus("api", "API", LABELS, HealthStatus.DEGRADED, Optional.of(Reason.SLOW),
                AT, Optional.of(AT_MS), OptionalLong.of(250), 0, 5, true,
                new Availability.Figures(OptionalDouble.of(0.5), OptionalDouble.of(1.0)),
                Optional.of(new BackendStatus.LastFailure(Failure.http(FailureKind.HTTP_STATUS, 500, "boom"), AT_NS)),
                Optional.of("monitor-2"), OptionalInt.of(4), new RegistrationVersion(2, 99));
        BackendStatus unknown = new BackendStatus("b", "", Map.of(), HealthStatus.UNKNOWN, Optional.empty(), AT,
                Optional.empty(), OptionalLong.empty(), 0, 0, false, Availability.Figures.NONE, Optional.empty(),
                Optional.empty(), OptionalInt.empty(), new RegistrationVersion(0, 0));

        assertThat(utf8(statuses.encode(full))).isEqualTo("{\"schemaVersion\":1,\"id\":\"api\",\"name\":\"API\","
                + "\"labels\":{\"alpha\":\"a\",\"mid\":\"m\",\"zeta\":\"z\"},"
                + "\"status\":\"DEGRADED\",\"reason\":\"SLOW\","
                + "\"since\":\"2026-11-24T10:00:00Z\",\"lastCheckedAt\":\"2026-11-24T10:00:00.120Z\",\"latencyMs\":250,"
                + "\"consecutiveFailures\":0,\"consecutiveSuccesses\":5,\"flapping\":true,"
                + "\"availability\":{\"lastHour\":0.5,\"lastDay\":1.0},\"lastFailure\":{\"kind\":\"HTTP_STATUS\","
                + "\"message\":\"boom\",\"httpStatus\":500,\"at\":\"2026-11-24T10:00:00.000123456Z\"},"
                + "\"checkedBy\":\"monitor-2\",\"ownerEpoch\":4,\"registration\":{\"partition\":2,\"offset\":99}}");
        assertThat(utf8(statuses.encode(unknown))).isEqualTo("{\"schemaVersion\":1,\"id\":\"b\",\"name\":\"\","
                + "\"labels\":{},\"status\":\"UNKNOWN\",\"since\":\"2026-11-24T10:00:00Z\",\"consecutiveFailures\":0,"
                + "\"consecutiveSuccesses\":0,\"flapping\":false,\"availability\":{},"
                + "\"registration\":{\"partition\":0,\"offset\":0}}");
        assertThat(statuses.decodeStatus(statuses.encode(full))).isEqualTo(full);
        assertThat(statuses.decodeStatus(statuses.encode(unknown))).isEqualTo(unknown);
    }

    @Test
    void writesTransitionsAsBefore() {
        StatusTransition change = new StatusTransition("api", "API", LABELS, StatusTransition.Kind.CHANGE,
                HealthStatus.HEALTHY, HealthStatus.DEGRADED, Optional.of(Reason.SLOW), AT_MS);
        assertThat(utf8(statuses.encode(change))).isEqualTo("{\"schemaVersion\":1,\"backendId\":\"api\","
                + "\"name\":\"API\",\"labels\":{\"alpha\":\"a\",\"mid\":\"m\",\"zeta\":\"z\"},\"kind\":\"CHANGE\","
                + "\"from\":\"HEALTHY\",\"to\":\"DEGRADED\",\"reason\":\"SLOW\",\"at\":\"2026-11-24T10:00:00.120Z\"}");
        assertThat(statuses.decodeTransition(statuses.encode(change))).isEqualTo(change);
    }

    @Test
    void writesRegistrationsAsBeforeWithLabelsSortedByName() {
        DecodedRegistration.Valid full = Registrations.valid(Registrations.json("full",
                "https://api.test:8443/x?y=1", j -> {
                    ((ObjectNode) j.get("healthCheck")).put("type", "http").put("path", "/healthz")
                            .put("expectStatus", "200,204").put("mcpMethod", "tools/list").put("mcpSession", "fresh");
                    j.putObject("auth").put("type", "header").put("header", "X-Api-Key").put("secretRef", "team-key");
                    j.putObject("labels").put("team", "payments").put("env", "prod").put("a", "b");
                }));
        DecodedRegistration.Valid minimal = Registrations.valid(Registrations.json("m", "http://m.test",
                j -> j.remove("healthCheck")));

        assertThat(utf8(Registrations.CODEC.encode(full.registration()))).isEqualTo("{\"schemaVersion\":1,"
                + "\"id\":\"full\",\"name\":\"Backend full\",\"url\":\"https://api.test:8443/x?y=1\","
                + "\"transport\":\"http\",\"healthCheck\":{\"type\":\"http\",\"path\":\"/healthz\","
                + "\"expectStatus\":\"200,204\",\"intervalMs\":1000,\"timeoutMs\":500,\"mcpMethod\":\"tools/list\","
                + "\"mcpSession\":\"fresh\"},\"auth\":{\"type\":\"header\",\"header\":\"X-Api-Key\","
                + "\"secretRef\":\"team-key\"},\"labels\":{\"a\":\"b\",\"env\":\"prod\",\"team\":\"payments\"}}");
        assertThat(utf8(Registrations.CODEC.encode(minimal.registration()))).isEqualTo("{\"schemaVersion\":1,"
                + "\"id\":\"m\",\"name\":\"Backend m\",\"url\":\"http://m.test\",\"transport\":\"http\"}");
    }

    @Test
    void aPlainObjectMapperGivenToACodecIsUsedAsAConfiguredCopy() {
        ObjectMapper plain = new ObjectMapper();
        assertThat(new HealthEventCodec(plain).encode(degradedWithEverything()))
                .isEqualTo(events.encode(degradedWithEverything()));
        ObjectMapper configured = Json.mapper();
        assertThat(Json.configured(configured)).isSameAs(configured);
        assertThat(Json.configured(plain)).isNotSameAs(plain);
    }
}
