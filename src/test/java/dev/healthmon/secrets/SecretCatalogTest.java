package dev.healthmon.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The operator's secrets file: read once at start, and a bad one stops the monitor naming file, entry and field. */
class SecretCatalogTest {

    @TempDir
    Path dir;

    @Test
    void readsSecretsWithTheirSourcesAndAllowedTargets() throws Exception {
        Path file = Files.writeString(dir.resolve("secrets.yaml"), """
                secrets:
                  team-a-token:
                    source: env:TEAM_A_TOKEN
                    allowedTargets:
                      - https://api.team-a.internal:8443/health
                      - "*.team-a.svc.cluster.local"
                  team-b.key:
                    source: file:/var/run/secrets/team-b/key
                    allowedTargets: [ "http://10.0.0.7:8080/" ]
                """);

        SecretCatalog catalog = SecretCatalog.load(file);

        assertThat(catalog.names()).containsExactlyInAnyOrder("team-a-token", "team-b.key");
        assertThat(catalog.find("team-a-token").orElseThrow().source())
                .isEqualTo(SecretSource.parse("env:TEAM_A_TOKEN"));
        assertThat(catalog.find("team-b.key").orElseThrow().source())
                .isEqualTo(new SecretSource(SecretSource.Kind.FILE, "/var/run/secrets/team-b/key"));
        assertThat(catalog.refusal("team-a-token", URI.create("http://db.team-a.svc.cluster.local:5432/"))).isEmpty();
        assertThat(catalog.refusal("team-b.key", URI.create("http://10.0.0.7:8080/health"))).isEmpty();
    }

    @Test
    void readsTheSameFileWrittenAsJson() throws Exception {
        Path file = Files.writeString(dir.resolve("secrets.json"),
                "{\"secrets\":{\"t\":{\"source\":\"env:T\",\"allowedTargets\":[\"*.a.test\"]}}}");

        assertThat(SecretCatalog.load(file).names()).containsExactly("t");
    }

    static Stream<Arguments> badFiles() {
        return Stream.of(
                arguments("secrets: {t: {allowedTargets: [a.test]}}", "secrets.t.source: required"),
                arguments("secrets: {t: {source: HOME, allowedTargets: [a.test]}}",
                        "secrets.t.source: must be env:NAME"),
                arguments("secrets: {t: {source: 'file:etc/x', allowedTargets: [a.test]}}",
                        "secrets.t.source: file: must be followed by an absolute path"),
                arguments("secrets: {t: {source: 'env:T'}}", "secrets.t.allowedTargets: required"),
                arguments("secrets: {t: {source: 'env:T', allowedTargets: []}}", "secrets.t.allowedTargets: required"),
                arguments("secrets: {t: {source: 'env:T', allowedTargets: [a.test, '*']}}",
                        "secrets.t.allowedTargets[1]: \"*\""),
                arguments("secrets: {t: {source: 'env:T', allowedTarget: [a.test]}}",
                        "secrets.t.allowedTarget: unknown field"),
                arguments("secrets: {'env:HOME': {source: 'env:T', allowedTargets: [a.test]}}",
                        "secrets.env:HOME: the name must match"),
                arguments("""
                        secrets:
                          t: {source: 'env:T', allowedTargets: [a.test]}
                          t: {source: 'env:U', allowedTargets: [b.test]}
                        """, "Duplicate field 't'"),
                arguments("secrets: [t]", "must hold one key, secrets"),
                arguments("secret: {}", "must hold one key, secrets"),
                arguments("secrets: {t: [}", "not valid YAML or JSON"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badFiles")
    void refusesABadFileNamingTheFileTheEntryAndTheField(String content, String expected) throws Exception {
        Path file = Files.writeString(dir.resolve("secrets.yaml"), content);

        assertThatThrownBy(() -> SecretCatalog.load(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--secrets-file " + file + ": ").hasMessageContaining(expected);
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> SecretCatalog.load(missing))
                .hasMessageStartingWith("--secrets-file " + missing + ": cannot read");
    }

    @Test
    void refusalNamesTheRuleAndNeverRepeatsAnUndeclaredName() {
        SecretCatalog catalog = SecretCatalog.of(new DeclaredSecret("team-a-token", SecretSource.parse("env:T"),
                List.of(AllowedTarget.parse("https://api.team-a.internal/health"))));

        assertThat(catalog.refusal("ghp_pastedRealToken123", URI.create("https://api.team-a.internal/health")))
                .hasValueSatisfying(r -> assertThat(r).contains("is not declared")
                        .doesNotContain("ghp_pastedRealToken123"));
        assertThat(catalog.refusal("team-a-token", URI.create("https://attacker.test:8000/")))
                .hasValueSatisfying(r -> assertThat(r).contains("may not be sent to https://attacker.test:8000")
                        .contains("team-a-token"));
        assertThat(catalog.refusal("team-a-token", URI.create("https://api.team-a.internal/health/live"))).isEmpty();
    }
}
