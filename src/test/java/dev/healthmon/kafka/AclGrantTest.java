package dev.healthmon.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

/** Which of a role's topic ACLs the broker's authorized operations leave out: the monitor's start-up check. */
class AclGrantTest {

    private static final AclGrant READ_REGISTRY = AclGrant.topic("backend-registry", AclOperation.READ, "r");
    private static final AclGrant WRITE_EVENTS = AclGrant.topic("health-events", AclOperation.WRITE, "w");
    private static final AclGrant READ_GROUP = new AclGrant(ResourceType.GROUP, "healthmon", PatternType.LITERAL,
            AclOperation.READ, "g");
    private static final AclGrant PREFIXED = new AclGrant(ResourceType.TOPIC, "app-", PatternType.PREFIXED,
            AclOperation.CREATE, "p");

    @Test
    void reportsNothingWhenEveryTopicAllowsItsOperation() {
        assertThat(AclGrant.missingTopicGrants(List.of(READ_REGISTRY, WRITE_EVENTS), Map.of(
                "backend-registry", Set.of(AclOperation.READ, AclOperation.DESCRIBE),
                "health-events", Set.of(AclOperation.WRITE, AclOperation.DESCRIBE)))).isEmpty();
    }

    @Test
    void reportsAnOperationTheTopicDoesNotAllow() {
        assertThat(AclGrant.missingTopicGrants(List.of(READ_REGISTRY, WRITE_EVENTS), Map.of(
                "backend-registry", Set.of(AclOperation.READ, AclOperation.DESCRIBE),
                "health-events", Set.of(AclOperation.DESCRIBE)))).containsExactly(WRITE_EVENTS);
    }

    @Test
    void reportsEveryGrantOnATopicThePrincipalCannotEvenDescribe() {
        assertThat(AclGrant.missingTopicGrants(List.of(READ_REGISTRY, WRITE_EVENTS), Map.of(
                "backend-registry", Set.of(), "health-events", Set.of(AclOperation.WRITE))))
                .containsExactly(READ_REGISTRY);
    }

    @Test
    void namesOnlyWhatWouldLetItDescribeATopicItCannotDescribe() {
        AclGrant writeDlq = AclGrant.topic("dlq", AclOperation.WRITE, "w");
        AclGrant describeConfigsDlq = AclGrant.topic("dlq", AclOperation.DESCRIBE_CONFIGS, "c");

        assertThat(AclGrant.missingTopicGrants(List.of(writeDlq, describeConfigsDlq), Map.of("dlq", Set.of())))
                .containsExactly(writeDlq);
        assertThat(AclGrant.missingTopicGrants(List.of(describeConfigsDlq), Map.of("dlq", Set.of())))
                .containsExactly(describeConfigsDlq);
    }

    @Test
    void leavesTopicsWithoutAnAnswerAndNonTopicGrantsToTheClients() {
        assertThat(AclGrant.missingTopicGrants(List.of(READ_REGISTRY, READ_GROUP, PREFIXED), Map.of(
                "healthmon", Set.of(), "app-", Set.of()))).isEmpty();
    }

    @Test
    void describesItselfAsKafkaNamesOperationAndResource() {
        assertThat(WRITE_EVENTS.describe()).isEqualTo("WRITE on topic health-events");
        assertThat(READ_GROUP.describe()).isEqualTo("READ on group healthmon");
        assertThat(PREFIXED.describe()).isEqualTo("CREATE on topic names starting with app-");
        assertThat(new AclGrant(ResourceType.TRANSACTIONAL_ID, "app-", PatternType.PREFIXED, AclOperation.WRITE, "t")
                .describe()).isEqualTo("WRITE on transactional id names starting with app-");
    }
}
