package dev.healthmon.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** The publisher's dead-letter path against Kafka's MockProducer: the test decides each acknowledgement. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DeadLetterPublishingTest {

    private final MockProducer<byte[], byte[]> producer =
            new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private HealthEventPublisher publisher;

    @BeforeEach
    void start() {
        logs.start();
        ((Logger) LoggerFactory.getLogger(HealthEventPublisher.class)).addAppender(logs);
        publisher = new HealthEventPublisher(producer, "events", "dlq", new HealthEventCodec(new ObjectMapper()), 100,
                () -> 1, meters);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger(HealthEventPublisher.class)).detachAppender(logs);
        publisher.close(Duration.ofSeconds(1));
    }

    private static DeadLetter letter(String id) {
        return new DeadLetter(id, id.getBytes(StandardCharsets.UTF_8), "{}".getBytes(StandardCharsets.UTF_8),
                "schemaVersion: must be 1", "registry", 0, 7);
    }

    private boolean logged(String fragment) {
        return logs.list.stream().anyMatch(e -> e.getFormattedMessage().contains(fragment));
    }

    @Test
    void logsSentToTheDeadLetterTopicOnlyOnceKafkaAcknowledged() {
        CompletableFuture<Void> acknowledged = publisher.deadLetter(letter("api"));
        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 1);

        assertThat(logged("sent to dead-letter topic")).isFalse();
        assertThat(acknowledged).isNotDone();
        assertThat(meters.get("healthmon.registry.dlq.pending").gauge().value()).isEqualTo(1);

        producer.completeNext();

        await().atMost(Duration.ofSeconds(10)).until(acknowledged::isDone);
        assertThat(logged("backend=api registry record registry-0@7 sent to dead-letter topic dlq")).isTrue();
        assertThat(meters.get("healthmon.registry.dlq.pending").gauge().value()).isZero();
    }

    @Test
    void aRefusedDeadLetterIsRetriedUntilAcknowledgedAndNeverDropped() {
        CompletableFuture<Void> acknowledged = publisher.deadLetter(letter("api"));
        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 1);

        producer.errorNext(new TopicAuthorizationException("not allowed to write dlq"));

        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 2);
        assertThat(acknowledged).isNotDone();
        assertThat(logged("sent to dead-letter topic")).isFalse();
        assertThat(meters.get("healthmon.registry.dlq.failures").counter().count()).isEqualTo(1);
        assertThat(publisher.deadLetterProblem()).hasValueSatisfying(why -> assertThat(why)
                .contains("dead-letter topic dlq cannot be written").contains("1 record(s) waiting")
                .contains("not allowed to write dlq"));

        producer.completeNext();

        await().atMost(Duration.ofSeconds(10)).until(acknowledged::isDone);
        assertThat(publisher.deadLetterProblem()).isEmpty();
        assertThat(logged("sent to dead-letter topic")).isTrue();
    }

    @Test
    void aLetterTheBrokerFindsTooLargeIsCutFurtherAndSentAgain() {
        byte[] value = new byte[900_000];
        Arrays.fill(value, (byte) 'x');
        CompletableFuture<Void> acknowledged = publisher.deadLetter(new DeadLetter("big",
                "big".getBytes(StandardCharsets.UTF_8), value, "url: is required", "registry", 0, 9));
        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 1);
        assertThat(producer.history().get(0).value()).hasSize(900_000);

        producer.errorNext(new RecordTooLargeException("over the topic's limit"));

        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 2);
        assertThat(producer.history().get(1).value().length).isLessThan(HealthEventPublisher.DEFAULT_RECORD_LIMIT / 2);
        assertThat(new String(producer.history().get(1).headers().lastHeader(DeadLetter.ORIGINAL_SIZE_HEADER).value(),
                StandardCharsets.UTF_8)).isEqualTo("900000");
        producer.completeNext();
        await().atMost(Duration.ofSeconds(10)).until(acknowledged::isDone);
    }

    @Test
    void controlCharactersOfTheKeyAreEscapedInTheLogLine() {
        publisher.deadLetter(letter("evil\nINFO forged line"));
        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 1);
        producer.completeNext();

        await().atMost(Duration.ofSeconds(10)).until(() -> logged("sent to dead-letter topic"));
        assertThat(logs.list).filteredOn(e -> e.getFormattedMessage().contains("sent to dead-letter topic"))
                .singleElement().satisfies(e -> assertThat(e.getFormattedMessage())
                        .contains("backend=evil\\u000aINFO forged line").doesNotContain("\n"));
    }
}
