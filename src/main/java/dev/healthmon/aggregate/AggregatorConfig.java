package dev.healthmon.aggregate;

import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.Topics;
import dev.healthmon.registration.CheckDefaults;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Everything one aggregator instance needs.
 *
 * @param applicationId   the Kafka Streams application id: instances with the same id share the work
 * @param checkDefaults   the monitors' defaults (thresholds a registration does not set); use the same flags
 * @param httpHost        where the query API and status page listen
 * @param httpPort        0 picks a free port
 * @param advertisedHost  how other instances reach this one (interactive-query routing)
 */
public record AggregatorConfig(KafkaSettings kafka, Topics topics, String applicationId, CheckDefaults checkDefaults,
                               AggregatorSettings settings, String httpHost, int httpPort, String advertisedHost,
                               Path stateDir, int standbyReplicas) {

    public AggregatorConfig {
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(topics, "topics");
        Objects.requireNonNull(checkDefaults, "checkDefaults");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(httpHost, "httpHost");
        Objects.requireNonNull(advertisedHost, "advertisedHost");
        Objects.requireNonNull(stateDir, "stateDir");
        if (applicationId == null || !applicationId.matches("[A-Za-z0-9._-]{1,200}")) {
            throw new IllegalArgumentException("application id: must match [A-Za-z0-9._-]{1,200}, was "
                    + applicationId);
        }
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("http port: must be 0..65535, was " + httpPort);
        }
        if (standbyReplicas < 0 || standbyReplicas > 10) {
            throw new IllegalArgumentException("standby replicas: must be 0..10, was " + standbyReplicas);
        }
    }
}
