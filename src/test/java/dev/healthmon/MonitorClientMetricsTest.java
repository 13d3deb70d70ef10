package dev.healthmon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.healthmon.kafka.KafkaSettings;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The monitor's producer and registry consumer report into one meter registry: each keeps meters of its own
 * (a shared {@code client.id} made Micrometer refuse the second client's {@code kafka.app.info.*} gauges with
 * "This Gauge has been already registered").
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MonitorClientMetricsTest {

    @Test
    void producerAndRegistryConsumerEachRegisterTheirOwnClientGauges() {
        // Nothing listens on port 1: the clients only need to exist, their metrics are registered at construction.
        MonitorConfig config = MonitorConfig.defaults(KafkaSettings.of("127.0.0.1:1"), "m1");
        MeterRegistry meters = new SimpleMeterRegistry();
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config.kafka()
                .producer(MonitorService.eventsClientId(config)));
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config.kafka().registryConsumer(config.groupId(),
                MonitorService.registryClientId(config), config.groupProtocol()));
        try (KafkaClientMetrics producerMetrics = new KafkaClientMetrics(producer);
                KafkaClientMetrics consumerMetrics = new KafkaClientMetrics(consumer)) {
            producerMetrics.bindTo(meters);
            consumerMetrics.bindTo(meters);

            assertThat(meters.find("kafka.app.info.start.time.ms").gauges()).map(g -> g.getId().getTag("client.id"))
                    .containsExactlyInAnyOrder("healthmon-m1-events", "healthmon-m1-registry");
            assertThat(meters.find("kafka.app.info.start.time.ms").gauges()).map(Gauge::value).allMatch(v -> v > 0);
        } finally {
            producer.close(Duration.ZERO);
            consumer.close(Duration.ZERO);
        }
    }
}
