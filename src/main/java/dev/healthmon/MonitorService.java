package dev.healthmon;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.events.HealthEventPublisher;
import dev.healthmon.http.Readiness;
import dev.healthmon.json.Json;
import dev.healthmon.kafka.AccessRole;
import dev.healthmon.kafka.AclGrant;
import dev.healthmon.kafka.PartitionCountWatch;
import dev.healthmon.kafka.TopicAdmin;
import dev.healthmon.monitor.ActiveCheck;
import dev.healthmon.monitor.CheckContext;
import dev.healthmon.monitor.CheckMetrics;
import dev.healthmon.monitor.ExecutorCheckScheduler;
import dev.healthmon.monitor.HealthMonitor;
import dev.healthmon.probe.PlainHttpClient;
import dev.healthmon.probe.Probe;
import dev.healthmon.probe.Probes;
import dev.healthmon.registration.RegistrationCodec;
import dev.healthmon.registry.RegistryConsumer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running monitor instance: the registry consumer (poll thread), the health monitor and its
 * scheduler, the probes and the publisher, started in that dependency order and closed in
 * reverse. {@link #start} checks the topics first and refuses to run when
 * {@code health-events} and {@code backend-registry} have different partition counts.
 */
public final class MonitorService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MonitorService.class);
    /** How soon a partition added to health-events at run time is used (results wait for it meanwhile). */
    private static final Duration EVENT_PARTITIONS_REFRESH = Duration.ofSeconds(10);

    private final MonitorConfig config;
    private final ExecutorCheckScheduler scheduler;
    private final HealthEventPublisher publisher;
    private final HealthMonitor monitor;
    private final RegistryConsumer registry;
    private final KafkaClientMetrics producerMetrics;
    private final KafkaClientMetrics consumerMetrics;
    private final PartitionCountWatch eventPartitions;
    private Probes ownedProbes;

    private MonitorService(MonitorConfig config, Probe probe, MeterRegistry meters, int partitions,
                           int dlqMaxMessageBytes) {
        this.config = config;
        this.eventPartitions = new PartitionCountWatch(config.kafka(), config.topics().events(), partitions,
                EVENT_PARTITIONS_REFRESH);
        ObjectMapper mapper = Json.mapper();
        // Checks due within a few ms run in one wake-up, and their HTTP requests reach the selector in one (§4.2);
        // the few ms grow at low rates so that a wake-up still starts several checks (§10.27).
        this.scheduler = new ExecutorCheckScheduler(Clock.systemUTC(), ExecutorCheckScheduler.SHORTEST_SLACK,
                ExecutorCheckScheduler.LONGEST_SLACK, PlainHttpClient::sendsInOneWakeup);
        Map<String, Object> producerSettings = config.kafka().producer(eventsClientId(config));
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerSettings);
        this.producerMetrics = new KafkaClientMetrics(producer);
        producerMetrics.bindTo(meters);
        int dlqLimit = HealthEventPublisher.recordLimit(producerSettings, dlqMaxMessageBytes);
        this.publisher = new HealthEventPublisher(producer,
                config.topics().events(), config.topics().registryDlq(), new HealthEventCodec(mapper),
                config.bufferCapacity(), eventPartitions, dlqLimit, meters);
        this.monitor = new HealthMonitor(CheckContext.of(config.monitorId(), probe, scheduler, publisher)
                .withCircuit(config.circuitBreaker()).withMetrics(new CheckMetrics(meters)));
        meters.gauge("healthmon.checks.active", monitor, HealthMonitor::activeCount);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config.kafka().registryConsumer(config.groupId(),
                registryClientId(config), config.groupProtocol()));
        this.consumerMetrics = new KafkaClientMetrics(consumer);
        consumerMetrics.bindTo(meters);
        this.registry = new RegistryConsumer(consumer,
                config.topics().registry(), new RegistrationCodec(mapper, config.checkDefaults(), config.targetPolicy(),
                config.secrets()), monitor, publisher,
                config.commitInterval(), eventPartitions, meters);
    }

    /**
     * The {@code client.id} of the producer of health events. Each of the monitor's two clients has its own: Kafka
     * tags a client's metrics with its id alone (the {@code app-info} group names no client type), so two clients
     * sharing one id bind the same meter twice and Micrometer keeps only the first client's.
     */
    static String eventsClientId(MonitorConfig config) {
        return "healthmon-" + config.monitorId() + "-events";
    }

    /** The {@code client.id} of the registry consumer; see {@link #eventsClientId}. */
    static String registryClientId(MonitorConfig config) {
        return "healthmon-" + config.monitorId() + "-registry";
    }

    /** Verifies the topics, then starts consuming; returns at once. */
    public static MonitorService start(MonitorConfig config, MeterRegistry meters) {
        Probes probes = Probes.standard(config.targetPolicy(), config.secrets(), config.mcpLean());
        try {
            MonitorService service = start(config, probes, meters);
            service.ownedProbes = probes;
            return service;
        } catch (RuntimeException e) {
            probes.close();
            throw e;
        }
    }

    public static MonitorService start(MonitorConfig config, Probe probe, MeterRegistry meters) {
        int partitions;
        int dlqMaxMessageBytes;
        try (TopicAdmin admin = new TopicAdmin(config.kafka(), config.topics())) {
            requireTopicAccess(admin, config);
            partitions = admin.verifyCoPartitioned();
            dlqMaxMessageBytes = dlqMaxMessageBytes(admin, config.topics().registryDlq());
        }
        MonitorService service = new MonitorService(config, probe, meters, partitions, dlqMaxMessageBytes);
        service.registry.start();
        log.info("monitor={} started: group={} protocol={} registry={} ({} partitions) events={} declaredSecrets={}",
                config.monitorId(), config.groupId(), config.groupProtocol(), config.topics().registry(), partitions,
                config.topics().events(), config.secrets().names().size());
        return service;
    }

    /**
     * Refuses to start when the broker says this principal lacks one of the monitor role's topic
     * ACLs: without them the monitor would run and retry for ever (a producer refused WRITE keeps
     * every result in its buffer; a dead letter waits for its topic). The group's READ needs no check
     * here: the consumer's first poll fails with a {@code GroupAuthorizationException}, which stops
     * the monitor. Blocks up to {@link TopicAdmin#TIMEOUT}.
     */
    private static void requireTopicAccess(TopicAdmin admin, MonitorConfig config) {
        List<AclGrant> grants = AccessRole.MONITOR.grants(config.topics(), config.groupId(), "");
        List<AclGrant> missing = AclGrant.missingTopicGrants(grants, admin.authorizedOperations(
                grants.stream().map(AclGrant::name).collect(Collectors.toCollection(TreeSet::new))));
        if (!missing.isEmpty()) {
            String named = missing.stream().map(AclGrant::describe).collect(Collectors.joining(", "));
            log.error("monitor={} not authorized: missing ACL {}; grant the monitor role: healthmon acls --role "
                    + "monitor --principal User:<this monitor's user> --apply", config.monitorId(), named);
            throw new IllegalStateException("not authorized: missing ACL " + named + " (healthmon acls --role monitor "
                    + "--principal User:<name> prints the monitor's ACLs; --apply creates them)");
        }
    }

    /**
     * The dead-letter topic's {@code max.message.bytes}, or no limit of its own when it cannot be read
     * (a topic the broker will auto-create): dead letters are then cut to the producer's
     * {@code max.request.size}, and a letter the topic still refuses is cut further when retried.
     */
    private static int dlqMaxMessageBytes(TopicAdmin admin, String topic) {
        try {
            return admin.maxMessageBytes(topic);
        } catch (IllegalStateException e) {
            log.warn("topic={} max.message.bytes unknown ({}); dead letters are cut to the producer's max.request.size",
                    topic, e.getMessage());
            return Integer.MAX_VALUE;
        }
    }

    public String monitorId() {
        return config.monitorId();
    }

    /**
     * Blocks until the instance stops; empty after {@link #close()}, else the error that stopped
     * its registry consumer (every check is stopped by then).
     */
    public Optional<Throwable> awaitTermination() throws InterruptedException {
        return registry.awaitTermination().map(this::namingTheMissingAcl);
    }

    /** A group the principal may not read (the one monitor ACL checked by Kafka, not at start), said plainly. */
    private Throwable namingTheMissingAcl(Throwable failure) {
        if (failure instanceof GroupAuthorizationException) {
            String message = "not authorized: missing ACL READ on group " + config.groupId()
                    + " (healthmon acls --role monitor --principal User:<name> prints the monitor's ACLs; --apply "
                    + "creates them)";
            log.error("monitor={} {}", config.monitorId(), message);
            return new IllegalStateException(message, failure);
        }
        return failure;
    }

    /** Ready for traffic (Kubernetes readiness): every owned partition restored and Kafka taking our results. */
    public boolean ready() {
        return readiness().ready();
    }

    /** {@link #ready()} with the reasons when not: what {@code /readyz} says. Any thread. */
    public Readiness readiness() {
        Set<Integer> waiting = registry.partitionsWaitingForEvents();
        Readiness registryReadiness = waiting.isEmpty()
                ? Readiness.when(registry.ready(), "registry: not a group member yet, or partitions still restoring")
                : Readiness.notReady(config.topics().events() + " has no partition " + waiting + " for the registry "
                        + "partitions of the same number: their backends are not checked (grow "
                        + config.topics().events()
                        + " to the registry's partition count: healthmon topics create)");
        return registryReadiness.and(publisher.readiness());
    }

    /** The backends this instance checks now. Any thread. */
    public Map<String, ActiveCheck> activeChecks() {
        return monitor.snapshot();
    }

    /**
     * Graceful shutdown within {@code shutdownTimeout}: stop polling and every check (nothing is
     * published after that), commit, leave the group, then flush what the publisher holds.
     */
    @Override
    public void close() {
        long started = System.nanoTime();
        long deadline = started + config.shutdownTimeout().toNanos();
        registry.close(config.shutdownTimeout());
        scheduler.close();
        if (ownedProbes != null) {
            ownedProbes.close();
        }
        publisher.close(Duration.ofNanos(Math.max(Duration.ofMillis(100).toNanos(), deadline - System.nanoTime())));
        eventPartitions.close();
        producerMetrics.close();
        consumerMetrics.close();
        log.info("monitor={} stopped in {} ms", config.monitorId(), (System.nanoTime() - started) / 1_000_000);
    }
}
