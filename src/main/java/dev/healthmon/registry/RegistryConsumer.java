package dev.healthmon.registry;

import dev.healthmon.events.DeadLetter;
import dev.healthmon.events.DeadLetterSink;
import dev.healthmon.monitor.HealthMonitor;
import dev.healthmon.monitor.StartMode;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.registration.RegistrationCodec;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.UntrustedText;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.utils.Utils;
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
 * A member the group removed while it could not heartbeat (frozen past its session timeout) is
 * told so by its first heartbeat after waking — classic: {@code UNKNOWN_MEMBER_ID}; KIP-848:
 * {@code UNKNOWN_MEMBER_ID} or {@code FENCED_MEMBER_EPOCH} — and the consumer calls
 * {@code onPartitionsLost} at the next {@code poll()}. A commit failing with a fencing error means
 * the same: all checks stop at once. Either way (self-fencing) the log line that says so is written
 * once the checks are stopped, and the partitions restore again when the group hands them back.
 * After self-fencing or lost partitions the instance is not {@link #ready()} until it is a member
 * again; a revocation alone leaves it ready if what it still owns is restored (cooperative
 * rebalancing revokes a few partitions while the rest keep being checked).
 *
 * <p><b>Dead letters.</b> A record that cannot be applied goes to the {@link DeadLetterSink}, which
 * retries until the dead-letter topic acknowledges it. The partition's commits never pass the
 * lowest source offset whose dead letter is not acknowledged yet, so a record is either in the
 * dead-letter topic or read again by the next owner — never lost. Records below the committed
 * offset are not dead-lettered again when a partition is re-read.
 *
 * <p><b>One id, one registration.</b> When one id is live in two partitions this instance owns
 * (producers with different partitioners), the newer registration wins ({@link Claim}: later
 * timestamp, ties to the higher partition): the older one is logged, counted
 * ({@code healthmon.registry.duplicate.ids}), dead-lettered and dropped from its table, so it
 * stays out even after the newer one is deleted. A tombstone deletes only what lives in its own
 * partition; one that did is remembered per partition, so an older registration of the same id
 * read later (a restore reads partitions in any order) stays out too.
 *
 * <p><b>No turn without work.</b> While anything is in progress (a restore, dead letters waiting, a
 * fenced member, a partition waiting for its events partition) {@code poll()} waits
 * {@link #POLL_TIMEOUT}; once settled it waits until the next commit falls due, at most
 * {@link #SETTLED_POLL_TIMEOUT} (1 s). Records and rebalance callbacks end the wait as before; an
 * assignment during such a wait wakes the consumer ({@code wakeup()}, whose exception the loop
 * recognises as its own), so a restore starts as soon as it did with the short wait.
 *
 * <p><b>Errors.</b> Retriable Kafka errors (timeouts, a broker restarting) are logged and retried
 * on the next loop while checks go on; any other error ends the loop, stops every check, and is
 * reported by {@link #awaitTermination()} so the process can exit non-zero.
 */
public final class RegistryConsumer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RegistryConsumer.class);
    /** How long {@code poll()} waits for records while anything is in progress (a restore, dead letters, fencing). */
    static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
    /**
     * The longest a settled loop waits in {@code poll()}: records end the wait at once, an assignment
     * wakes it, and a commit or a snapshot falling due shortens it. Ten turns a second cost an idle
     * monitor ≈ 0.4 % of a core (docs/design.md §10.25). Not longer: what a consumer learns between
     * its own wake-ups (lost partitions after a freeze; under KIP-848, rebalance callbacks, which run
     * only inside {@code poll()}) may wait for the end of the wait.
     */
    static final Duration SETTLED_POLL_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration BLOCKING_CALL_TIMEOUT = Duration.ofSeconds(10);
    /** For a call about one partition after a call about all of them timed out. */
    private static final Duration SINGLE_PARTITION_TIMEOUT = Duration.ofSeconds(1);
    /**
     * A partition with this many unacknowledged dead letters stops fetching until half of them are
     * acknowledged: while the dead-letter topic cannot be written, letters wait in memory (each cut
     * to one record's size), and this bounds them. The hold ends with the partition's revocation or
     * loss: a partition assigned again stays paused only until its end offset is snapshotted.
     */
    static final int MAX_PENDING_DEAD_LETTERS = 100;

    private final Consumer<byte[], byte[]> consumer;
    private final String topic;
    private final RegistrationCodec codec;
    private final HealthMonitor monitor;
    private final DeadLetterSink publisher;
    private final Duration commitInterval;
    private final Counter deadLetters;
    private final Counter foreignPartitioned;
    private final Counter duplicateIds;
    private final Timer restoreTime;
    private final AtomicInteger ownedCount = new AtomicInteger();
    private final Counter rebalances;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);

    // Confined to the poll thread.
    private final Map<Integer, OwnedPartition> owned = new HashMap<>();
    private final Set<String> warnedForeignPartition = new HashSet<>();
    private final Set<TopicPartition> pausedForDeadLetters = new HashSet<>();
    private int partitionCount = -1;
    private long lastCommitNanos = System.nanoTime();

    private final IntSupplier eventPartitions;
    private final Set<Integer> waitingForEvents = new TreeSet<>();
    /**
     * Set by a fencing error or lost partitions: this instance may no longer be the member that owns
     * what it owned. Cleared when the group assigns partitions again, or when the consumer reports a
     * generation other than {@link #fencedGeneration} (the consumer protocol calls no listener for an
     * empty assignment, so a rejoined member that owns nothing would otherwise never be ready).
     */
    private boolean fenced;
    private int fencedGeneration;

    /** Poll thread: inside a long {@code poll()}, which an assignment must end at once to start its restore. */
    private boolean pollingLong;
    /** Poll thread: an assignment woke the long {@code poll()}; the next WakeupException is ours, not close()'s. */
    private boolean wakeupOwed;
    private volatile boolean closing;
    private volatile boolean ready;
    /** Owned partitions whose checks wait for {@code health-events} to have a partition of their number. */
    private volatile Set<Integer> waitingForEventsSnapshot = Set.of();
    private volatile Throwable failure;

    /** A consumer whose events topic has every partition the registry has (tests). */
    public RegistryConsumer(Consumer<byte[], byte[]> consumer, String topic, RegistrationCodec codec,
                            HealthMonitor monitor, DeadLetterSink publisher, Duration commitInterval,
                            MeterRegistry meters) {
        this(consumer, topic, codec, monitor, publisher, commitInterval, () -> Integer.MAX_VALUE, meters);
    }

    /**
     * @param eventPartitions how many partitions {@code health-events} has now (must not block): a
     *                        registry partition without its events partition restores, but its checks
     *                        wait until that partition exists
     */
    public RegistryConsumer(Consumer<byte[], byte[]> consumer, String topic, RegistrationCodec codec,
                            HealthMonitor monitor, DeadLetterSink publisher, Duration commitInterval,
                            IntSupplier eventPartitions, MeterRegistry meters) {
        this.consumer = consumer;
        this.eventPartitions = eventPartitions;
        this.topic = topic;
        this.codec = codec;
        this.monitor = monitor;
        this.publisher = publisher;
        this.commitInterval = commitInterval;
        this.deadLetters = meters.counter("healthmon.registry.invalid");
        this.foreignPartitioned = meters.counter("healthmon.registry.foreign.partitioned");
        this.duplicateIds = meters.counter("healthmon.registry.duplicate.ids");
        this.rebalances = meters.counter("healthmon.rebalances");
        this.restoreTime = Timer.builder("healthmon.partition.restore")
                .description("From assignment of a registry partition to its checks starting").register(meters);
        meters.gauge("healthmon.partitions.owned", ownedCount, AtomicInteger::get);
        meters.gauge("healthmon.partitions.waiting.for.events", this, c -> c.waitingForEventsSnapshot.size());
        this.thread = new Thread(this::run, "healthmon-registry-poll");
    }

    public void start() {
        thread.start();
    }

    /**
     * Blocks until the poll thread has ended; empty if it ended because of {@link #close}, else the error that ended
     * it.
     */
    public Optional<Throwable> awaitTermination() throws InterruptedException {
        stopped.await();
        return Optional.ofNullable(failure);
    }

    /**
     * True once this instance is a member of the group and every partition it owns is restored with
     * its checks running — also when it owns none (a surplus instance is ready to take over, and a
     * rolling update waiting for readiness must not stall on it). Any thread.
     */
    public boolean ready() {
        return ready;
    }

    /**
     * Registry partitions this instance owns whose checks wait because {@code health-events} has no
     * partition of that number yet (the registry grew). Any thread.
     */
    public Set<Integer> partitionsWaitingForEvents() {
        return waitingForEventsSnapshot;
    }

    private void run() {
        try {
            consumer.subscribe(List.of(topic), new Listener());
            while (!closing) {
                try {
                    Duration timeout = pollTimeout();
                    pollingLong = timeout.compareTo(POLL_TIMEOUT) > 0;
                    ConsumerRecords<byte[], byte[]> records;
                    try {
                        records = consumer.poll(timeout);
                    } finally {
                        pollingLong = false;
                    }
                    for (ConsumerRecord<byte[], byte[]> record : records) {
                        apply(record);
                    }
                    snapshotEndOffsets();
                    holdPartitionsWaitingForDeadLetters();
                    activateRestoredPartitions();
                    maybeCommit();
                } catch (RetriableException e) {
                    // Kafka is briefly unreachable (broker restart, leader election): checks go on, try again.
                    log.warn("registry consumer: {}; retrying", e.toString());
                } catch (WakeupException e) {
                    if (closing || !wakeupOwed) {
                        throw e;
                    }
                    // Ours, from an assignment during a long poll (thrown by poll() or, if poll() returned
                    // first, by the next blocking call): the turn starts again, the restore with it.
                    wakeupOwed = false;
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

    /**
     * {@link #POLL_TIMEOUT} while anything is in progress; once settled — a member, every owned
     * partition ACTIVE, no dead letter waiting, no partition waiting for its events partition — until
     * the next commit falls due, at most {@link #SETTLED_POLL_TIMEOUT}.
     */
    Duration pollTimeout() {
        boolean settled = ready && !fenced && waitingForEvents.isEmpty() && pausedForDeadLetters.isEmpty()
                && owned.values().stream().allMatch(p -> p.phase == PartitionPhase.ACTIVE
                && p.pendingDeadLetters.isEmpty());
        if (!settled) {
            return POLL_TIMEOUT;
        }
        long untilCommit = commitInterval.toNanos() - (System.nanoTime() - lastCommitNanos);
        long wait = Math.min(SETTLED_POLL_TIMEOUT.toNanos(), Math.max(0, untilCommit));
        return Duration.ofNanos(Math.max(wait, POLL_TIMEOUT.toNanos()));
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
        Map<TopicPartition, Long> ends = endOffsets(pending);
        if (ends.isEmpty()) {
            return;
        }
        pending = pending.stream().filter(ends::containsKey).toList();
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(pending),
                BLOCKING_CALL_TIMEOUT);
        for (TopicPartition tp : pending) {
            OwnedPartition partition = owned.get(tp.partition());
            OffsetAndMetadata done = committed.get(tp);
            partition.committedOffset = done == null ? 0 : done.offset();
            partition.endSnapshot = ends.getOrDefault(tp, 0L);
        }
        consumer.resume(pending);
    }

    /**
     * End offsets of {@code partitions}: one request for all, and if that times out (a partition
     * without a leader answers nothing) one request each, so that only the partitions that cannot
     * answer wait for the next loop. Blocks up to 10 s, then up to {@link #SINGLE_PARTITION_TIMEOUT}
     * per partition.
     */
    private Map<TopicPartition, Long> endOffsets(List<TopicPartition> partitions) {
        try {
            return consumer.endOffsets(partitions, BLOCKING_CALL_TIMEOUT);
        } catch (TimeoutException all) {
            if (partitions.size() == 1) {
                log.warn("partition={} end offset not known yet ({}); retrying", partitions.get(0), all.toString());
                return Map.of();
            }
        }
        Map<TopicPartition, Long> ends = new HashMap<>();
        for (TopicPartition tp : partitions) {
            try {
                ends.putAll(consumer.endOffsets(List.of(tp), SINGLE_PARTITION_TIMEOUT));
            } catch (TimeoutException one) {
                log.warn("partition={} end offset not known yet (no leader?); its restore waits, the others go on", tp);
            }
        }
        return ends;
    }

    private void apply(ConsumerRecord<byte[], byte[]> record) {
        OwnedPartition partition = owned.get(record.partition());
        if (partition == null) {
            return; // revoked within this batch
        }
        DecodedRegistration decoded = codec.decode(record.key(), record.value());
        if (decoded instanceof DecodedRegistration.Valid valid) {
            warnIfForeignPartitioned(valid.id(), record);
            applyRegistration(partition, valid, record);
        } else if (decoded instanceof DecodedRegistration.Tombstone tombstone) {
            applyTombstone(partition, tombstone.id(), record);
        } else if (decoded instanceof DecodedRegistration.Invalid invalid && isNew(partition, record.offset())) {
            // The previous valid registration, if any, stays in force.
            deadLetters.increment();
            deadLetter(partition, record.offset(), new DeadLetter(invalid.id(), record.key(), record.value(),
                    invalid.error().getMessage(), topic, record.partition(), record.offset()));
        } else if (decoded instanceof DecodedRegistration.Invalid invalid) {
            // Dead-lettered when first read (its offset was committed past): not again, but say why it is not
            // checked — a record the monitor's rules now refuse (a secrets file changed) would be silent otherwise.
            log.warn("backend={} registration at {}-{}@{} is invalid and not checked (dead-lettered when first "
                    + "read): {}",
                    UntrustedText.escape(invalid.id(), 200), topic, record.partition(), record.offset(),
                    UntrustedText.escape(invalid.error().getMessage(), 500));
        }
    }

    /** False for a record an earlier owner committed past: its dead letter, if any, was acknowledged then. */
    private static boolean isNew(OwnedPartition partition, long offset) {
        return offset >= partition.committedOffset;
    }

    /**
     * Hands a dead letter to the sink; the partition does not commit past {@code sourceOffset} until
     * the topic acknowledged it (the acknowledgement clears the mark on a Kafka client thread).
     */
    private void deadLetter(OwnedPartition partition, long sourceOffset, DeadLetter letter) {
        Object token = new Object();
        partition.pendingDeadLetters.put(token, sourceOffset);
        publisher.deadLetter(letter).whenComplete((ok, error) -> {
            if (error == null) {
                partition.pendingDeadLetters.remove(token);
            }
        });
    }

    private void applyRegistration(OwnedPartition partition, DecodedRegistration.Valid valid,
                                   ConsumerRecord<byte[], byte[]> record) {
        String id = valid.id();
        RegistrationVersion version = new RegistrationVersion(record.partition(), record.offset());
        OwnedPartition.Entry entry = new OwnedPartition.Entry(valid, version, record.timestamp());
        Claim claim = entry.claim();
        partition.deletedAt.remove(id);
        Optional<Claim> newer = newestElsewhere(id, partition.partition).filter(other -> other.newerThan(claim));
        if (newer.isPresent()) {
            // This registration is the older one: it never runs, and it replaces (drops) this partition's previous one.
            partition.table.remove(id);
            duplicate(id, claim, newer.get(), partition, record.offset(), record.key(), record.value());
            return;
        }
        dropOlderElsewhere(id, claim, partition, record.offset());
        partition.table.put(id, entry);
        if (partition.phase == PartitionPhase.ACTIVE) {
            monitor.upsert(valid.registration(), valid.settings(), version, partition.ownerEpoch, StartMode.NEW);
        }
    }

    /**
     * A tombstone deletes only the registration that lives in its own partition. One in a partition
     * where the id is not live (`register` clearing the other partitions, or a producer with another
     * partitioner) changes nothing: the registration elsewhere stays in force. A tombstone that did
     * delete something is remembered, so an older registration of the id read later from another
     * partition stays out.
     */
    private void applyTombstone(OwnedPartition partition, String id, ConsumerRecord<byte[], byte[]> record) {
        OwnedPartition.Entry removed = partition.table.remove(id);
        if (removed == null) {
            return;
        }
        partition.deletedAt.put(id, new Claim(record.timestamp(), record.partition(), record.offset(), true));
        monitor.remove(id, partition.partition);
    }

    /** The newest registration, or tombstone that deleted one, for {@code id} outside partition {@code except}. */
    private Optional<Claim> newestElsewhere(String id, int except) {
        Claim newest = null;
        for (OwnedPartition other : owned.values()) {
            if (other.partition == except) {
                continue;
            }
            OwnedPartition.Entry entry = other.table.get(id);
            Claim candidate = entry != null ? entry.claim() : other.deletedAt.get(id);
            if (candidate != null && (newest == null || candidate.newerThan(newest))) {
                newest = candidate;
            }
        }
        return Optional.ofNullable(newest);
    }

    /** Every live registration of {@code id} in another owned partition is older than {@code winner}: it goes. */
    private void dropOlderElsewhere(String id, Claim winner, OwnedPartition trigger, long triggerOffset) {
        for (OwnedPartition other : owned.values()) {
            if (other.partition == trigger.partition) {
                continue;
            }
            OwnedPartition.Entry loser = other.table.remove(id);
            if (loser != null) {
                monitor.remove(id, other.partition); // its check, if it ran, belongs to the older registration
                duplicate(id, loser.claim(), winner, trigger, triggerOffset, id.getBytes(StandardCharsets.UTF_8), null);
            }
        }
    }

    /**
     * Reports an older registration of an id that is live elsewhere. Dead-lettered only when the
     * record that revealed the duplicate is new to the group, so a re-read does not repeat it; the
     * letter's value is null when the older record was read earlier (its bytes are at its source
     * coordinates).
     */
    private void duplicate(String id, Claim older, Claim newer, OwnedPartition trigger, long triggerOffset,
                           byte[] key, byte[] value) {
        duplicateIds.increment();
        log.warn("backend={} registered in two partitions: keeping {}-{}, dropping the older {}-{}", id, topic,
                newer.where(), topic, older.where());
        if (isNew(trigger, triggerOffset)) {
            String reason = "duplicate id: " + id + " is also " + (newer.tombstone() ? "deregistered" : "registered")
                    + " in " + topic + "-" + newer.where() + ", which is newer; one id has one registration";
            deadLetter(trigger, triggerOffset, new DeadLetter(id, key, value, reason, topic, older.partition(),
                    older.offset()));
        }
    }

    /** Pauses a partition with too many unacknowledged dead letters, resumes it when they drain. */
    private void holdPartitionsWaitingForDeadLetters() {
        Set<TopicPartition> assigned = consumer.assignment();
        pausedForDeadLetters.retainAll(assigned);
        for (OwnedPartition partition : owned.values()) {
            TopicPartition tp = new TopicPartition(topic, partition.partition);
            if (!assigned.contains(tp)) {
                continue;
            }
            int pending = partition.pendingDeadLetters.size();
            if (pending >= MAX_PENDING_DEAD_LETTERS && partition.snapshotTaken() && pausedForDeadLetters.add(tp)) {
                consumer.pause(List.of(tp));
                log.warn("partition={}-{} paused: {} dead letters not acknowledged yet", topic, partition.partition,
                        pending);
            } else if (pending <= MAX_PENDING_DEAD_LETTERS / 2 && pausedForDeadLetters.remove(tp)) {
                consumer.resume(List.of(tp));
                log.info("partition={}-{} resumed: dead letters acknowledged", topic, partition.partition);
            }
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
        int generation = consumer.groupMetadata().generationId();
        if (fenced && generation > 0 && generation != fencedGeneration) {
            fenced = false; // a member again, under a new generation
        }
        boolean allActive = !fenced && generation > 0;
        Set<TopicPartition> assigned = consumer.assignment();
        int events = eventPartitions.getAsInt();
        for (OwnedPartition partition : owned.values()) {
            // A partition on its way out (KIP-848 acknowledges revocations after the callback) is skipped.
            if (partition.phase == PartitionPhase.RESTORING && partition.snapshotTaken()
                    && assigned.contains(new TopicPartition(topic, partition.partition))
                    && restored(partition) && hasEventsPartition(partition, events)) {
                partition.moveTo(PartitionPhase.ACTIVE);
                partition.table.values().forEach(entry -> monitor.upsert(entry.registration(),
                        entry.settings(), entry.version(), partition.ownerEpoch, StartMode.BULK));
                long took = System.nanoTime() - partition.assignedAtNanos;
                restoreTime.record(took, TimeUnit.NANOSECONDS);
                log.info("partition={}-{} restored: backends={} epoch={} took={}ms", topic, partition.partition,
                        partition.table.size(), partition.ownerEpoch, TimeUnit.NANOSECONDS.toMillis(took));
            }
            allActive &= partition.phase == PartitionPhase.ACTIVE;
        }
        waitingForEvents.retainAll(owned.keySet());
        waitingForEventsSnapshot = Set.copyOf(waitingForEvents);
        ready = allActive;
        ownedCount.set(owned.size());
    }

    /**
     * Whether the partition has been read up to its end snapshot. Its position is asked without
     * waiting: a partition that lost its leader cannot answer, and must not hold up the others.
     */
    private boolean restored(OwnedPartition partition) {
        try {
            return consumer.position(new TopicPartition(topic, partition.partition),
                    Duration.ZERO) >= partition.endSnapshot;
        } catch (TimeoutException notKnownYet) {
            return false;
        }
    }

    /**
     * Whether {@code health-events} has the partition this registry partition's results go to. Its
     * checks do not start before: the producer would block every other backend on each of their
     * results (the registry grew at run time and the events topic did not).
     */
    private boolean hasEventsPartition(OwnedPartition partition, int eventPartitionCount) {
        if (partition.partition < eventPartitionCount) {
            if (waitingForEvents.remove(partition.partition)) {
                log.info("partition={}-{} has its health-events partition now: starting its checks", topic,
                        partition.partition);
            }
            return true;
        }
        if (waitingForEvents.add(partition.partition)) {
            log.error("partition={}-{} has no health-events partition {} ({} partitions): its {} backends are not "
                    + "checked until it exists; grow health-events to the registry's partition count "
                    + "(healthmon topics create does)", topic, partition.partition, partition.partition,
                    eventPartitionCount, partition.table.size());
        }
        return false;
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
                long position = consumer.position(tp, BLOCKING_CALL_TIMEOUT);
                OptionalLong unacknowledged = partition.lowestUnacknowledgedDeadLetter();
                // Never past a record whose dead letter Kafka has not acknowledged: the next owner must read it again.
                long upTo = unacknowledged.isPresent() ? Math.min(position, unacknowledged.getAsLong()) : position;
                if (upTo >= partition.committedOffset) {
                    offsets.put(tp, new OffsetAndMetadata(upTo));
                }
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
            int stoppedChecks = selfFence();
            // Written once the checks are stopped: nothing checked after this line is published.
            log.warn("commit fenced ({}): stopped {} checks until the group assigns partitions again", e.toString(),
                    stoppedChecks);
        } catch (RebalanceInProgressException e) {
            log.debug("commit skipped during rebalance");
        } catch (WakeupException e) {
            throw e; // the caller decides: shutting down, or a wakeup meant for poll()
        } catch (KafkaException e) {
            log.warn("commit failed, will retry: {}", e.toString());
        }
    }

    /** Stops every check and forgets every partition; returns how many checks were stopped. */
    private int selfFence() {
        int stoppedChecks = monitor.activeCount();
        monitor.stopAll();
        owned.values().forEach(p -> p.moveTo(PartitionPhase.REVOKED));
        owned.clear();
        fence();
        return stoppedChecks;
    }

    /** Not ready until the group has taken this instance back (see {@link #fenced}). */
    private void fence() {
        fenced = true;
        fencedGeneration = consumer.groupMetadata().generationId();
        ready = false;
    }

    private void shutdown() {
        int stoppedChecks = monitor.activeCount();
        monitor.stopAll();
        log.info("shutdown: stopped {} checks", stoppedChecks); // nothing checked after this line is published
        // Results of the stopped checks leave before the commit and the group leave (docs/design.md §5.4).
        publisher.flush(BLOCKING_CALL_TIMEOUT);
        try {
            commit(owned.values());
        } catch (WakeupException pending) {
            // close() woke the consumer after the loop had already seen `closing`: that wakeup was meant
            // for a poll, and it is used up now; the final commit still has to happen.
            try {
                commit(owned.values());
            } catch (RuntimeException e) {
                log.warn("final commit failed: {}", e.toString());
            }
        } catch (RuntimeException e) {
            log.warn("final commit failed: {}", e.toString());
        }
        owned.clear();
        ready = false;
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
            fenced = false; // a member of the group again
            // No blocking call here: one that times out would escape poll() and end the loop.
            if (!partitions.isEmpty()) {
                startRestore(partitions);
                if (pollingLong && !wakeupOwed) {
                    // poll() would go on waiting with the new partitions paused: end it, snapshot their ends now.
                    wakeupOwed = true;
                    consumer.wakeup();
                }
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
            fence(); // no longer a member: owning nothing now must not read as a ready surplus instance
        }

        private void release(Collection<TopicPartition> partitions, String why) {
            for (TopicPartition tp : partitions) {
                OwnedPartition partition = owned.remove(tp.partition());
                // A hold for dead letters is its owner's: if the partition comes back in the same rebalance,
                // a stale hold would resume it before its end snapshot, when records still look new.
                pausedForDeadLetters.remove(tp);
                if (partition != null) {
                    int stoppedChecks = monitor.stopPartition(tp.partition());
                    log.info("partition={}-{} {}: stopped {} checks", topic, tp.partition(), why, stoppedChecks);
                    partition.moveTo(PartitionPhase.REVOKED);
                }
            }
        }
    }
}
