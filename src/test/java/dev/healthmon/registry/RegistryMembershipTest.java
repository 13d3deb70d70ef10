package dev.healthmon.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.healthmon.monitor.CheckContext;
import dev.healthmon.monitor.HealthMonitor;
import dev.healthmon.support.FakeProbe;
import dev.healthmon.support.ManualScheduler;
import dev.healthmon.support.Registrations;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Group membership as a rolling update and a growing cluster see it (issue #15): an instance that
 * owns nothing is ready, a partition that cannot answer delays only itself, a registry partition
 * without its events partition waits without holding up the others, and the final commit happens
 * even when a wakeup is pending. Driven through Kafka's {@link MockConsumer} on the consumer's own
 * poll thread.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RegistryMembershipTest {

    private static final String TOPIC = "registry";
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);

    /** A registry whose partition 1 has no leader (its end offset never comes) and whose commits can meet a wakeup. */
    private static final class FaultyConsumer extends MockRegistry.LeaderlessPartitionsConsumer {
        final AtomicBoolean wakeupBeforeNextCommit = new AtomicBoolean();
        final Map<TopicPartition, Long> commits = new ConcurrentHashMap<>();

        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
            if (wakeupBeforeNextCommit.getAndSet(false)) {
                throw new WakeupException(); // what a real consumer throws when wakeup() was called and not yet used
            }
            super.commitSync(offsets, timeout);
            offsets.forEach((tp, offset) -> commits.put(tp, offset.offset()));
        }

        /** Readable after close (a closed MockConsumer answers nothing). */
        long lastCommitted(TopicPartition tp) {
            return commits.getOrDefault(tp, -1L);
        }
    }

    private final FaultyConsumer consumer = new FaultyConsumer();
    private final AtomicInteger eventPartitions = new AtomicInteger(2);
    private final HealthMonitor monitor = new HealthMonitor(CheckContext.of("m1", new FakeProbe(),
            new ManualScheduler(), e -> { }).withRandom(() -> 0.5));
    private final RegistryConsumer registry = new RegistryConsumer(consumer, TOPIC, Registrations.CODEC, monitor,
            new MockRegistry.AcknowledgingSink(), Duration.ofHours(1), eventPartitions::get, new SimpleMeterRegistry());

    @BeforeEach
    void topic() {
        MockRegistry.describeTwoPartitions(consumer);
    }

    @AfterEach
    void close() {
        registry.close(Duration.ofSeconds(5));
    }

    /** Assigns both partitions with one backend each, on the poll thread. */
    private void assignBoth() {
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0, P1));
            consumer.addRecord(MockRegistry.registrationAt(P0, "in-p0"));
            consumer.addRecord(MockRegistry.registrationAt(P1, "in-p1"));
        });
    }

    /** The checks as the poll thread sees them, read on that thread. */
    private Set<String> checks() {
        CompletableFuture<Set<String>> seen = new CompletableFuture<>();
        consumer.schedulePollTask(() -> seen.complete(monitor.snapshot().keySet()));
        return seen.orTimeout(10, TimeUnit.SECONDS).join();
    }

    @Test
    void anInstanceThatOwnsNoPartitionIsReady() {
        registry.start();

        consumer.schedulePollTask(() -> consumer.rebalance(List.of()));

        await().atMost(Duration.ofSeconds(10)).until(registry::ready);
        assertThat(checks()).isEmpty();
    }

    @Test
    void aPartitionWithoutALeaderDelaysOnlyItsOwnRestore() {
        consumer.leaderless(P1, true);
        registry.start();

        assignBoth();

        await().atMost(Duration.ofSeconds(10)).until(() -> checks().contains("in-p0"));
        assertThat(checks()).doesNotContain("in-p1");
        assertThat(registry.ready()).isFalse();

        consumer.leaderless(P1, false); // a new leader is elected

        await().atMost(Duration.ofSeconds(10)).until(() -> checks().contains("in-p1"));
        await().atMost(Duration.ofSeconds(10)).until(registry::ready);
    }

    @Test
    void aRegistryPartitionWithoutItsEventsPartitionIsNotCheckedUntilItExistsWhileTheOthersAre() {
        eventPartitions.set(1); // the registry grew to 2 partitions, health-events did not
        registry.start();

        assignBoth();

        await().atMost(Duration.ofSeconds(10)).until(() -> checks().contains("in-p0"));
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.partitionsWaitingForEvents().equals(Set.of(1)));
        assertThat(checks()).doesNotContain("in-p1");
        assertThat(registry.ready()).isFalse();

        eventPartitions.set(2); // topics create grew health-events

        await().atMost(Duration.ofSeconds(10)).until(() -> checks().contains("in-p1"));
        await().atMost(Duration.ofSeconds(10)).until(registry::ready);
        assertThat(registry.partitionsWaitingForEvents()).isEmpty();
    }

    @Test
    void theFinalCommitHappensEvenWhenAWakeupIsPending() {
        registry.start();
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0));
            consumer.addRecord(MockRegistry.registrationAt(P0, "in-p0"));
        });
        await().atMost(Duration.ofSeconds(10)).until(registry::ready);
        assertThat(consumer.lastCommitted(P0)).as("no commit yet: the interval is an hour").isEqualTo(-1);

        consumer.wakeupBeforeNextCommit.set(true);
        registry.close(Duration.ofSeconds(10));

        assertThat(consumer.lastCommitted(P0)).isEqualTo(1);
    }
}
