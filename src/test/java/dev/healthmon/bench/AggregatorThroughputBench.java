package dev.healthmon.bench;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.aggregate.AggregatorConfig;
import dev.healthmon.aggregate.AggregatorService;
import dev.healthmon.aggregate.AggregatorSettings;
import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.kafka.EmbeddedKafka;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.TopicAdmin;
import dev.healthmon.kafka.Topics;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.CircuitState;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Outcome;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events per second the aggregator applies on this machine: {@value #BACKENDS} backends and
 * {@value #EVENTS_PER_BACKEND} events each are written to a real in-process broker first, then
 * one aggregator instance (exactly-once, 3 partitions) starts and the time from its first applied
 * event to its last is measured. Run: {@code mvn -B -Pbench test -Dtest=AggregatorThroughputBench}.
 */
class AggregatorThroughputBench {

    private static final int BACKENDS = 1000;
    private static final int EVENTS_PER_BACKEND = 100;

    @Test
    void eventsPerSecond(@TempDir Path stateDir) throws Exception {
        run(stateDir);
    }

    private void run(Path stateDir) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(OptionalInt.empty())) {
            KafkaSettings settings = KafkaSettings.of(kafka.bootstrapServers());
            try (TopicAdmin admin = new TopicAdmin(settings, Topics.DEFAULTS)) {
                admin.createTopics(3, (short) 1);
            }
            HealthEventCodec codec = new HealthEventCodec(new ObjectMapper());
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings.producer("bench"))) {
                RecordMetadata[] registrations = new RecordMetadata[BACKENDS];
                for (int b = 0; b < BACKENDS; b++) {
                    String id = "b" + b;
                    registrations[b] = producer.send(new ProducerRecord<>(Topics.DEFAULTS.registry(),
                            id.getBytes(StandardCharsets.UTF_8), bytes(json(id, "http://" + id + ".test/")))).get();
                }
                Instant t = Instant.parse("2026-11-24T10:00:00Z");
                for (int seq = 1; seq <= EVENTS_PER_BACKEND; seq++) {
                    t = t.plusSeconds(10);
                    for (int b = 0; b < BACKENDS; b++) {
                        boolean up = (seq + b) % 7 != 0;
                        HealthEvent e = new HealthEvent("b" + b, new RegistrationVersion(registrations[b].partition(),
                                registrations[b].offset()), seq, "bench", 1, t, t, 5,
                                up ? Outcome.HEALTHY : Outcome.UNHEALTHY,
                                HealthStatus.UNKNOWN, HealthStatus.UNKNOWN, Optional.empty(), 0, 0,
                                up ? Optional.empty() : Optional.of(Failure.of(FailureKind.TIMEOUT, "t")),
                                CircuitState.CLOSED,
                                Optional.empty());
                        producer.send(new ProducerRecord<>(Topics.DEFAULTS.events(), registrations[b].partition(),
                                e.backendId().getBytes(StandardCharsets.UTF_8), codec.encode(e)));
                    }
                }
                producer.flush();
            }
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            long total = (long) BACKENDS * EVENTS_PER_BACKEND;
            long started = System.nanoTime();
            try (AggregatorService aggregator = AggregatorService.start(new AggregatorConfig(settings, Topics.DEFAULTS,
                    "bench-aggregator", CheckDefaults.STANDARD, AggregatorSettings.DEFAULTS, "127.0.0.1", 0,
                    "127.0.0.1",
                    stateDir, 0), meters)) {
                long first = 0;
                while (applied(meters) < total) {
                    if (first == 0 && applied(meters) > 0) {
                        first = System.nanoTime();
                    }
                    // sampling a counter; the bench measures, it does not wait for a condition to pass
                    TimeUnit.MILLISECONDS.sleep(20);
                    assertThat(System.nanoTime() - started).as("bench ran too long")
                            .isLessThan(TimeUnit.MINUTES.toNanos(10));
                }
                double seconds = (System.nanoTime() - first) / 1e9;
                System.out.printf(Locale.ROOT,
                        "%nAggregator throughput (%d cores, %s): %d events for %d backends in %.1f s"
                                + " = %.0f events/s (exactly_once_v2, 3 partitions, one instance, broker in-process)%n",
                        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), total, BACKENDS,
                        seconds, total / seconds);
                BenchResults.write("aggregator", Map.of("events", total, "backends", BACKENDS,
                        "seconds", Math.round(seconds * 10) / 10.0, "eventsPerSecond", Math.round(total / seconds),
                        "setup", "exactly_once_v2, 3 partitions, one instance, broker in-process"));
            }
        }
    }

    private static double applied(SimpleMeterRegistry meters) {
        return meters.get("healthmon.aggregator.events.applied").counter().count();
    }
}
