package dev.healthmon.registry;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.events.DeadLetter;
import dev.healthmon.events.DeadLetterSink;
import dev.healthmon.monitor.ActiveCheck;
import dev.healthmon.monitor.CheckContext;
import dev.healthmon.monitor.HealthMonitor;
import dev.healthmon.probe.Probe;
import dev.healthmon.probe.ProbeResult;
import dev.healthmon.probe.ProbeSession;
import dev.healthmon.registration.BackendRegistration;
import dev.healthmon.registration.CheckSettings;
import dev.healthmon.support.ManualScheduler;
import dev.healthmon.support.Registrations;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;

/**
 * A {@link RegistryConsumer} on Kafka's {@link MockConsumer}, with the helpers its unit tests drive
 * it by. The consumer runs on its own poll thread; a test acts on that thread through poll tasks
 * (each {@code poll()} runs at most one, in the order scheduled) and never waits on a clock.
 *
 * <p><b>Journal.</b> {@link #journal} lists, in the order they happened on the poll thread, the
 * rebalance callbacks and their return ({@code "revoked [registry-1]"} … {@code "revoked returned"};
 * an assignment of nothing new is left out),
 * each record {@code poll()} handed out ({@code "polled registry-0@3"}), commits
 * ({@code "committed registry-0@4"}) and checks started and stopped ({@code "check started a"}). A
 * check is named by its {@code healthCheck.path}, which {@link #registration} sets to {@code /<id>}:
 * a probe sees a check's settings, not its backend. A check opens its probe session when it starts
 * and closes it when it stops, so the session is where both are seen. Commits the loop repeats
 * unchanged are journaled once; every commit made inside a rebalance callback is journaled.
 */
final class MockRegistry implements AutoCloseable {

    static final String TOPIC = "registry";
    static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    static final TopicPartition P1 = new TopicPartition(TOPIC, 1);
    private static final Comparator<TopicPartition> BY_PARTITION = Comparator.comparingInt(TopicPartition::partition);

    final List<String> journal = new CopyOnWriteArrayList<>();
    final RecordingConsumer consumer = new RecordingConsumer();
    final ManualSink sink = new ManualSink();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final HealthMonitor monitor = new HealthMonitor(
            CheckContext.of("m1", new JournalingProbe(), new ManualScheduler(), e -> { }).withRandom(() -> 0.5));
    final RegistryConsumer registry;

    /**
     * A two-partition registry, both partitions starting at offset 0; not started yet. It commits
     * every loop turn, so that a commit can be caught passing a record it must not pass.
     */
    MockRegistry() {
        this(Duration.ZERO);
    }

    /** As above, committing every {@code commitInterval}. */
    MockRegistry(Duration commitInterval) {
        registry = new RegistryConsumer(consumer, TOPIC, Registrations.CODEC, monitor, sink, commitInterval, meters);
        Node node = new Node(0, "localhost", 9092);
        consumer.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, node, null, null),
                new PartitionInfo(TOPIC, 1, node, null, null)));
        consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
    }

    @Override
    public void close() {
        registry.close(Duration.ofSeconds(5));
    }

    /**
     * A consumer of which some partitions can lose their leader: their end offsets never come (the timeout a real
     * consumer meets), the others answer.
     */
    static class LeaderlessPartitionsConsumer extends MockConsumer<byte[], byte[]> {
        private final Set<TopicPartition> leaderless = ConcurrentHashMap.newKeySet();

        LeaderlessPartitionsConsumer() {
            super("earliest");
        }

        /** {@code partition} has no leader ({@code true}) or a new one was elected ({@code false}). */
        void leaderless(TopicPartition partition, boolean noLeader) {
            if (noLeader) {
                leaderless.add(partition);
            } else {
                leaderless.remove(partition);
            }
        }

        @Override
        public synchronized Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions,
                                                                 Duration timeout) {
            if (partitions.stream().anyMatch(leaderless::contains)) {
                throw new TimeoutException("Failed to get offsets by times in " + timeout.toMillis() + "ms");
            }
            return super.endOffsets(partitions, timeout);
        }
    }

    /**
     * Keeps every commit, so a test can prove a commit never went past a point; journals records,
     * commits and rebalance callbacks; and can lose partitions the way a member whose session expired
     * does.
     */
    final class RecordingConsumer extends MockConsumer<byte[], byte[]> {
        final List<Map<TopicPartition, OffsetAndMetadata>> commits = new CopyOnWriteArrayList<>();
        // Poll thread only.
        private final Map<TopicPartition, Long> lastJournaledCommit = new HashMap<>();
        private JournalingListener listener;

        /** Calls of {@link #wakeup()}: close() makes one, and so does an assignment during a long poll. */
        final AtomicInteger wakeups = new AtomicInteger();

        RecordingConsumer() {
            super("earliest");
        }

        @Override
        public void wakeup() {
            wakeups.incrementAndGet();
            super.wakeup();
        }

        @Override
        public void subscribe(Collection<String> topics, ConsumerRebalanceListener callbacks) {
            listener = new JournalingListener(callbacks);
            super.subscribe(topics, listener);
        }

        @Override
        public ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
            ConsumerRecords<byte[], byte[]> records = super.poll(timeout);
            records.forEach(r -> journal.add("polled " + TOPIC + "-" + r.partition() + "@" + r.offset()));
            return records;
        }

        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
            commits.add(Map.copyOf(offsets));
            super.commitSync(offsets, timeout);
            boolean inCallback = listener != null && listener.inCallback;
            offsets.entrySet().stream().sorted(Map.Entry.comparingByKey(BY_PARTITION)).forEach(e -> {
                Long last = lastJournaledCommit.put(e.getKey(), e.getValue().offset());
                if (inCallback || last == null || last != e.getValue().offset()) {
                    journal.add("committed " + e.getKey() + "@" + e.getValue().offset());
                }
            });
        }

        /** A commit an earlier owner made; not journaled. In a poll task: subscribing forgets commits. */
        void committedByEarlierOwner(TopicPartition tp, long offset) {
            super.commitSync(Map.of(tp, new OffsetAndMetadata(offset)));
        }

        long lastCommitted(TopicPartition tp) {
            OffsetAndMetadata done = committed(Set.of(tp)).get(tp);
            return done == null ? -1 : done.offset();
        }

        /**
         * What the group does to a member whose session expired: {@code onPartitionsLost}, then the
         * partitions are gone with no revocation. Poll thread only (in a poll task).
         */
        void lose(Collection<TopicPartition> lost) {
            listener.onPartitionsLost(lost);
            Set<TopicPartition> kept = new HashSet<>(assignment());
            kept.removeAll(lost);
            listener.silent = true;
            try {
                rebalance(kept);
            } finally {
                listener.silent = false;
            }
        }
    }

    /** Journals each callback, and the return of those that must finish their work before they return. */
    private final class JournalingListener implements ConsumerRebalanceListener {
        private final ConsumerRebalanceListener inner;
        // Poll thread only.
        boolean inCallback;
        /** Set while {@link RecordingConsumer#lose} removes lost partitions: they are not revoked. */
        boolean silent;

        JournalingListener(ConsumerRebalanceListener inner) {
            this.inner = inner;
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) { // every rebalance calls it, also with nothing new
                journal.add("assigned " + sorted(partitions));
            }
            inner.onPartitionsAssigned(partitions);
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (!silent) {
                around("revoked", partitions, () -> inner.onPartitionsRevoked(partitions));
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            around("lost", partitions, () -> inner.onPartitionsLost(partitions));
        }

        private void around(String callback, Collection<TopicPartition> partitions, Runnable body) {
            journal.add(callback + " " + sorted(partitions));
            inCallback = true;
            try {
                body.run();
            } finally {
                inCallback = false;
            }
            journal.add(callback + " returned");
        }

        private static List<TopicPartition> sorted(Collection<TopicPartition> partitions) {
            return partitions.stream().sorted(BY_PARTITION).toList();
        }
    }

    /** Journals when a check starts and stops; its checks never run (the scheduler is never advanced). */
    private final class JournalingProbe implements Probe {
        @Override
        public CompletableFuture<ProbeResult> check(BackendRegistration registration, CheckSettings settings) {
            return new CompletableFuture<>();
        }

        @Override
        public ProbeSession openSession(CheckSettings settings) {
            String name = settings.path().isEmpty() ? "(no path)" : settings.path().substring(1);
            journal.add("check started " + name);
            return new ProbeSession() {
                private boolean closed;

                @Override
                public CompletableFuture<ProbeResult> check(BackendRegistration registration) {
                    return new CompletableFuture<>();
                }

                @Override
                public void close() {
                    if (!closed) {
                        closed = true;
                        journal.add("check stopped " + name);
                    }
                }
            };
        }
    }

    /** A dead-letter sink whose acknowledgements the test gives. */
    static final class ManualSink implements DeadLetterSink {
        final List<DeadLetter> letters = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<Void>> acks = new CopyOnWriteArrayList<>();

        @Override
        public CompletableFuture<Void> deadLetter(DeadLetter letter) {
            CompletableFuture<Void> ack = new CompletableFuture<>();
            letters.add(letter);
            acks.add(ack);
            return ack;
        }

        @Override
        public boolean flush(Duration timeout) {
            return true;
        }
    }

    /** A dead-letter topic that acknowledges every letter at once. */
    static final class AcknowledgingSink implements DeadLetterSink {
        @Override
        public CompletableFuture<Void> deadLetter(DeadLetter letter) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public boolean flush(Duration timeout) {
            return true;
        }
    }

    /** {@code consumer} sees the registry as two partitions, each holding one record (offset 0). */
    static void describeTwoPartitions(MockConsumer<byte[], byte[]> consumer) {
        Node node = new Node(0, "localhost", 9092);
        consumer.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, node, null, null),
                new PartitionInfo(TOPIC, 1, node, null, null)));
        consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
        consumer.updateEndOffsets(Map.of(P0, 1L, P1, 1L));
    }

    /** A valid registration of {@code id} at offset 0 of {@code tp}. */
    static ConsumerRecord<byte[], byte[]> registrationAt(TopicPartition tp, String id) {
        return new ConsumerRecord<>(TOPIC, tp.partition(), 0, id.getBytes(StandardCharsets.UTF_8),
                bytes(json(id, "http://" + id + ".test/")));
    }

    static ConsumerRecord<byte[], byte[]> record(TopicPartition tp, long offset, long timestamp, String key,
                                                 byte[] value) {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        return new ConsumerRecord<>(TOPIC, tp.partition(), offset, timestamp, TimestampType.CREATE_TIME,
                keyBytes.length, value == null ? -1 : value.length, keyBytes, value, new RecordHeaders(),
                Optional.empty());
    }

    /** A valid registration whose check the journal names {@code id} (its {@code healthCheck.path} is {@code /id}). */
    static byte[] registration(String id, String url) {
        return bytes(json(id, url, root -> ((ObjectNode) root.get("healthCheck")).put("path", "/" + id)));
    }

    static byte[] invalid(String id) {
        return ("{\"schemaVersion\":1,\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Assigns {@code partitions} holding {@code records} (on the poll thread), waits until they are
     * restored, and then for the end of that loop turn (its commit).
     */
    void assign(Collection<TopicPartition> partitions, List<ConsumerRecord<byte[], byte[]>> records) {
        Map<TopicPartition, Long> ends = new HashMap<>();
        partitions.forEach(tp -> ends.put(tp, 0L));
        records.forEach(r -> ends.merge(new TopicPartition(TOPIC, r.partition()), r.offset() + 1, Math::max));
        consumer.updateEndOffsets(ends);
        consumer.schedulePollTask(() -> {
            consumer.rebalance(partitions);
            records.forEach(consumer::addRecord);
        });
        // Owned count first: it is set after `ready` in the same loop, so a ready read after it is this assignment's.
        await().atMost(Duration.ofSeconds(10)).until(() -> owned() == partitions.size() && registry.ready());
        onPollThread(() -> { });
    }

    void revokeAll() {
        consumer.schedulePollTask(() -> consumer.rebalance(List.of()));
        await().atMost(Duration.ofSeconds(10)).until(() -> owned() == 0 && consumer.assignment().isEmpty());
    }

    /**
     * Runs {@code action} on the poll thread and returns once it has run: everything the loop did
     * before that poll (applying records, starting checks, committing) is done by then.
     */
    void onPollThread(Runnable action) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        consumer.schedulePollTask(() -> {
            action.run();
            done.complete(null);
        });
        done.orTimeout(10, TimeUnit.SECONDS).join();
    }

    int owned() {
        return (int) meters.get("healthmon.partitions.owned").gauge().value();
    }

    /** The checks now, read on the test's thread. */
    Map<String, ActiveCheck> checks() {
        return monitor.snapshot();
    }

    /** The checks once the poll thread has finished its current turn, read on that thread. */
    Map<String, ActiveCheck> checksNow() {
        CompletableFuture<Map<String, ActiveCheck>> seen = new CompletableFuture<>();
        consumer.schedulePollTask(() -> seen.complete(monitor.snapshot()));
        return seen.orTimeout(10, TimeUnit.SECONDS).join();
    }

    /**
     * Adds {@code record} on the poll thread, lets the loop apply it, then reads the checks on the
     * poll thread.
     */
    Map<String, ActiveCheck> checksAfter(ConsumerRecord<byte[], byte[]> record) {
        consumer.schedulePollTask(() -> consumer.addRecord(record));
        return checksNow();
    }

    double counter(String name) {
        return meters.get(name).counter().count();
    }
}
