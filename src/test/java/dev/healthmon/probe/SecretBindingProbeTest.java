package dev.healthmon.probe;

import static dev.healthmon.support.Registrations.json;
import static dev.healthmon.support.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;

import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.status.Outcome;
import dev.healthmon.support.DeclaredSecrets;
import dev.healthmon.support.HeaderCapturingServer;
import dev.healthmon.target.TargetPolicy;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Defence in depth: even a registration that got past the monitor's codec (here decoded with the
 * schema-only codec) cannot make a probe read or send a secret outside its binding. Real servers
 * on loopback capture every header.
 */
class SecretBindingProbeTest {

    private static final String SECRET = "bound-only-to-team-a";
    private static final ExecutorService resolver = Executors.newFixedThreadPool(2);
    private static final TargetVetting vetting =
            new TargetVetting(TargetPolicy.DEFAULT, InetAddress::getAllByName, resolver);
    private static final PlainHttpClient plain = new PlainHttpClient();

    @AfterAll
    static void stop() {
        plain.close();
        resolver.shutdownNow();
    }

    @Test
    void aProbeSendsTheSecretToItsBoundTargetAndNeverReadsItForAnother() throws Exception {
        try (HeaderCapturingServer teamA = new HeaderCapturingServer();
             HeaderCapturingServer attacker = new HeaderCapturingServer()) {
            List<String> reads = new CopyOnWriteArrayList<>();
            SecretCatalog secrets = DeclaredSecrets.catalog(
                    DeclaredSecrets.to("team-a-token", "env:TEAM_A", teamA.url("/team-a")));
            HttpProbe probe = new HttpProbe(plain, new SecretResolver(secrets, name -> {
                reads.add(name);
                return Map.of("TEAM_A", SECRET).get(name);
            }), vetting);

            ProbeResult stolen = check(probe, attacker.url("/"), "team-a-token");
            ProbeResult undeclared = check(probe, attacker.url("/"), "other-token");
            assertThat(reads).as("nothing is resolved for a request the secret may not go with").isEmpty();
            ProbeResult bound = check(probe, teamA.url("/team-a/health"), "team-a-token");

            assertThat(stolen.failure()).hasValueSatisfying(f -> assertThat(f.message())
                    .startsWith("auth.secretRef: ").contains("may not be sent to").doesNotContain(SECRET));
            assertThat(undeclared.failure())
                    .hasValueSatisfying(f -> assertThat(f.message()).contains("is not declared"));
            assertThat(attacker.requests()).as("the probe did not even connect").isEmpty();
            assertThat(bound.observation().outcome()).isEqualTo(Outcome.HEALTHY);
            assertThat(teamA.requests()).singleElement().satisfies(request ->
                    assertThat(request.headers().get("authorization")).containsExactly("Bearer " + SECRET));
        }
    }

    private static ProbeResult check(HttpProbe probe, String url, String secretRef) throws Exception {
        DecodedRegistration.Valid r = valid(json("b", url, j -> j.putObject("auth").put("type", "bearer")
                .put("secretRef", secretRef)));
        return probe.check(r.registration(), r.settings()).get(10, TimeUnit.SECONDS);
    }
}
