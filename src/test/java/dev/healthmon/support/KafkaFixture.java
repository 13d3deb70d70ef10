package dev.healthmon.support;

import dev.healthmon.kafka.EmbeddedKafka;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.TopicAdmin;
import dev.healthmon.kafka.Topics;
import java.util.Map;
import java.util.OptionalInt;

/**
 * What most integration test classes share: one in-process broker with healthmon's default topics
 * and a loopback backend that answers 200. Start it in {@code @BeforeAll}, close it in {@code @AfterAll}.
 *
 * @param settings client settings for the broker, with the class's extra client properties
 */
public record KafkaFixture(EmbeddedKafka kafka, KafkaSettings settings,
CountingBackend backend) implements AutoCloseable {

    public static KafkaFixture start(int partitions) throws Exception {
        return start(partitions, Map.of());
    }

    /** @param clientProperties Kafka client properties every client of the test uses (e.g. a short session timeout) */
    public static KafkaFixture start(int partitions, Map<String, String> clientProperties) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start(OptionalInt.empty());
        KafkaSettings settings = new KafkaSettings(kafka.bootstrapServers(), clientProperties);
        try (TopicAdmin admin = new TopicAdmin(settings, Topics.DEFAULTS)) {
            admin.createTopics(partitions, (short) 1);
        }
        return new KafkaFixture(kafka, settings, new CountingBackend());
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    @Override
    public void close() throws Exception {
        backend.close();
        kafka.close();
    }
}
