package dev.healthmon.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.support.HealthEvents;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the publisher promises under faults: nothing lost to a failed send, no partition or flush holding up the rest.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthEventPublisherTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final AtomicInteger eventPartitions = new AtomicInteger(3);
    private HealthEventPublisher publisher;

    @AfterEach
    void close() {
        if (publisher != null) {
            publisher.close(Duration.ofSeconds(1));
        }
    }

    private HealthEventPublisher start(MockProducer<byte[], byte[]> producer) {
        publisher = new HealthEventPublisher(producer, "health-events", "backend-registry-dlq",
                new HealthEventCodec(new ObjectMapper()), 1_000, eventPartitions::get, meters);
        return publisher;
    }

    private static MockProducer<byte[], byte[]> producer(boolean autoComplete) {
        return new MockProducer<>(autoComplete, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A result that is news (a first status), so it is handed over at the next tick. */
    private static HealthEvent event(String id, int partition, long sequence) {
        Instant at = Instant.parse("2026-12-01T10:00:00Z").plusSeconds(sequence);
        return HealthEvents.event(id).registration(partition, 1).sequence(sequence).at(at)
                .status(HealthStatus.UNKNOWN, HealthStatus.HEALTHY).build();
    }

    /** A result that only confirms a healthy backend's status, so it may wait for the routine hold. */
    private static HealthEvent confirmation(String id, int partition, long sequence) {
        return HealthEvents.copyOf(event(id, partition, sequence)).status(HealthStatus.HEALTHY, HealthStatus.HEALTHY)
                .build();
    }

    private static List<String> sentKeys(MockProducer<byte[], byte[]> producer) {
        return producer.history().stream().map(r -> new String(r.key(), StandardCharsets.UTF_8)).toList();
    }

    private double counter(String name) {
        return meters.counter(name).count();
    }

    @Test
    void resultsThatComeOneByOneReachTheProducerTogetherOncePerTickNotAsEachComes() {
        MockProducer<byte[], byte[]> producer = producer(true);
        HealthEventPublisher publisher = start(producer);
        int results = 80; // one every 5 ms, as from 10,000 backends checked every 50 s
        AtomicInteger published = new AtomicInteger();
        AtomicLong firstNanos = new AtomicLong();
        AtomicLong lastNanos = new AtomicLong();
        ScheduledExecutorService checks = Executors.newSingleThreadScheduledExecutor();
        try {
            checks.scheduleAtFixedRate(() -> {
                int i = published.incrementAndGet();
                if (i <= results) {
                    publisher.publish(event("b" + i, 0, i));
                    lastNanos.set(System.nanoTime());
                    firstNanos.compareAndSet(0, lastNanos.get());
                }
            }, 0, 5, TimeUnit.MILLISECONDS);
            await().atMost(WAIT).until(() -> producer.history().size() == results);
        } finally {
            checks.shutdownNow();
        }

        // A hand-over per 50 ms tick while results come: 400 ms of them make about 9, where a 20 ms tick made 20 and
        // handing each over as it came 80. A slow host stretches the ticks, and the bound stretches with the time the
        // results took to come.
        long millis = TimeUnit.NANOSECONDS.toMillis(lastNanos.get() - firstNanos.get());
        assertThat(HealthEventPublisher.TICK).isEqualTo(Duration.ofMillis(50));
        assertThat(publisher.drains()).as("hand-overs for results that came over %d ms", millis)
                .isLessThanOrEqualTo(millis / 50 * 5 / 4 + 3);
        assertThat(sentKeys(producer)).hasSize(results).startsWith("b1").endsWith("b" + results);
    }

    @Test
    void resultsThatOnlyConfirmTheStatusWaitForTheHoldOrForNewsAndLeaveInTheOrderTheyCame() {
        AtomicLong nanos = new AtomicLong(TimeUnit.HOURS.toNanos(1)); // stands still unless the test moves it
        MockProducer<byte[], byte[]> producer = producer(true);
        HealthEventPublisher publisher = startWithClock(producer, nanos);
        for (int i = 1; i <= 3; i++) {
            publisher.publish(confirmation("b" + i, 0, 2));
        }
        await("confirmations held").during(Duration.ofMillis(300)).atMost(WAIT)
                .until(() -> producer.history().isEmpty());

        publisher.publish(event("b4", 1, 1)); // news: leaves at the next tick, and takes the waiting ones along
        await().atMost(WAIT).until(() -> producer.history().size() == 4);
        assertThat(sentKeys(producer)).containsExactly("b1", "b2", "b3", "b4");

        publisher.publish(confirmation("b5", 2, 2));
        await("a confirmation held").during(Duration.ofMillis(300)).atMost(WAIT)
                .until(() -> producer.history().size() == 4);
        nanos.addAndGet(HealthEventPublisher.ROUTINE_HOLD.toNanos());
        await("the hold over").atMost(WAIT).until(() -> producer.history().size() == 5);
        assertThat(sentKeys(producer)).endsWith("b5");
    }

    @Test
    void confirmationsLeftWaitingByStoppedChecksLeaveWithoutWaitingForTheirHold() {
        AtomicLong nanos = new AtomicLong(TimeUnit.HOURS.toNanos(1)); // stands still: the hold never ends by itself
        MockProducer<byte[], byte[]> producer = producer(true);
        HealthEventPublisher publisher = startWithClock(producer, nanos);
        publisher.publish(confirmation("b1", 0, 2));
        publisher.publish(confirmation("b2", 0, 2));

        publisher.handOver(); // their partition was revoked

        await().atMost(WAIT).until(() -> producer.history().size() == 2);
        assertThat(sentKeys(producer)).containsExactly("b1", "b2");
    }

    @Test
    void aConfirmationKafkaRefusedOnceIsSentAgainAndLaterConfirmationsAreStillHeld() {
        AtomicLong nanos = new AtomicLong(TimeUnit.HOURS.toNanos(1));
        MockProducer<byte[], byte[]> producer = producer(false);
        HealthEventPublisher publisher = startWithClock(producer, nanos);
        publisher.publish(confirmation("b1", 0, 2));
        nanos.addAndGet(HealthEventPublisher.ROUTINE_HOLD.toNanos());
        await().atMost(WAIT).until(() -> producer.history().size() == 1);
        assertThat(producer.errorNext(new TimeoutException("Expiring 1 record(s)"))).isTrue(); // queued again, due
        await().atMost(WAIT).until(() -> producer.history().size() == 2);
        assertThat(producer.completeNext()).isTrue();
        await().atMost(WAIT).until(() -> counter("healthmon.events.published") == 1);

        publisher.publish(confirmation("b2", 0, 2));
        await("the next confirmation held as any other").during(Duration.ofMillis(300)).atMost(WAIT)
                .until(() -> producer.history().size() == 2);
        nanos.addAndGet(HealthEventPublisher.ROUTINE_HOLD.toNanos());
        await("and sent after its hold: the publisher goes on").atMost(WAIT)
                .until(() -> producer.history().size() == 3);
        assertThat(sentKeys(producer)).containsExactly("b1", "b1", "b2");
    }

    @Test
    void aPublisherThreadStoppedByABugMakesTheMonitorNotReadyAtOnceAndSaysWhy() {
        MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(),
                new ByteArraySerializer()) {
            @Override
            public synchronized Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
                throw new StackOverflowError("a bug of ours"); // not the producer refusing: nothing to try again
            }
        };
        HealthEventPublisher publisher = start(producer);
        publisher.publish(event("b1", 0, 1));

        await().atMost(WAIT).until(() -> !publisher.readiness().ready());
        assertThat(publisher.readiness().reasons()).singleElement().asString()
                .contains("the publisher thread stopped").contains("a bug of ours");
    }

    @Test
    void aConfirmationWithinItsHoldDoesNotMakeAMonitorIdleForLongerThanTheLimitNotReady() {
        AtomicLong nanos = new AtomicLong(TimeUnit.HOURS.toNanos(1));
        MockProducer<byte[], byte[]> producer = producer(true);
        HealthEventPublisher publisher = startWithClock(producer, nanos);
        publisher.publish(event("b1", 0, 1));
        await().atMost(WAIT).until(() -> counter("healthmon.events.published") == 1);
        nanos.addAndGet(HealthEventPublisher.UNHEALTHY_AFTER.plusSeconds(1).toNanos()); // a backend checked each minute

        publisher.publish(confirmation("b1", 0, 2));

        assertThat(publisher.readiness().reasons()).as("a held result is not waiting for Kafka").isEmpty();
        nanos.addAndGet(HealthEventPublisher.ROUTINE_HOLD.toNanos());
        await().atMost(WAIT).until(() -> counter("healthmon.events.published") == 2);
        assertThat(publisher.readiness().ready()).isTrue();
    }

    @Test
    void resultsForAPartitionHealthEventsLacksWaitWhileEveryOtherPartitionKeepsPublishing() {
        MockProducer<byte[], byte[]> producer = producer(true);
        HealthEventPublisher publisher = start(producer);

        publisher.publish(event("new-partition", 3, 1));
        publisher.publish(event("p0", 0, 1));
        publisher.publish(event("p2", 2, 1));

        await().atMost(WAIT).until(() -> sentKeys(producer).containsAll(List.of("p0", "p2")));
        assertThat(sentKeys(producer)).doesNotContain("new-partition");
        assertThat(publisher.missingPartitions()).containsExactly(3);
        assertThat(publisher.readiness().ready()).isFalse();
        assertThat(String.join(" ", publisher.readiness().reasons())).contains("health-events has no partition [3]");
        assertThat(meters.get("healthmon.events.partitions.missing").gauge().value()).isEqualTo(1.0);

        eventPartitions.set(4); // health-events grown to match the registry

        await().atMost(WAIT).until(() -> sentKeys(producer).contains("new-partition"));
        ProducerRecord<byte[], byte[]> parked = producer.history().stream()
                .filter(r -> new String(r.key(),
                StandardCharsets.UTF_8).equals("new-partition")).findFirst().orElseThrow();
        assertThat(parked.partition()).isEqualTo(3);
        assertThat(publisher.missingPartitions()).isEmpty();
        assertThat(publisher.readiness().ready()).isTrue();
    }

    @Test
    void whileAPartitionIsMissingOnlyTheLatestResultOfEachOfItsBackendsWaits() {
        MockProducer<byte[], byte[]> producer = producer(true);
        HealthEventPublisher publisher = start(producer);
        publisher.publish(event("new-partition", 3, 1));
        publisher.publish(event("new-partition", 3, 2));
        publisher.publish(event("p0", 0, 1));
        await().atMost(WAIT).until(() -> sentKeys(producer).contains("p0"));

        eventPartitions.set(4);

        await().atMost(WAIT).until(() -> sentKeys(producer).contains("new-partition"));
        assertThat(producer.history()).hasSize(2);
    }

    @Test
    void aSendThatThrowsIsTriedAgainInsteadOfLosingTheEvent() {
        MockProducer<byte[], byte[]> producer = producer(true);
        producer.sendException = new KafkaException("buffer exhausted, say");
        HealthEventPublisher publisher = start(producer);

        publisher.publish(event("b1", 0, 1));
        await().atMost(WAIT).until(() -> counter("healthmon.events.retried") >= 2);
        producer.sendException = null; // Kafka takes records again

        await().atMost(WAIT).until(() -> sentKeys(producer).contains("b1"));
        assertThat(counter("healthmon.events.failed")).isZero();
    }

    @Test
    void anEventThatCannotBeEncodedIsCountedAsFailedAndDoesNotHoldUpTheOthers() {
        MockProducer<byte[], byte[]> producer = producer(true);
        ObjectMapper poisoned = new ObjectMapper().registerModule(new SimpleModule().addSerializer(HealthEvent.class,
                new StdSerializer<>(HealthEvent.class) {
                    @Override
                    public void serialize(HealthEvent e, JsonGenerator out, SerializerProvider provider)
                            throws IOException {
                        if (e.backendId().equals("poison")) {
                            throw JsonMappingException.from(out, "cannot write " + e.backendId());
                        }
                        out.writeString(e.backendId());
                    }
                }));
        publisher = new HealthEventPublisher(producer, "health-events", "backend-registry-dlq",
                new HealthEventCodec(poisoned), 1_000, eventPartitions::get, meters);

        publisher.publish(event("poison", 0, 1));
        publisher.publish(event("b1", 0, 1));

        await().atMost(WAIT).until(() -> sentKeys(producer).contains("b1"));
        assertThat(sentKeys(producer)).containsExactly("b1");
        assertThat(counter("healthmon.events.failed")).isEqualTo(1);
        assertThat(counter("healthmon.events.retried")).isZero();
    }

    @Test
    void aRetriableFailureReportedByKafkaSendsTheEventAgain() {
        MockProducer<byte[], byte[]> producer = producer(false);
        HealthEventPublisher publisher = start(producer);
        publisher.publish(event("b1", 1, 1));
        await().atMost(WAIT).until(() -> producer.history().size() == 1);

        producer.errorNext(new TimeoutException("Expiring 1 record(s)"));

        await().atMost(WAIT).until(() -> producer.history().size() == 2);
        assertThat(sentKeys(producer)).containsExactly("b1", "b1");
        assertThat(producer.completeNext()).isTrue();
        await().atMost(WAIT).until(() -> counter("healthmon.events.published") == 1);
        assertThat(counter("healthmon.events.failed")).isZero();
    }

    @Test
    void aFailureKafkaWillNeverAcceptIsCountedAndNotSentAgain() {
        MockProducer<byte[], byte[]> producer = producer(false);
        HealthEventPublisher publisher = start(producer);
        publisher.publish(event("b1", 1, 1));
        await().atMost(WAIT).until(() -> producer.history().size() == 1);

        producer.errorNext(new RecordTooLargeException("too large"));

        await().atMost(WAIT).until(() -> counter("healthmon.events.failed") == 1);
        publisher.publish(event("b2", 1, 1));
        await().atMost(WAIT).until(() -> producer.history().size() == 2);
        assertThat(sentKeys(producer)).containsExactly("b1", "b2");
    }

    @Test
    void aFailedSendMakesTheMonitorNotReadyUntilKafkaAcknowledgesAgain() {
        MockProducer<byte[], byte[]> producer = producer(false);
        HealthEventPublisher publisher = start(producer);
        publisher.publish(event("b1", 1, 1));
        await().atMost(WAIT).until(() -> producer.history().size() == 1);
        assertThat(producer.completeNext()).isTrue();
        await().atMost(WAIT).until(() -> counter("healthmon.events.published") == 1);
        assertThat(publisher.readiness().ready()).isTrue();

        publisher.publish(event("b2", 1, 1));
        await().atMost(WAIT).until(() -> producer.history().size() == 2);
        producer.errorNext(new RecordTooLargeException("too large"));

        // What /readyz answers with 503, and says why.
        await().atMost(WAIT).until(() -> !publisher.readiness().ready());
        assertThat(String.join("\n", publisher.readiness().reasons())).contains("Kafka does not take health events");
        publisher.publish(event("b3", 1, 1));
        await().atMost(WAIT).until(() -> producer.history().size() == 3);
        assertThat(producer.completeNext()).isTrue();
        await().atMost(WAIT).until(() -> publisher.readiness().ready());
    }

    /** A publisher whose "how long has Kafka not answered" clock is {@code nanos}. */
    private HealthEventPublisher startWithClock(MockProducer<byte[], byte[]> producer, AtomicLong nanos) {
        publisher = new HealthEventPublisher(producer, "health-events", "backend-registry-dlq",
                new HealthEventCodec(new ObjectMapper()), 1_000, eventPartitions::get,
                HealthEventPublisher.DEFAULT_RECORD_LIMIT, meters, nanos::get);
        return publisher;
    }

    @Test
    void resultsKafkaLeavesUnacknowledgedForTheLimitMakeTheMonitorNotReadyUntilKafkaAnswers() {
        AtomicLong nanos = new AtomicLong(TimeUnit.HOURS.toNanos(1));
        MockProducer<byte[], byte[]> producer = producer(false); // nothing is acknowledged until the test says so
        HealthEventPublisher publisher = startWithClock(producer, nanos);
        publisher.publish(event("b1", 0, 1));
        await().atMost(WAIT).until(() -> producer.history().size() == 1);

        nanos.addAndGet(HealthEventPublisher.UNHEALTHY_AFTER.minusMillis(1).toNanos());
        assertThat(publisher.readiness().ready()).as("just under the limit").isTrue();
        nanos.addAndGet(Duration.ofMillis(1).toNanos());
        assertThat(publisher.readiness().ready()).as("stuck for the limit").isFalse();
        assertThat(publisher.readiness().reasons()).singleElement().asString()
                .contains("Kafka does not take health events").contains("waited 30 s without an acknowledgement");

        assertThat(producer.completeNext()).isTrue();
        await().atMost(WAIT).until(() -> publisher.readiness().ready());
    }

    @Test
    void aSendThatThrowsLeavesNothingOutstandingSoAMonitorIdleAfterItStaysReady() {
        AtomicLong nanos = new AtomicLong(TimeUnit.HOURS.toNanos(1));
        MockProducer<byte[], byte[]> producer = producer(true);
        producer.sendException = new KafkaException("interrupted, say"); // thrown by send(), not reported to a callback
        HealthEventPublisher publisher = startWithClock(producer, nanos);
        publisher.publish(event("b1", 0, 1));
        await().atMost(WAIT).until(() -> counter("healthmon.events.retried") >= 1);
        assertThat(publisher.readiness().ready()).as("while Kafka refuses the result").isFalse();
        producer.sendException = null;
        await().atMost(WAIT).until(() -> counter("healthmon.events.published") == 1);

        // Every result is acknowledged; then no backend is checked for longer than the limit.
        nanos.addAndGet(HealthEventPublisher.UNHEALTHY_AFTER.plusSeconds(1).toNanos());

        assertThat(publisher.readiness().reasons()).isEmpty();
        assertThat(publisher.readiness().ready()).isTrue();
    }

    @Test
    void aDeadLetterKafkaLeavesUnacknowledgedForTheLimitMakesTheMonitorNotReadyUntilItIsAcknowledged() {
        AtomicLong nanos = new AtomicLong(TimeUnit.HOURS.toNanos(1));
        MockProducer<byte[], byte[]> producer = producer(false);
        HealthEventPublisher publisher = startWithClock(producer, nanos);
        publisher.deadLetter(new DeadLetter("bad", "bad".getBytes(StandardCharsets.UTF_8),
                "{}".getBytes(StandardCharsets.UTF_8), "not JSON", "backend-registry", 0, 7));
        await().atMost(WAIT).until(() -> producer.history().size() == 1);

        nanos.addAndGet(HealthEventPublisher.UNHEALTHY_AFTER.minusMillis(1).toNanos());
        assertThat(publisher.deadLetterProblem()).isEmpty();
        nanos.addAndGet(Duration.ofMillis(1).toNanos());
        assertThat(publisher.readiness().ready()).isFalse();
        assertThat(String.join("\n", publisher.readiness().reasons()))
                .contains("dead-letter topic backend-registry-dlq has not acknowledged 1 record(s) for 30 s");

        assertThat(producer.completeNext()).isTrue();
        await().atMost(WAIT).until(() -> publisher.readiness().ready());
    }

    @Test
    void aDeadLetterKeepsTheRecordAndNamesItsSourceTopicPartitionOffsetAndError() {
        MockProducer<byte[], byte[]> producer = producer(true);
        HealthEventPublisher publisher = start(producer);
        byte[] key = "bad".getBytes(StandardCharsets.UTF_8);
        byte[] value = "{not json".getBytes(StandardCharsets.UTF_8);

        publisher.deadLetter(new DeadLetter("bad", key, value, "not JSON", "backend-registry", 4, 42));

        await().atMost(WAIT).until(() -> producer.history().size() == 1);
        ProducerRecord<byte[], byte[]> letter = producer.history().get(0);
        assertThat(letter.topic()).isEqualTo("backend-registry-dlq");
        assertThat(letter.key()).isEqualTo(key);
        assertThat(letter.value()).isEqualTo(value);
        assertThat(header(letter, DeadLetter.SOURCE_TOPIC_HEADER)).isEqualTo("backend-registry");
        assertThat(header(letter, DeadLetter.SOURCE_PARTITION_HEADER)).isEqualTo("4");
        assertThat(header(letter, DeadLetter.SOURCE_OFFSET_HEADER)).isEqualTo("42");
        assertThat(header(letter, DeadLetter.ERROR_HEADER)).isEqualTo("not JSON");
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        assertThat(header).as("header %s", name).isNotNull();
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    @Test
    void flushGivesUpAtItsTimeoutWhileKafkaDoesNotAnswerAndPublishingGoesOn() {
        CountDownLatch kafkaBack = new CountDownLatch(1);
        MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(),
                new ByteArraySerializer()) {
            @Override
            public void flush() {
                try {
                    kafkaBack.await(); // an outage: the producer's flush waits for acknowledgements that do not come
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        HealthEventPublisher publisher = start(producer);
        publisher.publish(event("before", 0, 1));

        assertThat(publisher.flush(Duration.ofMillis(300))).isFalse();

        publisher.publish(event("after", 0, 2));
        await().atMost(WAIT).until(() -> sentKeys(producer).contains("after"));
        kafkaBack.countDown();
        assertThat(publisher.flush(WAIT)).isTrue();
    }
}
