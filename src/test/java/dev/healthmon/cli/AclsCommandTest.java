package dev.healthmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.healthmon.kafka.AccessRole;
import dev.healthmon.support.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code healthmon acls} prints a role's ACLs for the names the role's own command uses; the docs show the same. */
class AclsCommandTest {

    @Test
    void printsTheMonitorsAclsForItsGroupAndTopics() {
        CliRun run = CliRun.withEnvironment(Map.of(), "acls", "--role", "monitor", "--principal", "User:mon",
                "--group-id", "monitors-eu", "--events-topic", "events-eu");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out().lines()).hasSize(5)
                .anySatisfy(l -> assertThat(l)
                        .matches("User:mon  ALLOW  READ +GROUP +LITERAL +monitors-eu +host=\\*  #.*"))
                .anySatisfy(l -> assertThat(l).matches("User:mon  ALLOW  WRITE +TOPIC +LITERAL +events-eu +host=.*"))
                .anySatisfy(l -> assertThat(l).matches(".*READ +TOPIC +LITERAL +backend-registry .*"));
    }

    @Test
    void printsTheAggregatorsPrefixedInternalTopicsAndTransactionalIds() {
        CliRun run = CliRun.withEnvironment(Map.of(), "acls", "--role", "aggregator", "--principal", "User:agg",
                "--application-id", "agg-eu");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).containsPattern("CREATE +TOPIC +PREFIXED +agg-eu- ")
                .containsPattern("WRITE +TRANSACTIONAL_ID +PREFIXED +agg-eu- ")
                .containsPattern("READ +GROUP +LITERAL +agg-eu ");
    }

    @Test
    void refusesAnUnknownRoleOrAPrincipalWithoutType() {
        CliRun role = CliRun.withEnvironment(Map.of(), "acls", "--role", "admin", "--principal", "User:x");
        CliRun principal = CliRun.withEnvironment(Map.of(), "acls", "--role", "reader", "--principal", "x");

        assertThat(role.exit()).isEqualTo(2);
        assertThat(role.err()).contains("--role: must be monitor, aggregator, registrant or reader, was admin");
        assertThat(principal.exit()).isEqualTo(2);
        assertThat(principal.err()).contains("--principal: must be TYPE:NAME");
    }

    @ParameterizedTest
    @EnumSource(AccessRole.class)
    void securityDocsTableIsTheRolesAcls(AccessRole role) throws Exception {
        String docs = Files.readString(Path.of("docs", "security.md"));
        String start = "<!-- acls:" + role.cliName() + " -->\n";
        String end = "\n<!-- /acls:" + role.cliName() + " -->";
        assertThat(docs).contains(start).contains(end);

        assertThat(docs.substring(docs.indexOf(start) + start.length(), docs.indexOf(end)))
                .as("docs/security.md's %s table; regenerate it from AclsCommand.markdown", role.cliName())
                .isEqualTo(AclsCommand.markdown(role));
    }

    @Test
    void securityDocsSettingsTableIsTheCommandsOptions() throws Exception {
        String docs = Files.readString(Path.of("docs", "security.md"));
        String start = "<!-- settings:acls -->\n";
        String end = "\n<!-- /settings:acls -->";
        assertThat(docs).contains(start).contains(end);

        assertThat(docs.substring(docs.indexOf(start) + start.length(), docs.indexOf(end)))
                .isEqualTo(SettingsTable.markdown("acls"));
    }
}
