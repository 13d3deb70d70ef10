package dev.healthmon.registry;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.healthmon.events.DeadLetter;
import dev.healthmon.events.DeadLetterRecords;
import dev.healthmon.events.DeadLetterSink;
import dev.healthmon.events.HealthEventPublisher;
import dev.healthmon.monitor.ActiveCheck;
import dev.healthmon.monitor.CheckContext;
import dev.healthmon.monitor.HealthMonitor;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.support.FakeProbe;
import dev.healthmon.support.ManualScheduler;
import dev.healthmon.support.Registrations;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The registry consumer's dead-letter and one-registration rules, driven through Kafka's
 * {@link MockConsumer} on the consumer's own poll thread; the test decides when the dead-letter
 * topic acknowledges.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RegistryConsumerTest {

    private static final String TOPIC = "registry";
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);

    /** Keeps every commit, so a test can prove a commit never went past a point. */
    private static final class RecordingConsumer extends MockConsumer<byte[], byte[]> {
        final List<Map<TopicPartition, OffsetAndMetadata>> commits = new CopyOnWriteArrayList<>();

        RecordingConsumer() {
            super("earliest");
        }

        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
            commits.add(Map.copyOf(offsets));
            super.commitSync(offsets, timeout);
        }

        long lastCommitted(TopicPartition tp) {
            OffsetAndMetadata done = committed(Set.of(tp)).get(tp);
            return done == null ? -1 : done.offset();
        }
    }

    /** A dead-letter sink whose acknowledgements the test gives. */
    private static final class ManualSink implements DeadLetterSink {
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

    private final RecordingConsumer consumer = new RecordingConsumer();
    private final ManualSink sink = new ManualSink();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final HealthMonitor monitor = new HealthMonitor(CheckContext.of("m1", new FakeProbe(),
            new ManualScheduler(), e -> { }).withRandom(() -> 0.5));
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final RegistryConsumer registry = new RegistryConsumer(consumer, TOPIC, Registrations.CODEC, monitor, sink,
            Duration.ZERO, meters);

    @BeforeEach
    void topic() {
        logs.start();
        ((Logger) LoggerFactory.getLogger(RegistryConsumer.class)).addAppender(logs);
        Node node = new Node(0, "localhost", 9092);
        consumer.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, node, null, null),
                new PartitionInfo(TOPIC, 1, node, null, null)));
        consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
    }

    @AfterEach
    void close() {
        ((Logger) LoggerFactory.getLogger(RegistryConsumer.class)).detachAppender(logs);
        registry.close(Duration.ofSeconds(5));
    }

    private static ConsumerRecord<byte[], byte[]> record(TopicPartition tp, long offset, long timestamp, String key,
                                                         byte[] value) {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        return new ConsumerRecord<>(TOPIC, tp.partition(), offset, timestamp, TimestampType.CREATE_TIME,
                keyBytes.length, value == null ? -1 : value.length, keyBytes, value, new RecordHeaders(),
                Optional.empty());
    }

    private static byte[] registration(String id, String url) {
        return bytes(json(id, url));
    }

    private static byte[] invalid(String id) {
        return ("{\"schemaVersion\":1,\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    /** Assigns {@code partitions} holding {@code records} (on the poll thread), and waits until they are restored. */
    private void assign(Collection<TopicPartition> partitions, List<ConsumerRecord<byte[], byte[]>> records) {
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
    }

    private void revokeAll() {
        consumer.schedulePollTask(() -> consumer.rebalance(List.of()));
        await().atMost(Duration.ofSeconds(10)).until(() -> owned() == 0 && consumer.assignment().isEmpty());
    }

    private int owned() {
        return (int) meters.get("healthmon.partitions.owned").gauge().value();
    }

    private Map<String, ActiveCheck> checks() {
        return monitor.snapshot();
    }

    /**
     * Adds {@code record} on the poll thread, lets the loop apply it, then reads the checks on the
     * poll thread (the published snapshot is refreshed at most once a second of the manual clock).
     */
    private Map<String, ActiveCheck> checksAfter(ConsumerRecord<byte[], byte[]> record) {
        CompletableFuture<Map<String, ActiveCheck>> seen = new CompletableFuture<>();
        consumer.schedulePollTask(() -> consumer.addRecord(record));
        consumer.schedulePollTask(() -> seen.complete(monitor.snapshotNow()));
        return seen.orTimeout(10, TimeUnit.SECONDS).join();
    }

    private double counter(String name) {
        return meters.get(name).counter().count();
    }

    @Test
    void commitsNeverPassARecordWhoseDeadLetterIsNotAcknowledged() {
        registry.start();
        assign(List.of(P0), List.of(
                record(P0, 0, 1000, "a", registration("a", "http://a.test/")),
                record(P0, 1, 1000, "bad", invalid("bad")),
                record(P0, 2, 1000, "b", registration("b", "http://b.test/"))));

        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.lastCommitted(P0) == 1);
        assertThat(checks()).containsOnlyKeys("a", "b");
        assertThat(sink.letters).singleElement().satisfies(l -> assertThat(l.sourceOffset()).isEqualTo(1));
        int commitsBeforeAck = consumer.commits.size();

        sink.acks.get(0).complete(null);

        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.lastCommitted(P0) == 3);
        assertThat(List.copyOf(consumer.commits).subList(0, commitsBeforeAck)).as("commits before the acknowledgement")
                .allSatisfy(c -> assertThat(c.get(P0).offset()).isLessThanOrEqualTo(1));
    }

    @Test
    void anInvalidRecordGoesToTheDeadLetterTopicAsItCameWithEveryDocumentedHeaderNamingItsSource() throws Exception {
        registry.start();
        byte[] value = invalid("bad");
        assign(List.of(P0, P1), List.of(
                record(P1, 0, 1000, "a", registration("a", "http://a.test/")),
                record(P1, 1, 1000, "b", registration("b", "http://b.test/")),
                record(P1, 2, 1000, "bad", value)));
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.letters.size() == 1);

        ProducerRecord<byte[], byte[]> letter = DeadLetterRecords.toRecord(sink.letters.get(0), "registry-dlq",
                HealthEventPublisher.DEFAULT_RECORD_LIMIT);

        assertThat(letter.key()).isEqualTo("bad".getBytes(StandardCharsets.UTF_8));
        assertThat(letter.value()).isEqualTo(value);
        // The names README.md documents for an operator's kcat, not the constants: renaming one breaks them.
        assertThat(header(letter, "healthmon.source.topic")).isEqualTo(TOPIC);
        assertThat(header(letter, "healthmon.source.partition")).isEqualTo("1");
        assertThat(header(letter, "healthmon.source.offset")).isEqualTo("2");
        assertThat(header(letter, "healthmon.error")).isEqualTo(sink.letters.get(0).error()).isNotBlank();
        assertThat(header(letter, "healthmon.original.size")).isEqualTo(Integer.toString(value.length));
        assertThat(header(letter, "healthmon.original.sha256"))
                .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value)));
        assertThat(letter.headers().lastHeader("healthmon.truncated")).as("it fits: not cut").isNull();
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        assertThat(header).as("header %s", name).isNotNull();
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    @Test
    void aPartitionWithTooManyUnacknowledgedDeadLettersStopsFetchingUntilTheyDrain() {
        registry.start();
        List<ConsumerRecord<byte[], byte[]>> bad = new ArrayList<>();
        for (int i = 0; i < RegistryConsumer.MAX_PENDING_DEAD_LETTERS; i++) {
            bad.add(record(P0, i, 1000, "bad-" + i, invalid("bad-" + i)));
        }
        assign(List.of(P0), bad);
        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.paused().contains(P0));

        int next = RegistryConsumer.MAX_PENDING_DEAD_LETTERS;
        assertThat(checksAfter(record(P0, next, 1000, "held", registration("held", "http://held.test/"))))
                .doesNotContainKey("held");

        sink.acks.subList(0, next / 2).forEach(ack -> ack.complete(null));

        await().atMost(Duration.ofSeconds(10)).until(() -> !consumer.paused().contains(P0));
        CompletableFuture<Map<String, ActiveCheck>> seen = new CompletableFuture<>();
        consumer.schedulePollTask(() -> { });
        consumer.schedulePollTask(() -> seen.complete(monitor.snapshotNow()));
        assertThat(seen.orTimeout(10, TimeUnit.SECONDS).join()).containsKey("held");
    }

    @Test
    void aReReadPartitionDoesNotDeadLetterAnAcknowledgedRecordTwice() {
        registry.start();
        List<ConsumerRecord<byte[], byte[]>> records = List.of(
                record(P0, 0, 1000, "bad", invalid("bad")),
                record(P0, 1, 1000, "a", registration("a", "http://a.test/")));
        assign(List.of(P0), records);
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.letters.size() == 1);
        sink.acks.get(0).complete(null);
        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.lastCommitted(P0) == 2);

        revokeAll();
        assign(List.of(P0), records);

        assertThat(checks()).containsOnlyKeys("a");
        assertThat(sink.letters).hasSize(1);
        // Not dead-lettered again, but not silent: a record the rules refuse since a restart says so.
        assertThat(List.copyOf(logs.list)).anySatisfy(e -> assertThat(e.getFormattedMessage())
                .contains("backend=bad registration at registry-0@0 is invalid and not checked"));
    }

    @Test
    void aRecordWhoseDeadLetterWasNeverAcknowledgedIsDeadLetteredAgainByTheNextOwner() {
        registry.start();
        List<ConsumerRecord<byte[], byte[]>> records = List.of(
                record(P0, 0, 1000, "a", registration("a", "http://a.test/")),
                record(P0, 1, 1000, "bad", invalid("bad")));
        assign(List.of(P0), records);
        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.lastCommitted(P0) == 1);

        revokeAll();
        assign(List.of(P0), records);

        await().atMost(Duration.ofSeconds(10)).until(() -> sink.letters.size() == 2);
        assertThat(sink.letters).allSatisfy(l -> assertThat(l.sourceOffset()).isEqualTo(1));
        assertThat(consumer.lastCommitted(P0)).isEqualTo(1);
    }

    @Test
    void anIdLiveInTwoPartitionsIsCheckedOnceFromTheNewerAndTheOlderIsDeadLettered() {
        registry.start();
        assign(List.of(P0, P1), List.of(
                record(P0, 0, 2000, "dup", registration("dup", "http://newer.test/")),
                record(P1, 0, 1000, "dup", registration("dup", "http://older.test/"))));

        assertThat(checks()).containsOnlyKeys("dup");
        assertThat(checks().get("dup").version()).isEqualTo(new RegistrationVersion(0, 0));
        assertThat(counter("healthmon.registry.duplicate.ids")).isEqualTo(1);
        assertThat(sink.letters).singleElement().satisfies(letter -> {
            assertThat(letter.sourcePartition()).isEqualTo(1);
            assertThat(letter.sourceOffset()).isEqualTo(0);
            assertThat(letter.error()).contains("duplicate id").contains(TOPIC + "-0@0");
        });
        assertThat(logs.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
                .contains("backend=dup registered in two partitions")
                .contains(TOPIC + "-0@0").contains(TOPIC + "-1@0"));
    }

    @Test
    void onEqualTimestampsTheRegistrationInTheHigherPartitionWins() {
        registry.start();
        assign(List.of(P0, P1), List.of(
                record(P1, 0, 1000, "dup", registration("dup", "http://one.test/")),
                record(P0, 0, 1000, "dup", registration("dup", "http://zero.test/"))));

        assertThat(checks().get("dup").version().partition()).isEqualTo(1);
        assertThat(sink.letters).singleElement().satisfies(l -> assertThat(l.sourcePartition()).isEqualTo(0));
    }

    @Test
    void whenTheNewerRegistrationIsDeletedTheOlderOneIsNotResurrected() {
        registry.start();
        assign(List.of(P0, P1), List.of(
                record(P0, 0, 2000, "dup", registration("dup", "http://newer.test/")),
                record(P1, 0, 1000, "dup", registration("dup", "http://older.test/"))));
        assertThat(checks()).containsOnlyKeys("dup");

        assertThat(checksAfter(record(P0, 1, 3000, "dup", null))).isEmpty();
        assertThat(checksAfter(record(P0, 2, 3000, "marker", registration("marker", "http://marker.test/"))))
                .containsOnlyKeys("marker");
    }

    @Test
    void afterARestartTheOlderRegistrationStaysOutWhenTheNewerOneWasDeleted() {
        registry.start();
        assign(List.of(P0, P1), List.of(
                record(P0, 0, 2000, "dup", registration("dup", "http://newer.test/")),
                record(P0, 1, 3000, "dup", null),
                record(P1, 0, 1000, "dup", registration("dup", "http://older.test/"))));

        assertThat(checks()).isEmpty();
    }

    @Test
    void aTombstoneInAnotherPartitionOlderThanTheRegistrationDoesNotStopItsCheck() {
        // What `healthmon register` writes: tombstones to the other partitions first, then the
        // registration; a monitor may read them in either order.
        registry.start();
        assign(List.of(P0, P1), List.of(record(P0, 0, 1001, "api", registration("api", "http://api.test/"))));
        assertThat(checks()).containsOnlyKeys("api");

        assertThat(checksAfter(record(P1, 0, 1000, "api", null))).containsOnlyKeys("api");
        assertThat(sink.letters).isEmpty();
        assertThat(counter("healthmon.registry.duplicate.ids")).isZero();
    }

    @Test
    void aTombstoneInAPartitionWhereTheIdDoesNotLiveLeavesItsRegistrationInForce() {
        // `register` updating a backend: tombstones to the other partitions (newer than the
        // registration in force), then the new registration in its own partition.
        registry.start();
        assign(List.of(P0, P1), List.of(record(P0, 0, 1000, "api", registration("api", "http://api.test/"))));
        long generation = checks().get("api").generation();

        assertThat(checksAfter(record(P1, 0, 2000, "api", null))).containsOnlyKeys("api");
        assertThat(checksAfter(record(P0, 1, 2001, "api", registration("api", "http://api.test/")))).hasEntrySatisfying(
                "api", c -> assertThat(c.generation()).as("the same check goes on").isEqualTo(generation));
        assertThat(sink.letters).isEmpty();
    }

    @Test
    void aDuplicateIsNotReportedAgainWhenThePartitionsAreReRead() {
        registry.start();
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>(List.of(
                record(P0, 0, 2000, "dup", registration("dup", "http://newer.test/")),
                record(P1, 0, 1000, "dup", registration("dup", "http://older.test/"))));
        assign(List.of(P0, P1), records);
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.letters.size() == 1);
        sink.acks.get(0).complete(null);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> consumer.lastCommitted(P0) == 1 && consumer.lastCommitted(P1) == 1);

        revokeAll();
        assign(List.of(P0, P1), records);

        assertThat(checks()).containsOnlyKeys("dup");
        assertThat(checks().get("dup").version().partition()).isZero();
        assertThat(sink.letters).hasSize(1);
    }
}
