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
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the registry side of {@code /readyz} says while the group moves partitions: not ready while a
 * newly assigned partition restores, after self-fencing and after lost partitions, ready again once
 * the group has taken the instance back. Driven through Kafka's {@link MockConsumer} on the
 * consumer's own poll thread.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RegistryReadinessTest {

    private static final String TOPIC = "registry";
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);
    private static final Duration WAIT = Duration.ofSeconds(10);

    /**
     * A consumer whose partition 1 can be leaderless (its restore cannot finish), whose commits can be
     * fenced, whose generation the test sets, and which lets the test call the rebalance listener.
     */
    private static final class GroupConsumer extends MockRegistry.LeaderlessPartitionsConsumer {
        final AtomicBoolean commitsFenced = new AtomicBoolean();
        final AtomicInteger generation = new AtomicInteger(1);
        volatile ConsumerRebalanceListener listener;

        @Override
        public void subscribe(Collection<String> topics, ConsumerRebalanceListener callback) {
            listener = callback;
            super.subscribe(topics, callback);
        }

        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
            if (commitsFenced.get()) {
                throw new CommitFailedException("the group has rebalanced and assigned the partitions to another "
                        + "member");
            }
            super.commitSync(offsets, timeout);
        }

        @Override
        public ConsumerGroupMetadata groupMetadata() {
            return new ConsumerGroupMetadata("healthmon", generation.get(), "member-1", Optional.empty());
        }
    }

    private final GroupConsumer consumer = new GroupConsumer();
    private final HealthMonitor monitor = new HealthMonitor(CheckContext.of("m1", new FakeProbe(),
            new ManualScheduler(), e -> { }).withRandom(() -> 0.5));
    /** Commits on every loop, so a fenced commit is met at once. */
    private final RegistryConsumer registry = new RegistryConsumer(consumer, TOPIC, Registrations.CODEC, monitor,
            new MockRegistry.AcknowledgingSink(), Duration.ZERO, new SimpleMeterRegistry());

    @BeforeEach
    void topic() {
        MockRegistry.describeTwoPartitions(consumer);
    }

    @AfterEach
    void close() {
        registry.close(Duration.ofSeconds(5));
    }

    /** Runs {@code task} on the poll thread and waits until the loop has gone round once more after it. */
    private void onPollThread(Runnable task) {
        CompletableFuture<Void> loopedOnce = new CompletableFuture<>();
        consumer.schedulePollTask(task);
        consumer.schedulePollTask(() -> { }); // the loop's readiness step runs between the two polls
        consumer.schedulePollTask(() -> loopedOnce.complete(null));
        loopedOnce.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    /** The checks as the poll thread sees them, read on that thread. */
    private Set<String> checks() {
        CompletableFuture<Set<String>> seen = new CompletableFuture<>();
        consumer.schedulePollTask(() -> seen.complete(monitor.snapshot().keySet()));
        return seen.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    /** Assigns P0 holding one backend and waits until it is restored and ready. */
    private void ownP0() {
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0));
            consumer.addRecord(MockRegistry.registrationAt(P0, "in-p0"));
        });
        await().atMost(WAIT).until(() -> registry.ready() && checks().contains("in-p0"));
    }

    @Test
    void aPartitionAssignedByARebalanceMakesTheInstanceNotReadyUntilItIsRestored() {
        registry.start();
        ownP0();
        consumer.leaderless(P1, true); // its restore cannot finish yet

        onPollThread(() -> {
            consumer.rebalance(List.of(P0, P1));
            consumer.addRecord(MockRegistry.registrationAt(P1, "in-p1"));
        });

        assertThat(registry.ready()).as("P1 is still restoring").isFalse();
        assertThat(checks()).as("P0's backends are still checked meanwhile").containsExactly("in-p0");

        consumer.leaderless(P1, false);

        await().atMost(WAIT).until(registry::ready);
        assertThat(checks()).containsExactlyInAnyOrder("in-p0", "in-p1");
    }

    @Test
    void aFencedCommitStopsEveryCheckAndTheInstanceIsNotReadyUntilTheGroupTakesItBack() {
        registry.start();
        ownP0();

        consumer.commitsFenced.set(true);

        await().atMost(WAIT).until(() -> checks().isEmpty());
        onPollThread(() -> { });
        assertThat(registry.ready()).as("self-fenced").isFalse();

        consumer.commitsFenced.set(false);
        onPollThread(() -> consumer.rebalance(List.of())); // the group takes the member back, P0 elsewhere for now
        await().atMost(WAIT).until(registry::ready);
        ownP0();
    }

    @Test
    void lostPartitionsMakeTheInstanceNotReadyUntilTheGroupAssignsItAgain() {
        registry.start();
        ownP0();

        onPollThread(() -> consumer.listener.onPartitionsLost(List.of(P0)));

        assertThat(checks()).as("the lost partition's checks stopped").isEmpty();
        assertThat(registry.ready()).as("owning nothing after a loss is not a ready surplus instance").isFalse();

        onPollThread(() -> consumer.rebalance(List.of()));
        await().atMost(WAIT).until(registry::ready);
        ownP0();
    }

    @Test
    void afterLostPartitionsANewGenerationMakesTheInstanceReadyEvenWithoutAnAssignmentCallback() {
        registry.start();
        ownP0();
        onPollThread(() -> consumer.listener.onPartitionsLost(List.of(P0)));
        assertThat(registry.ready()).isFalse();

        consumer.generation.set(2); // rejoined with nothing to own: the consumer protocol calls no listener for that

        await().atMost(WAIT).until(registry::ready);
    }
}
