package dev.healthmon.cli;

import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.Topics;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Kafka connection and topic options shared by every command that talks to Kafka. */
final class KafkaOptions {

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,…]",
            defaultValue = "localhost:9092",
            description = "Kafka brokers. Default ${DEFAULT-VALUE}.")
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

    @Option(names = "--transitions-topic", defaultValue = "health-transitions",
            description = "Default: ${DEFAULT-VALUE}.")
    String transitionsTopic;

    @Option(names = "--events-dlq-topic", defaultValue = "health-events-dlq",
            description = "Default: ${DEFAULT-VALUE}.")
    String eventsDlqTopic;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Settings file (.properties or .yaml): keys are flag names without the leading --, "
                    + "kafka.* are Kafka client properties. Precedence: flags > HEALTHMON_* environment > this file "
                    + "> defaults.")
    Path config;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    KafkaSettings settings() {
        Map<String, String> merged = new LinkedHashMap<>();
        if (mixee != null && mixee.root().commandLine() != null
                && mixee.root().commandLine().getDefaultValueProvider() instanceof SettingsProvider provider) {
            merged.putAll(provider.kafkaProperties());
        }
        merged.putAll(properties); // -X beats the file
        return new KafkaSettings(bootstrapServers, merged);
    }

    Topics topics() {
        return new Topics(registryTopic, eventsTopic, dlqTopic, statusTopic, transitionsTopic, eventsDlqTopic);
    }
}
