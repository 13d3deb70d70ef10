package dev.healthmon.registration;

import static dev.healthmon.support.Registrations.CODEC;
import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.support.Registrations;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class RegistrationCodecTest {

    private static DecodedRegistration decode(String key, byte[] value) {
        return CODEC.decode(key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
    }

    private static InvalidRegistrationException invalid(String key, byte[] value) {
        DecodedRegistration decoded = decode(key, value);
        assertThat(decoded).isInstanceOf(DecodedRegistration.Invalid.class);
        return ((DecodedRegistration.Invalid) decoded).error();
    }

    private static InvalidRegistrationException invalid(Consumer<ObjectNode> edit) {
        return invalid("api", bytes(json("api", "http://api.test/", edit)));
    }

    @Test
    void decodesAFullRegistration() {
        ObjectNode node = json("api", "https://api.test/", j -> {
            ObjectNode check = (ObjectNode) j.get("healthCheck");
            check.put("unhealthyIntervalMs", 5000).put("healthyEdgeIntervalMs", 200).put("unhealthyEdgeIntervalMs",
                    300);
            check.put("type", "http").put("path", "/healthz").put("expectStatus", "200,204").put("unhealthyThreshold",
                    5)
                    .put("healthyThreshold", 1).put("degradedLatencyMs", 250).put("initialDelayMs",
                    100).put("jitterPercent", 0);
            j.putObject("auth").put("type", "header").put("header", "X-Api-Key").put("secretRef", "team-key");
            j.putObject("labels").put("team", "payments");
            j.put("futureField", "ignored");
        });

        DecodedRegistration.Valid valid = (DecodedRegistration.Valid) decode("api", bytes(node));

        BackendRegistration r = valid.registration();
        assertThat(r.url().toString()).isEqualTo("https://api.test/");
        assertThat(r.auth()).contains(new AuthSpec(AuthSpec.Type.HEADER, "X-Api-Key", "team-key"));
        assertThat(r.labels()).isEqualTo(Map.of("team", "payments"));
        CheckSettings s = valid.settings();
        assertThat(s.type()).isEqualTo(CheckType.HTTP);
        assertThat(s.path()).isEqualTo("/healthz");
        assertThat(s.expectStatus().contains(204)).isTrue();
        assertThat(s.expectStatus().contains(201)).isFalse();
        assertThat(s.interval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.thresholds().unhealthy()).isEqualTo(5);
        assertThat(s.unhealthyInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.healthyEdgeInterval()).contains(Duration.ofMillis(200));
        assertThat(s.unhealthyEdgeInterval()).contains(Duration.ofMillis(300));
    }

    @Test
    void fillsDefaultsForAMinimalRegistration() {
        String minimal = "{\"schemaVersion\":1,\"id\":\"m\",\"url\":\"http://m.test\","
                + "\"transport\":\"streamable-http\"}";
        DecodedRegistration.Valid valid = (DecodedRegistration.Valid) decode("m",
                minimal.getBytes(StandardCharsets.UTF_8));

        assertThat(valid.registration().name()).isEqualTo("m");
        assertThat(valid.settings()).satisfies(s -> {
            assertThat(s.type()).as("MCP transports default to the mcp check").isEqualTo(CheckType.MCP);
            assertThat(s.interval()).isEqualTo(Duration.ofSeconds(30));
            assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(10));
            assertThat(s.jitterPercent()).isEqualTo(10);
            assertThat(s.mcpMethod()).isEqualTo(McpMethod.PING);
            assertThat(s.mcpSession()).isEqualTo(McpSessionMode.REUSE);
        });
    }

    @Test
    void encodeThenDecodeGivesTheSameRegistration() {
        DecodedRegistration.Valid valid = Registrations.valid(json("rt", "http://rt.test/x",
                j -> {
            ((ObjectNode) j.get("healthCheck")).put("unhealthyIntervalMs", 9000).put("healthyEdgeIntervalMs", 100)
                    .put("mcpMethod", "tools/list").put("mcpSession", "fresh");
            j.putObject("labels").put("env", "prod");
            j.putObject("auth").put("type", "bearer").put("secretRef", "token");
        }));
        DecodedRegistration again = decode("rt", CODEC.encode(valid.registration()));
        assertThat(again).isEqualTo(valid);
    }

    @Test
    void nullValueIsATombstone() {
        assertThat(decode("gone", null)).isEqualTo(new DecodedRegistration.Tombstone("gone"));
    }

    @Test
    void rejectsValueThatIsNotJson() {
        assertThat(invalid("api", "{not json".getBytes(StandardCharsets.UTF_8)).field()).isEqualTo("$");
        assertThat(invalid("api", "[1,2]".getBytes(StandardCharsets.UTF_8)).problem()).contains("JSON object");
    }

    private static byte[] utf8(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static final String MINIMAL = "{\"schemaVersion\":1,\"id\":\"api\",\"url\":\"http://api.test/\","
            + "\"transport\":\"http\"";

    @Test
    void rejectsADuplicateKeyNamingTheField() {
        InvalidRegistrationException e = invalid("api", utf8(MINIMAL + ",\"url\":\"http://other.test/\"}"));
        assertThat(e.field()).isEqualTo("url");
        assertThat(e.problem()).contains("duplicate field");
    }

    @Test
    void rejectsADuplicateKeyInANestedObjectNamingItsPath() {
        InvalidRegistrationException e = invalid("api", utf8(MINIMAL
                + ",\"healthCheck\":{\"intervalMs\":1000,\"timeoutMs\":100,\"timeoutMs\":900}}"));
        assertThat(e.field()).isEqualTo("healthCheck.timeoutMs");
        assertThat(e.getMessage()).contains("healthCheck.timeoutMs: duplicate field");
    }

    @Test
    void rejectsContentAfterTheObject() {
        for (String trailing : List.of("}{}", "} x", "}}", "}\"more\"", "} 1")) {
            InvalidRegistrationException e = invalid("api", utf8(MINIMAL + trailing));
            assertThat(e.field()).as(trailing).isEqualTo("$");
            assertThat(e.problem()).as(trailing).contains("trailing content");
        }
    }

    @Test
    void acceptsWhitespaceAfterTheObject() {
        assertThat(decode("api", utf8(MINIMAL + "}\n  \t"))).isInstanceOf(DecodedRegistration.Valid.class);
    }

    @Test
    void rejectsPortsOutside1To65535NamingTheUrl() {
        for (String url : List.of("http://api.test:99999/", "http://api.test:0/", "http://api.test:65536/",
                "http://api.test:99999999999/", "http://[::1]:70000/", "https://10.0.0.1:123456/")) {
            InvalidRegistrationException e = invalid(j -> j.put("url", url));
            assertThat(e.field()).as(url).isEqualTo("url");
            assertThat(e.problem()).as(url).contains("outside 1-65535");
        }
    }

    @Test
    void acceptsPortsInRange() {
        for (String url : List.of("http://api.test:1/", "http://api.test:65535/", "http://[::1]:8080/",
                "http://api.test:/", "http://api.test:08080/")) {
            assertThat(decode("api", bytes(json("api", url)))).as(url).isInstanceOf(DecodedRegistration.Valid.class);
        }
    }

    @Test
    void echoesRecordTextInAReasonEscaped() {
        InvalidRegistrationException e = invalid(j -> j.put("transport", "x\u001b[2J\nforged"));
        assertThat(e.problem()).contains("x\\u001b[2J\\u000aforged").doesNotContain("\u001b", "\n");
        assertThat(invalid(j -> j.putObject("labels").put("a\nb", "v")).field()).isEqualTo("labels.a\\u000ab");
    }

    @Test
    void rejectsMissingId() {
        assertThat(invalid(j -> j.remove("id"))).satisfies(e -> {
            assertThat(e.field()).isEqualTo("id");
            assertThat(e.problem()).isEqualTo("is required");
        });
    }

    @Test
    void rejectsIdThatDiffersFromTheKey() {
        InvalidRegistrationException e = invalid("other-key", bytes(json("api", "http://api.test/")));
        assertThat(e.field()).isEqualTo("id");
        assertThat(e.problem()).contains("must equal the record key \"other-key\"");
    }

    @Test
    void rejectsMissingKeyAndMalformedIds() {
        assertThat(invalid(null, bytes(json("api", "http://api.test/"))).field()).isEqualTo("$key");
        assertThat(invalid("bad id", bytes(json("bad id", "http://api.test/"))).field()).isEqualTo("id");
    }

    @Test
    void rejectsBadUrlScheme() {
        InvalidRegistrationException e = invalid(j -> j.put("url", "ftp://api.test/"));
        assertThat(e.field()).isEqualTo("url");
        assertThat(e.problem()).contains("http or https").contains("ftp");
    }

    @Test
    void rejectsUrlWithCredentials() {
        assertThat(invalid(j -> j.put("url", "http://user:pw@api.test/")).problem()).contains("credentials");
    }

    @Test
    void rejectsUnknownTransport() {
        InvalidRegistrationException e = invalid(j -> j.put("transport", "stdio"));
        assertThat(e.field()).isEqualTo("transport");
        assertThat(e.problem()).contains("streamable-http, sse, http").contains("stdio");
    }

    @Test
    void rejectsTimeoutNotBelowInterval() {
        InvalidRegistrationException e = invalid(j -> ((ObjectNode) j.get("healthCheck")).put("timeoutMs", 1000));
        assertThat(e.field()).isEqualTo("healthCheck.timeoutMs");
        assertThat(e.problem()).contains("less than intervalMs (1000)");
    }

    @Test
    void rejectsTimeoutNotBelowTheDefaultIntervalWhenOnlyTimeoutIsGiven() {
        InvalidRegistrationException e = invalid(j -> {
            j.remove("healthCheck");
            j.putObject("healthCheck").put("timeoutMs", 40_000);
        });
        assertThat(e.field()).isEqualTo("healthCheck.timeoutMs");
    }

    @Test
    void rejectsOutOfRangeAndNonIntegerSettings() {
        assertThat(invalid(j -> ((ObjectNode) j.get("healthCheck")).put("jitterPercent", 80)).field())
                .isEqualTo("healthCheck.jitterPercent");
        assertThat(invalid(j -> ((ObjectNode) j.get("healthCheck")).put("intervalMs", 1.5)).problem())
                .contains("whole number");
        assertThat(invalid(j -> ((ObjectNode) j.get("healthCheck")).put("type", "icmp")).field())
                .isEqualTo("healthCheck.type");
        assertThat(invalid(j -> ((ObjectNode) j.get("healthCheck")).put("mcpMethod", "tools/call")).field())
                .isEqualTo("healthCheck.mcpMethod");
        assertThat(invalid(j -> ((ObjectNode) j.get("healthCheck")).put("mcpSession", "pooled")).problem())
                .contains("reuse or fresh");
        assertThat(invalid(j -> ((ObjectNode) j.get("healthCheck")).put("expectStatus", "2xx")).field())
                .isEqualTo("healthCheck.expectStatus");
    }

    @Test
    void rejectsEdgeAndUnhealthyIntervalsOutOfRange() {
        assertThat(invalid(j -> ((ObjectNode) j.get("healthCheck")).put("unhealthyIntervalMs", 400)).field())
                .as("not above the timeout").isEqualTo("healthCheck.unhealthyIntervalMs");
        assertThat(invalid(j -> ((ObjectNode) j.get("healthCheck")).put("healthyEdgeIntervalMs", 5000)).field())
                .as("longer than the interval").isEqualTo("healthCheck.healthyEdgeIntervalMs");
        assertThat(invalid(j -> ((ObjectNode) j.get("healthCheck")).put("unhealthyEdgeIntervalMs", 50)).field())
                .isEqualTo("healthCheck.unhealthyEdgeIntervalMs");
    }

    @Test
    void rejectsOversizedValue() {
        byte[] huge = new byte[RegistrationCodec.MAX_VALUE_BYTES + 1];
        Arrays.fill(huge, (byte) ' ');
        InvalidRegistrationException e = invalid("api", huge);
        assertThat(e.field()).isEqualTo("$");
        assertThat(e.problem()).contains("more than the 1048576 allowed");
    }

    @Test
    void rejectsWrongSchemaVersion() {
        assertThat(invalid(j -> j.put("schemaVersion", 2)).field()).isEqualTo("schemaVersion");
    }

    @Test
    void rejectsSecretPastedInsteadOfAReferenceWithoutEchoingIt() {
        InvalidRegistrationException e = invalid(j -> j.putObject("auth").put("type", "bearer")
                .put("secretRef", "s3cr3t+value=="));
        assertThat(e.field()).isEqualTo("auth.secretRef");
        assertThat(e.getMessage()).contains("must name a declared secret").doesNotContain("s3cr3t");
    }

    @Test
    void refusesSecretSourcesInARegistrationBecauseOnlyTheOperatorDeclaresThem() {
        for (String source : List.of("env:HOME", "file:/etc/hostname", "env:KAFKA_SASL_PASSWORD")) {
            InvalidRegistrationException e = invalid(j -> j.putObject("auth").put("type", "bearer")
                    .put("secretRef", source));
            assertThat(e.field()).as(source).isEqualTo("auth.secretRef");
            assertThat(e.getMessage()).as(source).contains("must name a declared secret").doesNotContain(source);
        }
    }

    @Test
    void rejectsHeaderAuthWithoutHeaderName() {
        assertThat(invalid(j -> j.putObject("auth").put("type", "header").put("secretRef", "key")).field())
                .isEqualTo("auth.header");
    }

    @Test
    void rejectsAPathThatMakesNoValidUrl() {
        assertThat(invalid(j -> ((ObjectNode) j.get("healthCheck")).put("path",
                "/a b")).field()).isEqualTo("healthCheck.path");
    }

    @Test
    void rejectsAuthHeadersTheHttpClientSetsItselfOrThatChangeTheFraming() {
        for (String header : List.of("Host", "transfer-encoding", "TE", "Keep-Alive")) {
            assertThat(invalid(j -> j.putObject("auth").put("type", "header").put("header", header)
                    .put("secretRef", "k"))
                    .field()).as(header).isEqualTo("auth.header");
        }
    }

    @Test
    void appendsThePathBeforeTheQuery() {
        assertThat(HttpTarget.of(URI.create("http://a.test/api?x=1"), "/health").toString())
                .isEqualTo("http://a.test/api/health?x=1");
        assertThat(HttpTarget.of(URI.create("http://a.test/"),
                "/health").toString()).isEqualTo("http://a.test/health");
    }

    @Test
    void rejectsNonStringLabels() {
        assertThat(invalid(j -> j.putObject("labels").put("team", 5)).field()).isEqualTo("labels.team");
    }

    @Test
    void checkedLikeIgnoresOnlyNameAndLabels() {
        BackendRegistration base = Registrations.valid("a", "http://a.test/").registration();
        BackendRegistration renamed = new BackendRegistration("a", "other", base.url(), base.transport(),
                base.healthCheck(), Optional.empty(), Map.of("x", "y"));
        BackendRegistration moved = new BackendRegistration("a", base.name(), URI.create("http://b.test/"),
                base.transport(), base.healthCheck(), Optional.empty(), Map.of());
        assertThat(base.checkedLike(renamed)).isTrue();
        assertThat(base.checkedLike(moved)).isFalse();
    }
}
