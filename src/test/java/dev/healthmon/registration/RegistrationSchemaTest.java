package dev.healthmon.registration;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.support.Registrations;
import dev.healthmon.target.TargetPolicy;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The shipped schema as the codec applies it at run time: from the classpath, naming the field, never the value. */
class RegistrationSchemaTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static ObjectNode minimal() {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("schemaVersion", 1).put("id", "api").put("url", "http://api.test/").put("transport", "http");
        return root;
    }

    @Test
    void theSchemaTheCodecAppliesIsTheOneInSchemas() throws Exception {
        try (var shipped = RegistrationSchema.class.getResourceAsStream(RegistrationSchema.RESOURCE)) {
            assertThat(shipped).as("on the classpath, so in the jar").isNotNull();
            assertThat(shipped.readAllBytes())
                    .isEqualTo(Files.readAllBytes(Path.of("schemas", "backend-registration.v1.schema.json")));
        }
    }

    @Test
    void aRegistrationWithinTheSchemaPasses() throws Exception {
        assertThat(RegistrationSchema.SHIPPED.refusal(minimal())).isEmpty();
        for (JsonNode sample : MAPPER.readTree(Path.of("docker", "sample-registrations.json").toFile())) {
            assertThat(RegistrationSchema.SHIPPED.refusal(sample)).as(sample.path("id").asText()).isEmpty();
        }
    }

    @Test
    void aRegistrationOutsideTheSchemaIsRefusedNamingTheFieldAndTheRule() {
        ObjectNode root = minimal();
        root.putObject("healthCheck").put("intervalMs", 50);

        assertThat(RegistrationSchema.SHIPPED.refusal(root)).hasValueSatisfying(e ->
                assertThat(e.getMessage()).contains("healthCheck.intervalMs").contains("minimum"));
    }

    @Test
    void theCodecGivesTheSchemaTheLastWordOnWhatItsOwnRulesLetThrough() throws Exception {
        // A schema one rule stricter than the Java checks (names of at most 5 characters) stands for a rule the Java
        // side lacks: the codec must refuse by the schema, not let the record through.
        ObjectNode stricter = (ObjectNode) MAPPER.readTree(Path.of("schemas", "backend-registration.v1.schema.json")
                .toFile());
        ((ObjectNode) stricter.path("properties").path("name")).put("maxLength", 5);
        RegistrationCodec codec = new RegistrationCodec(MAPPER, CheckDefaults.STANDARD, TargetPolicy.DEFAULT,
                Optional.empty(), new RegistrationSchema(new ByteArrayInputStream(MAPPER.writeValueAsBytes(stricter))));
        ObjectNode record = minimal().put("name", "a longer name");

        DecodedRegistration decoded = codec.decode("api".getBytes(StandardCharsets.UTF_8),
                MAPPER.writeValueAsBytes(record));

        assertThat(decoded).isInstanceOfSatisfying(DecodedRegistration.Invalid.class, invalid ->
                assertThat(invalid.error().getMessage()).contains("name").contains("maxLength"));
        assertThat(Registrations.CODEC.decode("api".getBytes(StandardCharsets.UTF_8), MAPPER.writeValueAsBytes(record)))
                .as("the shipped schema and the Java rules accept it").isInstanceOf(DecodedRegistration.Valid.class);
    }

    @Test
    void aRefusalNeverRepeatsTheOffendingValueWhichMayBeAPastedSecret() {
        ObjectNode root = minimal();
        root.putObject("auth").put("type", "bearer").put("secretRef", "ghp_pastedToken value");

        assertThat(RegistrationSchema.SHIPPED.refusal(root)).hasValueSatisfying(e ->
                assertThat(e.getMessage()).contains("auth.secretRef").doesNotContain("ghp_pastedToken"));
    }
}
