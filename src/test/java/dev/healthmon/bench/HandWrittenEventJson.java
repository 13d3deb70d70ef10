package dev.healthmon.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.McpServerInfo;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.CircuitState;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.Reason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The baseline of {@link HotPathBenchmarks}: the hand-written HealthEvent codec that the mapping
 * through {@code dev.healthmon.json.Json} replaced (commit 8881f9b), kept verbatim so that both are
 * measured in one run, under the same load. Not used outside the benchmarks.
 */
final class HandWrittenEventJson {

    private final ObjectMapper mapper;

    HandWrittenEventJson(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    byte[] encode(HealthEvent e) {
        ObjectNode root = mapper.createObjectNode();
        root.put("schemaVersion", HealthEvent.SCHEMA_VERSION);
        root.put("backendId", e.backendId());
        ObjectNode registration = root.putObject("registration");
        registration.put("partition", e.registration().partition());
        registration.put("offset", e.registration().offset());
        root.put("sequence", e.sequence());
        root.put("monitorId", e.monitorId());
        root.put("ownerEpoch", e.ownerEpoch());
        root.put("scheduledAt", e.scheduledAt().toString());
        root.put("checkedAt", e.checkedAt().toString());
        root.put("latencyMs", e.latencyMs());
        root.put("outcome", e.outcome().name());
        root.put("status", e.status().name());
        root.put("previousStatus", e.previousStatus().name());
        e.reason().ifPresent(r -> root.put("reason", r.name()));
        root.put("consecutiveFailures", e.consecutiveFailures());
        root.put("consecutiveSuccesses", e.consecutiveSuccesses());
        e.failure().ifPresent(f -> {
            ObjectNode failure = root.putObject("failure");
            failure.put("kind", f.kind().name());
            failure.put("message", f.message());
            f.httpStatus().ifPresent(s -> failure.put("httpStatus", s));
        });
        root.put("circuit", e.circuit().name());
        e.mcp().ifPresent(m -> {
            ObjectNode mcp = root.putObject("mcp");
            mcp.put("protocolVersion", m.protocolVersion());
            mcp.put("serverName", m.serverName());
            mcp.put("serverVersion", m.serverVersion());
        });
        try {
            return mapper.writeValueAsBytes(root);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** @throws IllegalArgumentException when the bytes are not a version-1 HealthEvent */
    HealthEvent decode(byte[] bytes) {
        JsonNode n;
        try {
            n = mapper.readTree(bytes);
        } catch (IOException ex) {
            throw new IllegalArgumentException("not JSON: " + ex.getMessage(), ex);
        }
        if (n == null || n.path("schemaVersion").asInt() != HealthEvent.SCHEMA_VERSION) {
            throw new IllegalArgumentException("not a version-1 HealthEvent");
        }
        try {
            JsonNode f = n.get("failure");
            Optional<Failure> failure = f == null ? Optional.empty() : Optional.of(new Failure(
                    FailureKind.valueOf(field(f, "kind").asText()), field(f, "message").asText(),
                    f.has("httpStatus") ? OptionalInt.of(f.get("httpStatus").asInt()) : OptionalInt.empty()));
            JsonNode registration = field(n, "registration");
            return new HealthEvent(
                    field(n, "backendId").asText(),
                    new RegistrationVersion(field(registration, "partition").asInt(),
                    field(registration, "offset").asLong()),
                    field(n, "sequence").asLong(),
                    field(n, "monitorId").asText(),
                    field(n, "ownerEpoch").asInt(),
                    Instant.parse(field(n, "scheduledAt").asText()),
                    Instant.parse(field(n, "checkedAt").asText()),
                    field(n, "latencyMs").asLong(),
                    Outcome.valueOf(field(n, "outcome").asText()),
                    HealthStatus.valueOf(field(n, "status").asText()),
                    HealthStatus.valueOf(field(n, "previousStatus").asText()),
                    n.has("reason") ? Optional.of(Reason.valueOf(n.get("reason").asText())) : Optional.empty(),
                    field(n, "consecutiveFailures").asInt(),
                    field(n, "consecutiveSuccesses").asInt(),
                    failure,
                    CircuitState.valueOf(field(n, "circuit").asText()),
                    mcp(n.get("mcp")));
        } catch (DateTimeParseException ex) {
            throw new IllegalArgumentException("not a HealthEvent: " + ex.getMessage(), ex);
        }
    }

    private static Optional<McpServerInfo> mcp(JsonNode node) {
        return node == null || node.isNull() ? Optional.empty() : Optional.of(new McpServerInfo(
                field(node, "protocolVersion").asText(), field(node, "serverName").asText(),
                field(node, "serverVersion").asText()));
    }

    private static JsonNode field(JsonNode parent, String name) {
        JsonNode node = parent.get(name);
        if (node == null || node.isNull()) {
            throw new IllegalArgumentException("not a HealthEvent: " + name + " is missing");
        }
        return node;
    }
}
