package dev.healthmon.cli;

import dev.healthmon.kafka.AccessRole;
import dev.healthmon.kafka.AclAdmin;
import dev.healthmon.kafka.AclGrant;
import dev.healthmon.kafka.Topics;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.common.resource.PatternType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code healthmon acls --role R --principal User:x [--apply]}: the least ACLs a role needs
 * ({@link AccessRole}), printed one per line with the reason, or created through the Admin API.
 * The topic names, group and application id are the same flags (and settings) the role's own
 * command takes, so one settings file serves both.
 */
@Command(name = "acls", mixinStandardHelpOptions = true,
        description = "Print (or --apply) the Kafka ACLs a role needs: monitor, aggregator, registrant or reader.")
final class AclsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--role", required = true, paramLabel = "ROLE",
            description = "monitor, aggregator, registrant (register, deregister) or reader (tail).")
    String role;

    @Option(names = "--principal", required = true, paramLabel = "TYPE:NAME",
            description = "The role's Kafka principal, e.g. User:healthmon-monitor.")
    String principal;

    @Option(names = "--allow-host", defaultValue = "*",
            description = "The host the principal may connect from (as kafka-acls.sh --allow-host). Default "
                    + "${DEFAULT-VALUE} (any).")
    String host;

    @Option(names = "--group-id", defaultValue = "healthmon",
            description = "The monitors' consumer group (role monitor). Default ${DEFAULT-VALUE}.")
    String groupId;

    @Option(names = "--application-id", defaultValue = "healthmon-aggregator",
            description = "The aggregator's application id (role aggregator): its group, and the prefix of its "
                    + "internal topics and transactional ids. Default ${DEFAULT-VALUE}.")
    String applicationId;

    @Option(names = "--apply", description = "Create the ACLs through the Admin API (needs ALTER on the cluster); "
            + "existing ones are kept.")
    boolean apply;

    @Override
    public Integer call() {
        AccessRole accessRole = parseRole();
        if (principal.indexOf(':') <= 0 || principal.endsWith(":")) {
            throw new IllegalArgumentException("--principal: must be TYPE:NAME, e.g. User:healthmon-monitor, was "
                    + principal);
        }
        List<AclGrant> grants = accessRole.grants(kafka.topics(), groupId, applicationId);
        PrintWriter out = spec.commandLine().getOut();
        for (AclGrant grant : grants) {
            out.println(line(grant));
        }
        if (apply) {
            try (AclAdmin admin = new AclAdmin(kafka.settings())) {
                admin.create(grants.stream().map(g -> g.binding(principal, host)).toList());
            }
            out.println("applied " + grants.size() + " ACLs for " + principal + " (role " + accessRole.cliName()
                    + ")");
        }
        out.flush();
        return 0;
    }

    private AccessRole parseRole() {
        for (AccessRole candidate : AccessRole.values()) {
            if (candidate.cliName().equals(role.toLowerCase(Locale.ROOT))) {
                return candidate;
            }
        }
        throw new IllegalArgumentException("--role: must be monitor, aggregator, registrant or reader, was " + role);
    }

    /**
     * docs/security.md's table of {@code role}'s ACLs, for the default topic names, group and
     * application id; a test holds the page to it.
     */
    static String markdown(AccessRole role) {
        List<String> lines = new ArrayList<>();
        lines.add("| operation | resource | name | pattern | why |");
        lines.add("|---|---|---|---|---|");
        for (AclGrant grant : role.grants(Topics.DEFAULTS, "healthmon", "healthmon-aggregator")) {
            lines.add("| " + grant.operation() + " | " + grant.resourceType() + " | `" + grant.name() + "` | "
                    + grant.patternType() + " | " + grant.why() + " |");
        }
        return String.join("\n", lines);
    }

    /** {@code User:mon  ALLOW  READ  GROUP  healthmon  LITERAL  host=*  # why}: columns as kafka-acls.sh names them. */
    private String line(AclGrant grant) {
        return String.format(Locale.ROOT, "%s  ALLOW  %-16s %-16s %-8s %-32s host=%s  # %s", principal,
                grant.operation(), grant.resourceType(), grant.patternType() == PatternType.PREFIXED ? "PREFIXED"
                        : "LITERAL", grant.name(), host, grant.why());
    }
}
