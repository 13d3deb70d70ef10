package dev.healthmon;

import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.Topics;
import dev.healthmon.monitor.CircuitBreakerSettings;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.target.TargetPolicy;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything one monitor instance needs, validated on construction.
 *
 * @param groupProtocol  {@code classic} (cooperative-sticky) or {@code consumer} (KIP-848)
 * @param monitorId      this instance's name in events; unique per instance
 * @param bufferCapacity results that may wait for Kafka before new ones are dropped
 * @param secrets        the secrets registrations may name, each bound to its targets ({@code --secrets-file})
 */
public record MonitorConfig(
        KafkaSettings kafka,
        Topics topics,
        String groupId,
        String groupProtocol,
        String monitorId,
        CheckDefaults checkDefaults,
        CircuitBreakerSettings circuitBreaker,
        TargetPolicy targetPolicy,
        Duration commitInterval,
        Duration shutdownTimeout,
        int bufferCapacity,
        SecretCatalog secrets,
        boolean mcpLean) {

    /** MCP requests take the lean paths where they exist (design.md §10.26, §10.28), as by default. */
    public MonitorConfig(KafkaSettings kafka, Topics topics, String groupId, String groupProtocol, String monitorId,
                         CheckDefaults checkDefaults, CircuitBreakerSettings circuitBreaker, TargetPolicy targetPolicy,
                         Duration commitInterval, Duration shutdownTimeout, int bufferCapacity, SecretCatalog secrets) {
        this(kafka, topics, groupId, groupProtocol, monitorId, checkDefaults, circuitBreaker, targetPolicy,
                commitInterval, shutdownTimeout, bufferCapacity, secrets, true);
    }

    /** A configuration that declares no secrets: every registration with {@code auth} is dead-lettered. */
    public MonitorConfig(KafkaSettings kafka, Topics topics, String groupId, String groupProtocol, String monitorId,
                         CheckDefaults checkDefaults, CircuitBreakerSettings circuitBreaker, TargetPolicy targetPolicy,
                         Duration commitInterval, Duration shutdownTimeout, int bufferCapacity) {
        this(kafka, topics, groupId, groupProtocol, monitorId, checkDefaults, circuitBreaker, targetPolicy,
                commitInterval, shutdownTimeout, bufferCapacity, SecretCatalog.EMPTY);
    }

    public MonitorConfig {
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(topics, "topics");
        Objects.requireNonNull(checkDefaults, "checkDefaults");
        Objects.requireNonNull(circuitBreaker, "circuitBreaker");
        Objects.requireNonNull(targetPolicy, "targetPolicy");
        Objects.requireNonNull(secrets, "secrets");
        if (groupId == null || groupId.isBlank()) {
            throw new IllegalArgumentException("group-id: must not be empty");
        }
        if (!groupProtocol.equals("classic") && !groupProtocol.equals("consumer")) {
            throw new IllegalArgumentException("group-protocol: must be classic or consumer, was " + groupProtocol);
        }
        if (monitorId == null || monitorId.isBlank()) {
            throw new IllegalArgumentException("monitor-id: must not be empty");
        }
        if (commitInterval.isNegative() || commitInterval.isZero()) {
            throw new IllegalArgumentException("commit-interval: must be positive");
        }
        if (shutdownTimeout.isNegative() || shutdownTimeout.isZero()) {
            throw new IllegalArgumentException("shutdown-timeout: must be positive");
        }
        if (bufferCapacity < 1) {
            throw new IllegalArgumentException("buffer-capacity: must be at least 1, was " + bufferCapacity);
        }
    }

    /** This configuration with {@code secrets} declared instead. */
    public MonitorConfig withSecrets(SecretCatalog secrets) {
        return new MonitorConfig(kafka, topics, groupId, groupProtocol, monitorId, checkDefaults, circuitBreaker,
                targetPolicy, commitInterval, shutdownTimeout, bufferCapacity, secrets);
    }

    /** Defaults for everything but the Kafka connection and the instance name. */
    public static MonitorConfig defaults(KafkaSettings kafka, String monitorId) {
        return new MonitorConfig(kafka, Topics.DEFAULTS, "healthmon", "classic", monitorId, CheckDefaults.STANDARD,
                CircuitBreakerSettings.DEFAULTS, TargetPolicy.DEFAULT, Duration.ofSeconds(5), Duration.ofSeconds(10),
                100_000);
    }
}
