package dev.healthmon.support;

import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.common.Cluster;

/**
 * A partition assignor that throws, named with {@code -X partition.assignment.strategy=…}: the
 * group leader's {@code poll()} then ends with that exception, an unexpected error on the registry
 * consumer's thread, as no configuration of a real broker produces on demand.
 */
public final class FailingAssignor implements ConsumerPartitionAssignor {

    public static final String MESSAGE = "assignor failed on purpose";

    @Override
    public GroupAssignment assign(Cluster metadata, GroupSubscription groupSubscription) {
        throw new IllegalStateException(MESSAGE);
    }

    @Override
    public String name() {
        return "failing";
    }
}
