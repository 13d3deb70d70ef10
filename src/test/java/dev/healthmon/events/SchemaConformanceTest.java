package dev.healthmon.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.status.CircuitState;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.Reason;
import dev.healthmon.support.HealthEvents;
import dev.healthmon.support.Registrations;
import dev.healthmon.support.Schemas;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The Java side and {@code schemas/} agree: what we write validates, and the codec accepts what the schema accepts. */
class SchemaConformanceTest {

    static final ObjectMapper MAPPER = new ObjectMapper();

    static HealthEvent event(Optional<Reason> reason, HealthStatus status, Optional<Failure> failure) {
        Instant at = Instant.parse("2026-11-24T10:00:00.123Z");
        return HealthEvents.event("api").registration(2, 40).sequence(3).monitor("m1", 5).at(at, at.plusMillis(20))
                .latencyMs(20).outcome(failure.isPresent() ? Outcome.UNHEALTHY : Outcome.HEALTHY)
                .status(HealthStatus.UNKNOWN, status).reason(reason).counters(0, 3).failure(failure)
                .circuit(failure.isPresent() ? CircuitState.OPEN : CircuitState.CLOSED).build();
    }

    static HealthEvent withMcp(HealthEvent e, McpServerInfo info) {
        return HealthEvents.copyOf(e).mcp(info).build();
    }

    @Test
    void encodedHealthEventsValidateAgainstTheSchema() {
        Schema schema = Schemas.load("health-event.v1.schema.json");
        HealthEventCodec codec = new HealthEventCodec(MAPPER);
        List<HealthEvent> events = List.of(
                event(Optional.empty(), HealthStatus.HEALTHY, Optional.empty()),
                event(Optional.of(Reason.SLOW), HealthStatus.DEGRADED, Optional.empty()),
                event(Optional.of(Reason.FAILING), HealthStatus.UNHEALTHY,
                        Optional.of(new Failure(FailureKind.HTTP_STATUS, "HTTP 503", OptionalInt.of(503)))),
                withMcp(event(Optional.empty(), HealthStatus.HEALTHY, Optional.empty()),
                        new McpServerInfo("2025-06-18", "tools-server", "1.4.2")));
        for (HealthEvent e : events) {
            byte[] json = codec.encode(e);
            assertThat(Schemas.validate(schema, json)).as(new String(json, StandardCharsets.UTF_8)).isEmpty();
            assertThat(codec.decode(json)).isEqualTo(e);
        }
    }

    @Test
    void schemaRejectsADegradedEventWithoutReason() {
        ObjectNode node = (ObjectNode) readTree(new HealthEventCodec(MAPPER).encode(
                event(Optional.of(Reason.SLOW), HealthStatus.DEGRADED, Optional.empty())));
        node.remove("reason");
        assertThat(Schemas.load("health-event.v1.schema.json").validate(node)).isNotEmpty();
    }

    @Test
    void codecAndSchemaAgreeOnRegistrations() {
        Schema schema = Schemas.load("backend-registration.v1.schema.json");
        List<ObjectNode> samples = List.of(
                Registrations.json("ok", "http://ok.test/"),
                Registrations.json("ok2", "https://ok.test/", j -> j.putObject("labels").put("team", "a")),
                Registrations.json("ok3", "http://ok.test/", j -> j.putObject("auth").put("type", "bearer")
                        .put("secretRef", "team.T-1_x")),
                Registrations.json("ok4", "http://ok.test/mcp", j -> ((ObjectNode) j.put("transport", "streamable-http")
                        .get("healthCheck")).put("mcpMethod", "tools/list").put("mcpSession", "fresh")),
                Registrations.json("bad1", "ftp://x.test/"),
                Registrations.json("bad2", "http://x.test/", j -> j.put("transport", "stdio")),
                Registrations.json("bad3", "http://x.test/", j -> j.remove("schemaVersion")),
                Registrations.json("bad4", "http://x.test/",
                j -> ((ObjectNode) j.get("healthCheck")).put("jitterPercent", 90)),
                Registrations.json("bad5", "http://x.test/", j -> j.putObject("auth").put("type", "header")
                        .put("secretRef", "t")),
                Registrations.json("bad6", "http://x.test/", j -> j.putObject("labels").put("team", 1)),
                Registrations.json("bad7", "http://x.test/", j -> j.putObject("auth").put("type", "bearer")
                        .put("secretRef", "env:T")),
                Registrations.json("bad7b", "http://x.test/", j -> j.putObject("auth").put("type", "bearer")
                        .put("secretRef", "file:/etc/hostname")),
                Registrations.json("bad7c", "http://x.test/", j -> j.putObject("auth").put("type", "bearer")
                        .put("secretRef", "pasted+value/==")),
                Registrations.json("bad7d", "http://x.test/", j -> j.putObject("auth").put("type", "bearer")
                        .put("secretRef", "n".repeat(101))),
                Registrations.json("bad8", "http://x.test/",
                j -> ((ObjectNode) j.get("healthCheck")).put("mcpMethod", "tools/call")),
                Registrations.json("bad9", "http://x.test/",
                        j -> ((ObjectNode) j.get("healthCheck")).put("mcpSession", "pooled")),
                Registrations.json("ok5", "http://x.test:65535/a?b#c"),
                Registrations.json("ok6", "http://[::1]:8080/"),
                Registrations.json("ok7", "HTTPS://x.test:1"),
                Registrations.json("ok8", "http://10.0.0.1:08080/"),
                Registrations.json("bad10", "http://x.test:99999/"),
                Registrations.json("bad11", "http://x.test:0/"),
                Registrations.json("bad12", "http://x.test:65536/"),
                Registrations.json("bad13", "http://[::1]:70000/"),
                Registrations.json("bad14", "http://x.test:99999999999/"),
                Registrations.json("bad15", "http://user:pw@x.test/"),
                Registrations.json("bad16", "http:///path"));
        for (ObjectNode sample : samples) {
            boolean schemaAccepts = schema.validate(sample).isEmpty();
            boolean codecAccepts = Registrations.CODEC.decode(sample.get("id").asText()
                    .getBytes(StandardCharsets.UTF_8),
                    Registrations.bytes(sample)) instanceof DecodedRegistration.Valid;
            assertThat(codecAccepts).as(sample.toString()).isEqualTo(schemaAccepts);
            assertThat(codecAccepts).as(sample.toString()).isEqualTo(sample.get("id").asText().startsWith("ok"));
        }
    }

    private static JsonNode readTree(byte[] json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
