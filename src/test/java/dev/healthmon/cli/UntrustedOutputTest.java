package dev.healthmon.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.aggregate.StatusTransition;
import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.events.HealthEventPublisher;
import dev.healthmon.monitor.CheckContext;
import dev.healthmon.monitor.HealthMonitor;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registration.RegistrationCodec;
import dev.healthmon.registry.RegistryConsumer;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.Reason;
import dev.healthmon.support.FakeProbe;
import dev.healthmon.support.HealthEvents;
import dev.healthmon.support.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Text from registry writers and backends reaches logs and terminals escaped: it can neither forge a
 * log line nor drive the reader's terminal.
 */
class UntrustedOutputTest {

    /** ESC sequences that clear the screen and set the window title, and a line break that forges a line. */
    private static final String HOSTILE = "boom\u001b[2J\u001b]0;pwned\u0007\r\nINFO forged line";
    private final PrintStream originalErr = System.err;

    @AfterEach
    void restore() {
        System.setErr(originalErr);
        LogFormat.TEXT.apply();
    }

    private static HealthEvent failedEvent(String id, String message) {
        Instant at = Instant.parse("2026-12-01T10:00:00Z");
        return HealthEvents.event(id).at(at).latencyMs(20).outcome(Outcome.UNHEALTHY)
                .status(HealthStatus.HEALTHY, HealthStatus.UNHEALTHY).reason(Optional.of(Reason.FAILING)).counters(3, 0)
                .failure(Optional.of(Failure.of(FailureKind.PROTOCOL, message))).build();
    }

    private static void assertSafe(String line) {
        assertThat(line.lines()).hasSize(1);
        assertThat(line).doesNotContain("\u001b", "\r", "\u0007").contains("\\u001b[2J").contains("\\u000d\\u000a");
    }

    @Test
    void aRecordKeyWithALineBreakWritesOneEscapedLogLine() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        LogFormat.TEXT.apply();
        String topic = "backend-registry";
        TopicPartition partition = new TopicPartition(topic, 0);
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
        consumer.updatePartitions(topic, List.of(new PartitionInfo(topic, 0, null, null, null)));
        consumer.updateBeginningOffsets(Map.of(partition, 0L));
        consumer.updateEndOffsets(Map.of(partition, 1L));
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(partition));
            consumer.addRecord(new ConsumerRecord<>(topic, 0, 0,
                    "evil\nINFO forged line".getBytes(StandardCharsets.UTF_8),
                    "{not json".getBytes(StandardCharsets.UTF_8)));
        });
        HealthMonitor monitor = new HealthMonitor(CheckContext.of("m1", new FakeProbe(), new ManualScheduler(),
                event -> { }));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        HealthEventPublisher publisher = new HealthEventPublisher(
                new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()),
                "health-events", "dlq", new HealthEventCodec(new ObjectMapper()), 100, () -> 1, meters);
        var registry = new RegistryConsumer(consumer, topic,
                new RegistrationCodec(new ObjectMapper(), CheckDefaults.STANDARD), monitor, publisher,
                Duration.ofSeconds(5), meters);
        registry.start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> captured.toString(StandardCharsets.UTF_8)
                    .contains("sent to dead-letter topic"));
        } finally {
            registry.close(Duration.ofSeconds(10));
            publisher.close();
        }

        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
        // Logged once the dead-letter topic acknowledged it (HealthEventPublisher), with the raw key escaped.
        assertThat(lines).filteredOn(l -> l.contains("sent to dead-letter topic")).singleElement().satisfies(line ->
                assertThat(line).contains("backend=evil\\u000aINFO forged line registry record"));
        assertThat(lines).noneMatch(l -> l.startsWith("INFO forged line"));
    }

    @Test
    void theDemoViewEscapesIdsAndFailureText() {
        HealthEvent event = failedEvent("api", HOSTILE);
        assertSafe(StatusLines.changeLine(LocalTime.NOON, "HEALTHY", event));
        assertSafe(StatusLines.firstFailureLine(LocalTime.NOON, event));
        assertThat(StatusLines.tableRow(failedEvent("id\u001b[2J\r\nx", "m"))).doesNotContain("\u001b", "\r", "\n");
    }

    @Test
    void statusEscapesEveryValueFromTheAggregator() throws Exception {
        JsonNode row = new ObjectMapper().readTree("{\"id\":\"api\\u001b[2J\\r\\nx\",\"status\":\"UNHEALTHY\","
                + "\"since\":\"2026\\u0007\",\"lastFailure\":{\"kind\":\"PROTOCOL\",\"message\":"
                + new ObjectMapper().writeValueAsString(HOSTILE) + "}}");
        assertSafe(StatusCommand.row(row));
        assertThat(StatusCommand.row(row)).startsWith("api\\u001b[2J\\u000d\\u000ax");
    }

    @Test
    void tailEscapesEventsAndTransitions() {
        assertSafe(TailCommand.eventLine(failedEvent("api", HOSTILE)));
        assertThat(TailCommand.transitionLine(new StatusTransition("id\u009b31m\u2028x", "n", Map.of(),
                StatusTransition.Kind.CHANGE, HealthStatus.HEALTHY, HealthStatus.UNHEALTHY, Optional.empty(),
                Instant.EPOCH))).contains("id\\u009b31m\\u2028x").doesNotContain("\u009b", "\u2028");
    }

    @Test
    void tailJsonIsOneLineWithEveryControlCharacterEscaped() throws Exception {
        byte[] value = new HealthEventCodec(new ObjectMapper())
                .encode(failedEvent("api", HOSTILE + "\u009b\u2028\u007f"));
        String line = TerminalJson.line(value);

        assertThat(line.lines()).hasSize(1);
        assertThat(line).doesNotContain("\u001b", "\r", "\n", "\u009b", "\u2028", "\u007f")
                .contains("\\u009B", "\\u2028", "\\u007F", "\\u001B").doesNotContain("\\\\u");
        assertThat(new HealthEventCodec(new ObjectMapper()).decode(line.getBytes(StandardCharsets.UTF_8)).failure()
                .orElseThrow().message()).isEqualTo(HOSTILE + "\u009b\u2028\u007f");
    }

    @Test
    void longFailureTextIsCapped() {
        assertThat(TailCommand.eventLine(failedEvent("api", "x".repeat(100_000))))
                .hasSizeLessThan(1_000).contains("…");
        assertThat(StatusLines.changeLine(LocalTime.NOON, "HEALTHY", failedEvent("api", "x".repeat(100_000))))
                .hasSizeLessThan(1_000);
    }
}
