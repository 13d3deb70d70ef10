package dev.healthmon.kafka;

import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;

/**
 * What each kind of healthmon client does on Kafka, as the least set of ACLs that lets it work on a
 * cluster with {@code allow.everyone.if.no.acl.found=false} (docs/security.md has the tables;
 * {@code healthmon acls} prints and applies them; SecuredKafkaIT runs each role with exactly these).
 */
public enum AccessRole {

    /** {@code healthmon monitor}: consumes the registry in its group, publishes events and dead letters. */
    MONITOR,
    /** {@code healthmon aggregate}: the Kafka Streams application, exactly-once. */
    AGGREGATOR,
    /** {@code healthmon register} and {@code deregister}. */
    REGISTRANT,
    /** {@code healthmon tail} (and {@code tail --transitions}); {@code status} asks an aggregator over HTTP. */
    READER;

    /** The role's name on the command line: {@code monitor}, {@code aggregator}, … */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The grants of this role for the given topic names, monitor consumer group and aggregator
     * application id (only the monitor uses {@code groupId}, only the aggregator {@code applicationId}).
     */
    public List<AclGrant> grants(Topics topics, String groupId, String applicationId) {
        return switch (this) {
            case MONITOR -> List.of(
                    new AclGrant(ResourceType.GROUP, groupId, PatternType.LITERAL, AclOperation.READ,
                            "join the monitors' group, commit and fetch offsets"),
                    AclGrant.topic(topics.registry(), AclOperation.READ, "restore and follow the registrations"),
                    AclGrant.topic(topics.events(), AclOperation.WRITE,
                            "publish results (idempotent producer; also lets it start without IDEMPOTENT_WRITE)"),
                    AclGrant.topic(topics.registryDlq(), AclOperation.WRITE, "dead-letter invalid registrations"),
                    AclGrant.topic(topics.registryDlq(), AclOperation.DESCRIBE_CONFIGS,
                            "read max.message.bytes to cut dead letters to fit"));
            case AGGREGATOR -> List.of(
                    new AclGrant(ResourceType.GROUP, applicationId, PatternType.LITERAL, AclOperation.READ,
                            "the Streams application's group; offsets committed in its transactions"),
                    AclGrant.topic(topics.registry(), AclOperation.READ, "input: registrations"),
                    AclGrant.topic(topics.events(), AclOperation.READ, "input: health events"),
                    AclGrant.topic(topics.status(), AclOperation.WRITE, "output: status per backend"),
                    AclGrant.topic(topics.transitions(), AclOperation.WRITE, "output: status transitions"),
                    AclGrant.topic(topics.eventsDlq(), AclOperation.WRITE, "output: events it cannot apply"),
                    new AclGrant(ResourceType.TOPIC, applicationId + "-", PatternType.PREFIXED, AclOperation.CREATE,
                            "create its changelog topics"),
                    new AclGrant(ResourceType.TOPIC, applicationId + "-", PatternType.PREFIXED, AclOperation.READ,
                            "restore its stores from their changelogs"),
                    new AclGrant(ResourceType.TOPIC, applicationId + "-", PatternType.PREFIXED, AclOperation.WRITE,
                            "write its changelogs"),
                    new AclGrant(ResourceType.TOPIC, applicationId + "-", PatternType.PREFIXED, AclOperation.ALTER,
                            "grow the changelogs when the registry grows"),
                    new AclGrant(ResourceType.TRANSACTIONAL_ID, applicationId + "-", PatternType.PREFIXED,
                            AclOperation.WRITE, "exactly_once_v2: one transactional producer per stream thread"));
            case REGISTRANT -> List.of(
                    AclGrant.topic(topics.registry(), AclOperation.WRITE,
                            "publish registrations and tombstones (idempotent producer)"));
            case READER -> List.of(
                    AclGrant.topic(topics.events(), AclOperation.READ, "tail"),
                    AclGrant.topic(topics.transitions(), AclOperation.READ, "tail --transitions"));
        };
    }
}
