package dev.healthmon.registry;

import static dev.healthmon.registry.MockRegistry.P0;
import static dev.healthmon.registry.MockRegistry.P1;
import static dev.healthmon.registry.MockRegistry.TOPIC;
import static dev.healthmon.registry.MockRegistry.invalid;
import static dev.healthmon.registry.MockRegistry.record;
import static dev.healthmon.registry.MockRegistry.registration;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.healthmon.events.DeadLetterRecords;
import dev.healthmon.events.HealthEventPublisher;
import dev.healthmon.registration.RegistrationVersion;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
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

    private final MockRegistry mock = new MockRegistry();
    private final MockRegistry.RecordingConsumer consumer = mock.consumer;
    private final MockRegistry.ManualSink sink = mock.sink;
    private final RegistryConsumer registry = mock.registry;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void captureLogs() {
        logs.start();
        ((Logger) LoggerFactory.getLogger(RegistryConsumer.class)).addAppender(logs);
    }

    @AfterEach
    void close() {
        ((Logger) LoggerFactory.getLogger(RegistryConsumer.class)).detachAppender(logs);
        mock.close();
    }

    @Test
    void commitsNeverPassARecordWhoseDeadLetterIsNotAcknowledged() {
        registry.start();
        mock.assign(List.of(P0), List.of(
                record(P0, 0, 1000, "a", registration("a", "http://a.test/")),
                record(P0, 1, 1000, "bad", invalid("bad")),
                record(P0, 2, 1000, "b", registration("b", "http://b.test/"))));

        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.lastCommitted(P0) == 1);
        assertThat(mock.checks()).containsOnlyKeys("a", "b");
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
        mock.assign(List.of(P0, P1), List.of(
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
        mock.assign(List.of(P0), bad);
        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.paused().contains(P0));

        int next = RegistryConsumer.MAX_PENDING_DEAD_LETTERS;
        assertThat(mock.checksAfter(record(P0, next, 1000, "held", registration("held", "http://held.test/"))))
                .doesNotContainKey("held");

        sink.acks.subList(0, next / 2).forEach(ack -> ack.complete(null));

        await().atMost(Duration.ofSeconds(10)).until(() -> !consumer.paused().contains(P0));
        consumer.scheduleNopPollTask(); // the poll that hands out the held record; the next one reads the checks
        assertThat(mock.checksNow()).containsKey("held");
    }

    @Test
    void aReReadPartitionDoesNotDeadLetterAnAcknowledgedRecordTwice() {
        registry.start();
        List<ConsumerRecord<byte[], byte[]>> records = List.of(
                record(P0, 0, 1000, "bad", invalid("bad")),
                record(P0, 1, 1000, "a", registration("a", "http://a.test/")));
        mock.assign(List.of(P0), records);
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.letters.size() == 1);
        sink.acks.get(0).complete(null);
        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.lastCommitted(P0) == 2);

        mock.revokeAll();
        mock.assign(List.of(P0), records);

        assertThat(mock.checks()).containsOnlyKeys("a");
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
        mock.assign(List.of(P0), records);
        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.lastCommitted(P0) == 1);

        mock.revokeAll();
        mock.assign(List.of(P0), records);

        await().atMost(Duration.ofSeconds(10)).until(() -> sink.letters.size() == 2);
        assertThat(sink.letters).allSatisfy(l -> assertThat(l.sourceOffset()).isEqualTo(1));
        assertThat(consumer.lastCommitted(P0)).isEqualTo(1);
    }

    @Test
    void anIdLiveInTwoPartitionsIsCheckedOnceFromTheNewerAndTheOlderIsDeadLettered() {
        registry.start();
        mock.assign(List.of(P0, P1), List.of(
                record(P0, 0, 2000, "dup", registration("dup", "http://newer.test/")),
                record(P1, 0, 1000, "dup", registration("dup", "http://older.test/"))));

        assertThat(mock.checks()).containsOnlyKeys("dup");
        assertThat(mock.checks().get("dup").version()).isEqualTo(new RegistrationVersion(0, 0));
        assertThat(mock.counter("healthmon.registry.duplicate.ids")).isEqualTo(1);
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
        mock.assign(List.of(P0, P1), List.of(
                record(P1, 0, 1000, "dup", registration("dup", "http://one.test/")),
                record(P0, 0, 1000, "dup", registration("dup", "http://zero.test/"))));

        assertThat(mock.checks().get("dup").version().partition()).isEqualTo(1);
        assertThat(sink.letters).singleElement().satisfies(l -> assertThat(l.sourcePartition()).isEqualTo(0));
    }

    @Test
    void whenTheNewerRegistrationIsDeletedTheOlderOneIsNotResurrected() {
        registry.start();
        mock.assign(List.of(P0, P1), List.of(
                record(P0, 0, 2000, "dup", registration("dup", "http://newer.test/")),
                record(P1, 0, 1000, "dup", registration("dup", "http://older.test/"))));
        assertThat(mock.checks()).containsOnlyKeys("dup");

        assertThat(mock.checksAfter(record(P0, 1, 3000, "dup", null))).isEmpty();
        assertThat(mock.checksAfter(record(P0, 2, 3000, "marker", registration("marker", "http://marker.test/"))))
                .containsOnlyKeys("marker");
    }

    @Test
    void afterARestartTheOlderRegistrationStaysOutWhenTheNewerOneWasDeleted() {
        registry.start();
        mock.assign(List.of(P0, P1), List.of(
                record(P0, 0, 2000, "dup", registration("dup", "http://newer.test/")),
                record(P0, 1, 3000, "dup", null),
                record(P1, 0, 1000, "dup", registration("dup", "http://older.test/"))));

        assertThat(mock.checks()).isEmpty();
    }

    @Test
    void aTombstoneInAnotherPartitionOlderThanTheRegistrationDoesNotStopItsCheck() {
        // What `healthmon register` writes: tombstones to the other partitions first, then the
        // registration; a monitor may read them in either order.
        registry.start();
        mock.assign(List.of(P0, P1), List.of(record(P0, 0, 1001, "api", registration("api", "http://api.test/"))));
        assertThat(mock.checks()).containsOnlyKeys("api");

        assertThat(mock.checksAfter(record(P1, 0, 1000, "api", null))).containsOnlyKeys("api");
        assertThat(sink.letters).isEmpty();
        assertThat(mock.counter("healthmon.registry.duplicate.ids")).isZero();
    }

    @Test
    void aTombstoneInAPartitionWhereTheIdDoesNotLiveLeavesItsRegistrationInForce() {
        // `register` updating a backend: tombstones to the other partitions (newer than the
        // registration in force), then the new registration in its own partition.
        registry.start();
        mock.assign(List.of(P0, P1), List.of(record(P0, 0, 1000, "api", registration("api", "http://api.test/"))));
        long generation = mock.checks().get("api").generation();

        assertThat(mock.checksAfter(record(P1, 0, 2000, "api", null))).containsOnlyKeys("api");
        assertThat(mock.checksAfter(record(P0, 1, 2001, "api", registration("api", "http://api.test/"))))
                .hasEntrySatisfying("api", c -> assertThat(c.generation()).as("the same check goes on")
                        .isEqualTo(generation));
        assertThat(sink.letters).isEmpty();
    }

    @Test
    void aDuplicateIsNotReportedAgainWhenThePartitionsAreReRead() {
        registry.start();
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>(List.of(
                record(P0, 0, 2000, "dup", registration("dup", "http://newer.test/")),
                record(P1, 0, 1000, "dup", registration("dup", "http://older.test/"))));
        mock.assign(List.of(P0, P1), records);
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.letters.size() == 1);
        sink.acks.get(0).complete(null);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> consumer.lastCommitted(P0) == 1 && consumer.lastCommitted(P1) == 1);

        mock.revokeAll();
        mock.assign(List.of(P0, P1), records);

        assertThat(mock.checks()).containsOnlyKeys("dup");
        assertThat(mock.checks().get("dup").version().partition()).isZero();
        assertThat(sink.letters).hasSize(1);
    }
}
