package dev.healthmon.kafka;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * One ACL a healthmon role needs: {@code operation} on a resource ({@code LITERAL} name or
 * {@code PREFIXED} by it), and why the role needs it. Kafka's implied operations are relied on
 * and not listed: READ, WRITE and ALTER imply DESCRIBE; WRITE on any topic lets an idempotent
 * producer start without IDEMPOTENT_WRITE on the cluster (KIP-679).
 */
public record AclGrant(ResourceType resourceType, String name, PatternType patternType, AclOperation operation,
                       String why) {

    /** Operations that let a principal describe a topic (Kafka's implied DESCRIBE). */
    private static final Set<AclOperation> IMPLY_DESCRIBE = Set.of(AclOperation.DESCRIBE, AclOperation.READ,
            AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER);

    public AclGrant {
        Objects.requireNonNull(resourceType, "resourceType");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(patternType, "patternType");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(why, "why");
    }

    /** {@code operation} on one topic. */
    public static AclGrant topic(String name, AclOperation operation, String why) {
        return new AclGrant(ResourceType.TOPIC, name, PatternType.LITERAL, operation, why);
    }

    /** This grant as an ALLOW binding for {@code principal} (e.g. {@code User:mon}) connecting from {@code host}. */
    public AclBinding binding(String principal, String host) {
        return new AclBinding(new ResourcePattern(resourceType, name, patternType),
                new AccessControlEntry(principal, host, operation, AclPermissionType.ALLOW));
    }

    /** Reads as Kafka's own messages do: {@code WRITE on topic health-events}, {@code READ on group healthmon}. */
    public String describe() {
        return operation + " on " + resourceType.name().toLowerCase(Locale.ROOT).replace('_', ' ') + " "
                + (patternType == PatternType.PREFIXED ? "names starting with " : "") + name;
    }

    /**
     * The topic grants of {@code grants} that {@code authorized} does not satisfy. {@code authorized}
     * maps a topic to the operations the broker says this client may perform on it (an empty set
     * when it may not even describe it); a grant whose topic is not in the map cannot be judged here
     * and is not reported. Grants on other resources are left to the clients, which fail with an
     * authorization error at their first request.
     */
    public static List<AclGrant> missingTopicGrants(Collection<AclGrant> grants,
                                                    Map<String, Set<AclOperation>> authorized) {
        List<AclGrant> missing = new ArrayList<>();
        for (AclGrant grant : grants) {
            if (grant.resourceType == ResourceType.TOPIC && grant.patternType == PatternType.LITERAL
                    && authorized.containsKey(grant.name) && !authorized.get(grant.name).contains(grant.operation)) {
                missing.add(grant);
            }
        }
        // A topic the principal cannot describe says nothing of DESCRIBE_CONFIGS (which does not imply
        // DESCRIBE): name only the grants that would have let it describe, unless there are none.
        missing.removeIf(grant -> authorized.get(grant.name).isEmpty() && !IMPLY_DESCRIBE.contains(grant.operation)
                && missing.stream().anyMatch(other -> other.name.equals(grant.name)
                && IMPLY_DESCRIBE.contains(other.operation)));
        return missing;
    }
}
