package dev.healthmon.registration;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.support.DeclaredSecrets;
import dev.healthmon.target.TargetPolicy;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The monitor's codec (the one {@code RegistryConsumer} decodes every record with; an Invalid
 * result is what it dead-letters) refuses a registration that names an undeclared secret or
 * would send a declared one outside its allowed targets. The aggregator's codec does not know the
 * secrets and checks the schema only.
 */
class RegistrationSecretBindingTest {

    private static final SecretCatalog SECRETS = DeclaredSecrets.catalog(
            DeclaredSecrets.to("team-a-token", "env:TEAM_A_TOKEN", "https://api.team-a.internal:8443/health",
                    "*.team-a.svc.cluster.local"));
    private static final RegistrationCodec MONITOR = new RegistrationCodec(new ObjectMapper(), CheckDefaults.STANDARD,
            TargetPolicy.DEFAULT, SECRETS);
    private static final RegistrationCodec SCHEMA_ONLY =
            new RegistrationCodec(new ObjectMapper(), CheckDefaults.STANDARD, TargetPolicy.DEFAULT);

    private static DecodedRegistration decode(RegistrationCodec codec, String url, Consumer<ObjectNode> edit) {
        return codec.decode("b".getBytes(StandardCharsets.UTF_8), bytes(json("b", url, edit)));
    }

    private static Consumer<ObjectNode> bearer(String secretRef) {
        return j -> j.putObject("auth").put("type", "bearer").put("secretRef", secretRef);
    }

    private static String refusal(String url, Consumer<ObjectNode> edit) {
        DecodedRegistration decoded = decode(MONITOR, url, edit);
        assertThat(decoded).isInstanceOf(DecodedRegistration.Invalid.class);
        InvalidRegistrationException error = ((DecodedRegistration.Invalid) decoded).error();
        assertThat(error.field()).isEqualTo("auth.secretRef");
        return error.getMessage();
    }

    @Test
    void acceptsADeclaredSecretSentWithinItsAllowedTargets() {
        assertThat(decode(MONITOR, "https://api.team-a.internal:8443/health", bearer("team-a-token")))
                .isInstanceOf(DecodedRegistration.Valid.class);
        assertThat(decode(MONITOR, "http://orders.team-a.svc.cluster.local:8080/", bearer("team-a-token")))
                .isInstanceOf(DecodedRegistration.Valid.class);
    }

    @Test
    void refusesASecretTheOperatorDidNotDeclareWithoutRepeatingItsName() {
        assertThat(refusal("https://api.team-a.internal:8443/health", bearer("ghp_maybeAPastedToken")))
                .contains("is not declared").doesNotContain("ghp_maybeAPastedToken");
    }

    @Test
    void refusesADeclaredSecretForAUrlOutsideItsAllowedTargets() {
        assertThat(refusal("http://attacker.test:8000/", bearer("team-a-token")))
                .contains("may not be sent to http://attacker.test:8000");
        assertThat(refusal("http://attacker.test:8000/", j -> j.putObject("auth").put("type", "header")
                .put("header", "X-Loot").put("secretRef", "team-a-token"))).contains("may not be sent to");
    }

    @Test
    void judgesTheUrlAnHttpCheckRequestsWithItsPathAppended() {
        assertThat(decode(MONITOR, "https://api.team-a.internal:8443/", j -> {
            bearer("team-a-token").accept(j);
            ((ObjectNode) j.get("healthCheck")).put("path", "/health/live");
        })).isInstanceOf(DecodedRegistration.Valid.class);
        assertThat(refusal("https://api.team-a.internal:8443/health", j -> {
            bearer("team-a-token").accept(j);
            ((ObjectNode) j.get("healthCheck")).put("path", "/../admin");
        })).contains("may not be sent to");
    }

    @Test
    void aMonitorWithoutASecretsFileRefusesEveryRegistrationWithAuth() {
        RegistrationCodec noSecrets = new RegistrationCodec(new ObjectMapper(), CheckDefaults.STANDARD,
                TargetPolicy.DEFAULT, SecretCatalog.EMPTY);
        DecodedRegistration decoded =
                decode(noSecrets, "https://api.team-a.internal:8443/health", bearer("team-a-token"));
        assertThat(decoded).isInstanceOf(DecodedRegistration.Invalid.class);
        assertThat(((DecodedRegistration.Invalid) decoded).error().getMessage()).contains("is not declared");
    }

    @Test
    void theAggregatorsSchemaOnlyCodecAcceptsAnyWellFormedName() {
        assertThat(decode(SCHEMA_ONLY, "http://attacker.test:8000/", bearer("undeclared-anywhere")))
                .isInstanceOf(DecodedRegistration.Valid.class);
    }
}
