package dev.healthmon.registry;

import dev.healthmon.events.DeadLetter;
import dev.healthmon.events.HealthEventPublisher;
import dev.healthmon.monitor.HealthMonitor;
import dev.healthmon.monitor.StartMode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.utils.Utils;
import dev.healthmon.status.UntrustedText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes {@code backend-registry} in the monitor's consumer group and drives the
 * {@link HealthMonitor}: partition ownership decides which backends this instance checks.
 *
 * <p><b>Threading.</b> Everything here — polling, the rebalance callbacks, the per-partition
 * tables and every call into the {@link HealthMonitor} — runs on one thread,
 * {@code healthmon-registry-poll}, owned by this object. {@link #close()} may be called from any
 * thread: it wakes the poll thread, which then shuts down in order.
 *
 * <p><b>Restore</b> (as Kafka Connect's {@code KafkaBasedLog} does): on assignment the callback
 * only seeks to the beginning, pauses the partition and marks it RESTORING; the poll loop
 * snapshots its end offset (a blocking call, kept out of the callback so that a timeout there is
 * retried rather than thrown out of {@code poll()}), resumes it, and applies its records to the
 * partition's table; the partition becomes ACTIVE when
 * {@code position >= end snapshot} — never by offset arithmetic, which compaction gaps and
 * transaction markers break — and only then starts its checks, spread by phase offset. Committed
 * offsets are not state; positions of ACTIVE partitions are committed every
 * {@code commitInterval} and on revoke so lag shows in standard tools.
 *
 * <p><b>Revocation and loss</b> stop every check of the partition before the callback returns.
 * A commit failing with a fencing error means another member may own our partitions: all checks
 * stop at once (self-fencing) and the partitions restore again when the group hands them back.
 *
 * <p><b>Errors.</b> Retriable Kafka errors (timeouts, a broker restarting) are logged and retried
 * on the next loop while checks go on; any other error ends the loop, stops every check, and is
 * reported by {@link #awaitTermination()} so the process can exit non-zero.
 */
public final class RegistryConsumer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RegistryConsumer.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
    private static final Duration BLOCKING_CALL_TIMEOUT = Duration.ofSeconds(10);

    private final Consumer<byte[], byte[]> consumer;
    private final String topic;
    private final RegistrationCodec codec;
    private final HealthMonitor monitor;
    private final HealthEventPublisher publisher;
    private final Duration commitInterval;
    private final Counter deadLetters;
    private final Counter foreignPartitioned;
    private final io.micrometer.core.instrument.Timer restoreTime;
    private final java.util.concurrent.atomic.AtomicInteger ownedCount = new java.util.concurrent.atomic.AtomicInteger();
    private final Counter rebalances;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);

    // Confined to the poll thread.
    private final Map<Integer, OwnedPartition> owned = new HashMap<>();
    private final Set<String> warnedForeignPartition = new HashSet<>();
    private int partitionCount = -1;
    private long lastCommitNanos = System.nanoTime();

    private volatile boolean closing;
    private volatile boolean ready;
    private volatile Throwable failure;

    public RegistryConsumer(Consumer<byte[], byte[]> consumer, String topic, RegistrationCodec codec,
                            HealthMonitor monitor, HealthEventPublisher publisher, Duration commitInterval,
                            MeterRegistry meters) {
        this.consumer = consumer;
        this.topic = topic;
        this.codec = codec;
        this.monitor = monitor;
        this.publisher = publisher;
        this.commitInterval = commitInterval;
        this.deadLetters = meters.counter("healthmon.registry.invalid");
        this.foreignPartitioned = meters.counter("healthmon.registry.foreign.partitioned");
        this.rebalances = meters.counter("healthmon.rebalances");
        this.restoreTime = io.micrometer.core.instrument.Timer.builder("healthmon.partition.restore")
                .description("From assignment of a registry partition to its checks starting").register(meters);
        meters.gauge("healthmon.partitions.owned", ownedCount, java.util.concurrent.atomic.AtomicInteger::get);
        this.thread = new Thread(this::run, "healthmon-registry-poll");
    }

    public void start() {
        thread.start();
    }

    /** Blocks until the poll thread has ended; empty if it ended because of {@link #close}, else the error that ended it. */
    public Optional<Throwable> awaitTermination() throws InterruptedException {
        stopped.await();
        return Optional.ofNullable(failure);
    }

    /** True once this instance has an assignment and every owned partition is restored. Any thread. */
    public boolean ready() {
        return ready;
    }

    private void run() {
        try {
            consumer.subscribe(List.of(topic), new Listener());
            while (!closing) {
                try {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL_TIMEOUT)) {
                        apply(record);
                    }
                    snapshotEndOffsets();
                    activateRestoredPartitions();
                    maybeCommit();
                    monitor.publishSnapshot();
                } catch (RetriableException e) {
                    // Kafka is briefly unreachable (broker restart, leader election): checks go on, try again.
                    log.warn("registry consumer: {}; retrying", e.toString());
                }
            }
        } catch (WakeupException e) {
            if (!closing) {
                failure = e;
                log.error("registry consumer woken up unexpectedly", e);
            }
        } catch (RuntimeException | Error e) {
            failure = e;
            log.error("registry consumer failed; stopping all checks", e);
        } finally {
            shutdown();
            stopped.countDown();
        }
    }

    private void startRestore(Collection<TopicPartition> partitions) {
        int epoch = consumer.groupMetadata().generationId();
        consumer.pause(partitions); // until the end offsets are snapshotted
        consumer.seekToBeginning(partitions);
        List<Integer> numbers = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            owned.put(tp.partition(), new OwnedPartition(tp.partition(), epoch));
            numbers.add(tp.partition());
        }
        ready = false;
        log.info("partitions assigned: topic={} partitions={} epoch={}; restoring", topic, numbers, epoch);
    }

    /** Reads end and committed offsets of newly assigned partitions (blocks up to 10 s), then lets them be fetched. */
    private void snapshotEndOffsets() {
        Set<TopicPartition> assigned = consumer.assignment();
        List<TopicPartition> pending = owned.values().stream().filter(p -> !p.snapshotTaken())
                .map(p -> new TopicPartition(topic, p.partition)).filter(assigned::contains).toList();
        if (pending.isEmpty()) {
            return;
        }
        partitionCount();
        Map<TopicPartition, Long> ends = consumer.endOffsets(pending, BLOCKING_CALL_TIMEOUT);
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(pending), BLOCKING_CALL_TIMEOUT);
        for (TopicPartition tp : pending) {
            OwnedPartition partition = owned.get(tp.partition());
            OffsetAndMetadata done = committed.get(tp);
            partition.committedOffset = done == null ? 0 : done.offset();
            partition.endSnapshot = ends.getOrDefault(tp, 0L);
        }
        consumer.resume(pending);
    }

    private void apply(ConsumerRecord<byte[], byte[]> record) {
        OwnedPartition partition = owned.get(record.partition());
        if (partition == null) {
            return; // revoked within this batch
        }
        DecodedRegistration decoded = codec.decode(record.key(), record.value());
        RegistrationVersion version = new RegistrationVersion(record.partition(), record.offset());
        if (decoded instanceof DecodedRegistration.Valid valid) {
            warnIfForeignPartitioned(valid.id(), record);
            partition.table.put(valid.id(), new OwnedPartition.Entry(valid, version));
            if (partition.phase == PartitionPhase.ACTIVE) {
                monitor.upsert(valid.registration(), valid.settings(), version, partition.ownerEpoch, StartMode.NEW);
            }
        } else if (decoded instanceof DecodedRegistration.Tombstone tombstone) {
            partition.table.remove(tombstone.id());
            if (partition.phase == PartitionPhase.ACTIVE) {
                monitor.remove(tombstone.id());
            }
        } else if (decoded instanceof DecodedRegistration.Invalid invalid && record.offset() >= partition.committedOffset) {
            // The previous valid registration, if any, stays in force.
            deadLetters.increment();
            log.warn("backend={} invalid registration at {}-{}@{} sent to dead-letter topic: {}",
                    UntrustedText.escape(invalid.id(), 200), topic, record.partition(), record.offset(),
                    UntrustedText.escape(invalid.error().getMessage(), 500)); // the raw key: may hold a line break
            publisher.deadLetter(new DeadLetter(record.key(), record.value(), invalid.error().getMessage(),
                    topic, record.partition(), record.offset()));
        }
    }

    private void warnIfForeignPartitioned(String id, ConsumerRecord<byte[], byte[]> record) {
        if (partitionCount < 0) {
            return; // never the case: partitions are paused until snapshotEndOffsets() has read the count
        }
        int expected = Utils.toPositive(Utils.murmur2(record.key())) % partitionCount;
        if (expected != record.partition()) {
            foreignPartitioned.increment();
            if (warnedForeignPartition.add(id)) {
                log.warn("backend={} registration is in partition {} but the Java default partitioner would pick {}; "
                        + "its producer hashes keys differently (kcat: use -X topic.partitioner=murmur2_random). "
                        + "Events still follow the registration's partition.", id, record.partition(), expected);
            }
        }
    }

    /** Reads the registry's partition count once; blocks up to 10 s. */
    private void partitionCount() {
        if (partitionCount < 0) {
            partitionCount = consumer.partitionsFor(topic, BLOCKING_CALL_TIMEOUT).size();
        }
    }

    private void activateRestoredPartitions() {
        boolean allActive = !owned.isEmpty();
        boolean activated = false;
        Set<TopicPartition> assigned = consumer.assignment();
        for (OwnedPartition partition : owned.values()) {
            // A partition on its way out (KIP-848 acknowledges revocations after the callback) is skipped.
            if (partition.phase == PartitionPhase.RESTORING && partition.snapshotTaken()
                    && assigned.contains(new TopicPartition(topic, partition.partition))
                    && consumer.position(new TopicPartition(topic, partition.partition), BLOCKING_CALL_TIMEOUT)
                    >= partition.endSnapshot) {
                partition.moveTo(PartitionPhase.ACTIVE);
                activated = true;
                partition.table.values().forEach(entry -> monitor.upsert(entry.registration().registration(),
                        entry.registration().settings(), entry.version(), partition.ownerEpoch, StartMode.BULK));
                long took = System.nanoTime() - partition.assignedAtNanos;
                restoreTime.record(took, TimeUnit.NANOSECONDS);
                log.info("partition={}-{} restored: backends={} epoch={} took={}ms", topic, partition.partition,
                        partition.table.size(), partition.ownerEpoch, TimeUnit.NANOSECONDS.toMillis(took));
            }
            allActive &= partition.phase == PartitionPhase.ACTIVE;
        }
        if (activated) {
            // Ready promises every restored check is running, so the snapshot (activeChecks, /readyz
            // callers) must show them before ready turns true; one copy per restore, not per record.
            monitor.publishSnapshotNow();
        }
        ready = allActive;
        ownedCount.set(owned.size());
    }

    private void maybeCommit() {
        if (System.nanoTime() - lastCommitNanos < commitInterval.toNanos()) {
            return;
        }
        lastCommitNanos = System.nanoTime();
        commit(owned.values());
    }

    private void commit(Collection<OwnedPartition> partitions) {
        commit(positionsOf(partitions));
    }

    /** The current positions of the ACTIVE partitions among {@code partitions}. */
    private Map<TopicPartition, OffsetAndMetadata> positionsOf(Collection<OwnedPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        Set<TopicPartition> assigned = consumer.assignment();
        for (OwnedPartition partition : partitions) {
            TopicPartition tp = new TopicPartition(topic, partition.partition);
            if (partition.phase == PartitionPhase.ACTIVE && assigned.contains(tp)) {
                offsets.put(tp, new OffsetAndMetadata(consumer.position(tp, BLOCKING_CALL_TIMEOUT)));
            }
        }
        return offsets;
    }

    /** Commits {@code offsets}; blocks up to 10 s. A fencing error stops every check (self-fencing). */
    private void commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets, BLOCKING_CALL_TIMEOUT);
        } catch (CommitFailedException | FencedInstanceIdException | UnknownMemberIdException e) {
            log.warn("commit fenced ({}); stopping all checks until the group assigns partitions again", e.toString());
            selfFence();
        } catch (RebalanceInProgressException e) {
            log.debug("commit skipped during rebalance");
        } catch (KafkaException e) {
            log.warn("commit failed, will retry: {}", e.toString());
        }
    }

    private void selfFence() {
        monitor.stopAll();
        owned.values().forEach(p -> p.moveTo(PartitionPhase.REVOKED));
        owned.clear();
        ready = false;
    }

    private void shutdown() {
        int stoppedChecks = monitor.activeCount();
        monitor.stopAll();
        log.info("shutdown: stopped {} checks", stoppedChecks); // nothing checked after this line is published
        // Results of the stopped checks leave before the commit and the group leave (DESIGN.md §4).
        publisher.flush(BLOCKING_CALL_TIMEOUT);
        try {
            commit(owned.values());
        } catch (RuntimeException e) {
            log.warn("final commit failed: {}", e.toString());
        }
        owned.clear();
        ready = false;
        monitor.publishSnapshotNow();
        try {
            consumer.close(BLOCKING_CALL_TIMEOUT); // leaves the group, so partitions move at once
        } catch (RuntimeException e) {
            log.warn("consumer close failed: {}", e.toString());
        }
    }

    /** Stops polling, stops every check, commits and leaves the group; waits up to {@code timeout}. */
    public void close(Duration timeout) {
        closing = true;
        consumer.wakeup();
        if (thread.isAlive()) {
            try {
                if (!stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("registry consumer did not stop within {} ms", timeout.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(15));
    }

    /** Runs on the poll thread, inside {@code poll()}. */
    private final class Listener implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            rebalances.increment();
            // No blocking call here: one that times out would escape poll() and end the loop.
            if (!partitions.isEmpty()) {
                startRestore(partitions);
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            Map<TopicPartition, OffsetAndMetadata> positions = Map.of();
            try {
                positions = positionsOf(partitions.stream().map(tp -> owned.get(tp.partition()))
                        .filter(p -> p != null).toList());
            } catch (KafkaException e) {
                log.warn("cannot read positions to commit on revoke: {}", e.toString());
            }
            release(partitions, "revoked"); // checks stop first, whatever happens to the commit
            commit(positions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            release(partitions, "lost");
        }

        private void release(Collection<TopicPartition> partitions, String why) {
            for (TopicPartition tp : partitions) {
                OwnedPartition partition = owned.remove(tp.partition());
                if (partition != null) {
                    int stoppedChecks = monitor.stopPartition(tp.partition());
                    log.info("partition={}-{} {}: stopped {} checks", topic, tp.partition(), why, stoppedChecks);
                    partition.moveTo(PartitionPhase.REVOKED);
                }
            }
            monitor.publishSnapshotNow();
        }
    }
}
