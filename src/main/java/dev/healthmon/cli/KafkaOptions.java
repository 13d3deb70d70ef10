package dev.healthmon.cli;

import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.Topics;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Kafka connection and topic options shared by every command that talks to Kafka. */
final class KafkaOptions {

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,…]",
            defaultValue = "${env:HEALTHMON_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka brokers (env HEALTHMON_BOOTSTRAP_SERVERS; default ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = {"-X", "--kafka-property"}, paramLabel = "KEY=VALUE",
            description = "Any Kafka client property, e.g. security.protocol=SASL_SSL; repeatable.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--registry-topic", defaultValue = "backend-registry", description = "Default: ${DEFAULT-VALUE}.")
    String registryTopic;

    @Option(names = "--events-topic", defaultValue = "health-events", description = "Default: ${DEFAULT-VALUE}.")
    String eventsTopic;

    @Option(names = "--dlq-topic", defaultValue = "backend-registry-dlq", description = "Default: ${DEFAULT-VALUE}.")
    String dlqTopic;

    @Option(names = "--status-topic", defaultValue = "backend-status", description = "Default: ${DEFAULT-VALUE}.")
    String statusTopic;

    @Option(names = "--transitions-topic", defaultValue = "health-transitions", description = "Default: ${DEFAULT-VALUE}.")
    String transitionsTopic;

    @Option(names = "--events-dlq-topic", defaultValue = "health-events-dlq", description = "Default: ${DEFAULT-VALUE}.")
    String eventsDlqTopic;

    KafkaSettings settings() {
        return new KafkaSettings(bootstrapServers, properties);
    }

    Topics topics() {
        return new Topics(registryTopic, eventsTopic, dlqTopic, statusTopic, transitionsTopic, eventsDlqTopic);
    }
}
