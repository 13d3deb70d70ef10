package dev.healthmon.registry;

import static dev.healthmon.registry.MockRegistry.P0;
import static dev.healthmon.registry.MockRegistry.P1;
import static dev.healthmon.registry.MockRegistry.record;
import static dev.healthmon.registry.MockRegistry.registration;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The poll loop does not turn without work: once settled it waits in {@code poll()} until a commit
 * or a snapshot falls due (records and rebalances end the wait), and an assignment ends that wait
 * at once so that the new partitions' restore does not wait for it.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RegistryPollTimeoutTest {

    private final MockRegistry mock = new MockRegistry(Duration.ofHours(1));
    private final MockRegistry.RecordingConsumer consumer = mock.consumer;

    @AfterEach
    void close() {
        mock.close();
    }

    @Test
    void pollsLongOnceEveryOwnedPartitionIsActive() {
        mock.registry.start();
        mock.assign(List.of(P0), List.of(record(P0, 0, 1000, "a", registration("a", "http://a.test/"))));

        await().atMost(Duration.ofSeconds(10))
                .until(() -> RegistryConsumer.SETTLED_POLL_TIMEOUT.equals(consumer.lastPollTimeout()));
        assertThat(mock.checks()).containsOnlyKeys("a");
    }

    @Test
    void anAssignmentDuringALongPollEndsItAndThePartitionIsRestored() {
        mock.registry.start();
        mock.assign(List.of(P0), List.of(record(P0, 0, 1000, "a", registration("a", "http://a.test/"))));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> RegistryConsumer.SETTLED_POLL_TIMEOUT.equals(consumer.lastPollTimeout()));

        int wakeups = consumer.wakeups.get();

        mock.assign(List.of(P0, P1), List.of(record(P1, 0, 1000, "b", registration("b", "http://b.test/"))));

        assertThat(consumer.wakeups).as("the assignment woke the long poll").hasValue(wakeups + 1);
        assertThat(mock.checksNow()).containsOnlyKeys("a", "b");
        assertThat(mock.registry.ready()).isTrue();
    }
}
