package dev.healthmon.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.healthmon.aggregate.BackendStatus;
import dev.healthmon.aggregate.StatusJson;
import dev.healthmon.bench.PlainStreamsYardstick.Piece;
import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.json.Json;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.CircuitState;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Outcome;
import dev.healthmon.support.Registrations;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The yardstick's variants are named in {@code bench.aggregator.apps} and read back from those names; the pieces that
 * add the aggregator's work do it as the aggregator does (a yardstick that stopped on its first record cost a
 * run).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PlainStreamsYardstickTest {

    private static final HealthEventCodec CODEC = new HealthEventCodec(Json.mapper());
    private static final StatusJson JSON = new StatusJson(Json.mapper());

    @Test
    void aVariantIsParsedFromItsNameAndNamedAsParsed() {
        PlainStreamsYardstick two = PlainStreamsYardstick.parse("yardstick-rocksdb-twosources");
        assertThat(two).isEqualTo(new PlainStreamsYardstick(true, 0, true, Set.of(Piece.TWOSOURCES)));
        assertThat(two.name()).isEqualTo("yardstick-rocksdb-twosources");
        PlainStreamsYardstick one = PlainStreamsYardstick.parse("yardstick-memory-cache10m-nooutput");
        assertThat(one).isEqualTo(new PlainStreamsYardstick(false, 10 << 20, false, Set.of()));
        assertThat(one.name()).isEqualTo("yardstick-memory-cache10m-nooutput");
    }

    @Test
    void theAggregatorsPiecesAreAddedByTheirSuffixesAndNamedInOneOrder() {
        PlainStreamsYardstick all = PlainStreamsYardstick.parse("yardstick-rocksdb-json-fold-registrations-decode"
                + "-twosources");
        assertThat(all.pieces()).isEqualTo(EnumSet.allOf(Piece.class));
        assertThat(all.name()).isEqualTo("yardstick-rocksdb-twosources-decode-registrations-fold-json");
        assertThat(PlainStreamsYardstick.parse("yardstick-rocksdb-decode").pieces()).containsExactly(Piece.DECODE);
    }

    @Test
    void aPieceWithoutWhatItNeedsIsRefused() {
        assertThatThrownBy(() -> PlainStreamsYardstick.parse("yardstick-rocksdb-twosources-registrations-fold"))
                .hasMessageContaining("-fold needs -decode and -registrations");
        assertThatThrownBy(() -> PlainStreamsYardstick.parse("yardstick-rocksdb-registrations"))
                .hasMessageContaining("-registrations needs -twosources");
    }

    @Test
    void theFoldPiecesApplyEventsAsTheAggregatorDoes(@TempDir Path stateDir) {
        try (TopologyTestDriver driver = driver("yardstick-rocksdb-twosources-decode-registrations-fold-json",
                stateDir)) {
            var registry = driver.createInputTopic("registry", new ByteArraySerializer(), new ByteArraySerializer());
            var events = driver.createInputTopic("events", new ByteArraySerializer(), new ByteArraySerializer());
            var out = driver.createOutputTopic("out", new ByteArrayDeserializer(), new ByteArrayDeserializer());
            registry.pipeInput(key("b1"), Registrations.bytes(Registrations.json("b1", "http://b1.test/")));
            for (int seq = 1; seq <= 3; seq++) {
                events.pipeInput(key("b1"), event("b1", seq, Outcome.HEALTHY));
            }
            events.pipeInput(key("b1"), event("b1", 2, Outcome.UNHEALTHY)); // not newer: fenced, as STALE
            List<BackendStatus> published = out.readValuesToList().stream().map(JSON::decodeStatus).toList();
            assertThat(published).extracting(BackendStatus::status).containsOnly(HealthStatus.HEALTHY);
            assertThat(published).extracting(BackendStatus::consecutiveSuccesses).containsExactly(1, 2, 3, 3);
        }
    }

    @Test
    void decodingLeavesTheRegistrationsAlone(@TempDir Path stateDir) {
        try (TopologyTestDriver driver = driver("yardstick-rocksdb-twosources-decode", stateDir)) {
            var registry = driver.createInputTopic("registry", new ByteArraySerializer(), new ByteArraySerializer());
            var events = driver.createInputTopic("events", new ByteArraySerializer(), new ByteArraySerializer());
            var out = driver.createOutputTopic("out", new ByteArrayDeserializer(), new ByteArrayDeserializer());
            registry.pipeInput(key("b1"), Registrations.bytes(Registrations.json("b1", "http://b1.test/")));
            events.pipeInput(key("b1"), event("b1", 1, Outcome.HEALTHY));
            assertThat(out.readValuesToList()).hasSize(2).allSatisfy(v -> assertThat(v)
                    .hasSize(PlainStreamsYardstick.VALUE_BYTES));
        }
    }

    private static TopologyTestDriver driver(String app, Path stateDir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "yardstick-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        return new TopologyTestDriver(PlainStreamsYardstick.parse(app).topology("events", "registry", "out"), props);
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    /** An event of the registration the driver's first registry record (partition 0, offset 0) made. */
    private static byte[] event(String id, long sequence, Outcome outcome) {
        Instant at = Instant.parse("2026-11-24T10:00:00Z").plusSeconds(30 * sequence);
        return CODEC.encode(new HealthEvent(id, new RegistrationVersion(0, 0), sequence, "bench", 1, at, at, 5,
                outcome, HealthStatus.UNKNOWN, HealthStatus.UNKNOWN, Optional.empty(), 0, 0,
                outcome.isSuccess() ? Optional.empty() : Optional.of(Failure.of(FailureKind.TIMEOUT, "t")),
                CircuitState.CLOSED, Optional.empty()));
    }
}
