package dev.healthmon.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates healthmon's topics with the settings of docs/design.md §2 and checks the invariant the
 * monitor depends on: {@code health-events} has as many partitions as {@code backend-registry}.
 * Every call blocks for at most {@link #TIMEOUT}.
 */
public final class TopicAdmin implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TopicAdmin.class);
    public static final Duration TIMEOUT = Duration.ofSeconds(30);
    public static final Duration NEW_TOPIC_GRACE = Duration.ofSeconds(5);
    private static final String SEVEN_DAYS_MS = Long.toString(Duration.ofDays(7).toMillis());

    private final Admin admin;
    private final Topics topics;

    public TopicAdmin(KafkaSettings settings, Topics topics) {
        this.admin = Admin.create(settings.admin());
        this.topics = topics;
    }

    /** Creates every topic that does not exist yet; returns the names created. Existing topics are left as they are. */
    public List<String> createTopics(int partitions, short replicationFactor) {
        return createTopics(partitions, Optional.of(replicationFactor));
    }

    /**
     * As {@link #createTopics(int, short)}; an empty {@code replicationFactor} leaves it to the
     * broker's {@code default.replication.factor} (1 on a development broker, typically 3 in production).
     */
    public List<String> createTopics(int partitions, Optional<Short> replicationFactor) {
        List<NewTopic> wanted = List.of(
                topic(topics.registry(), partitions, replicationFactor, TopicConfig.CLEANUP_POLICY_COMPACT),
                topic(topics.events(), partitions, replicationFactor, TopicConfig.CLEANUP_POLICY_DELETE)
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                                TopicConfig.RETENTION_MS_CONFIG, SEVEN_DAYS_MS)),
                topic(topics.status(), partitions, replicationFactor, TopicConfig.CLEANUP_POLICY_COMPACT),
                topic(topics.transitions(), partitions, replicationFactor, TopicConfig.CLEANUP_POLICY_DELETE),
                topic(topics.registryDlq(), 1, replicationFactor, TopicConfig.CLEANUP_POLICY_DELETE),
                topic(topics.eventsDlq(), 1, replicationFactor, TopicConfig.CLEANUP_POLICY_DELETE));
        List<String> created = new ArrayList<>();
        admin.createTopics(wanted).values().forEach((name, future) -> {
            try {
                future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                created.add(name);
                log.info("topic={} created", name);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause().getMessage(),
                            e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted creating topic " + name, e);
            } catch (TimeoutException e) {
                throw new IllegalStateException("timed out creating topic " + name + " after " + TIMEOUT.toSeconds()
                        + " s", e);
            }
        });
        return created;
    }

    /**
     * Adds partitions to {@code health-events} until it has as many as {@code backend-registry},
     * which may have grown at run time (Kafka cannot shrink a topic, so only that direction can be
     * mended). Running monitors start using the new partitions within seconds. Blocks up to
     * {@link #TIMEOUT}.
     *
     * @return what was done, e.g. {@code health-events grown from 3 to 4 partitions}; empty when nothing was needed
     */
    public Optional<String> growEventsToRegistry() {
        Map<String, TopicDescription> described = describe(Set.of(topics.registry(), topics.events()));
        int registry = described.get(topics.registry()).partitions().size();
        int events = described.get(topics.events()).partitions().size();
        if (events >= registry) {
            return Optional.empty();
        }
        try {
            admin.createPartitions(Map.of(topics.events(), NewPartitions.increaseTo(registry))).all()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot add partitions to " + topics.events() + ": "
                    + e.getCause().getMessage(),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted adding partitions to " + topics.events(), e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out adding partitions to " + topics.events(), e);
        }
        String done = topics.events() + " grown from " + events + " to " + registry + " partitions to match "
                + topics.registry();
        log.info(done);
        return Optional.of(done);
    }

    /**
     * Adds partitions to each of {@code names} that exists with fewer than {@code partitions}; topics
     * that do not exist are left alone. For topics whose partition N belongs with the registry's
     * partition N (a Streams application's changelogs), so their existing partitions keep their
     * meaning. Blocks up to {@link #TIMEOUT} per call.
     *
     * @return one line per topic grown
     */
    public List<String> growExisting(Collection<String> names, int partitions) {
        List<String> grown = new ArrayList<>();
        admin.describeTopics(names).topicNameValues().forEach((name, future) -> {
            int count;
            try {
                count = future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).partitions().size();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    return; // not created yet: it will be created with the right count
                }
                throw new IllegalStateException("cannot describe topic " + name + ": " + e.getCause().getMessage(),
                        e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted describing topic " + name, e);
            } catch (TimeoutException e) {
                throw new IllegalStateException("timed out describing topic " + name, e);
            }
            if (count < partitions) {
                try {
                    admin.createPartitions(Map.of(name, NewPartitions.increaseTo(partitions))).all()
                            .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    throw new IllegalStateException("cannot add partitions to " + name + ": " + e.getMessage(), e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted adding partitions to " + name, e);
                }
                String done = name + " grown from " + count + " to " + partitions + " partitions";
                log.info(done);
                grown.add(done);
            }
        });
        return grown;
    }

    /** The partition count of the registry topic now. Blocks up to {@link #TIMEOUT}. */
    public int registryPartitions() {
        return describe(Set.of(topics.registry())).get(topics.registry()).partitions().size();
    }

    /**
     * Checks that the registry and events topics exist and have the same partition count, which
     * the monitor needs to write each event to the partition of the registration it checked.
     *
     * @return the partition count
     * @throws IllegalStateException with a message that names both topics and the fix
     */
    public int verifyCoPartitioned() {
        Map<String, TopicDescription> described = describe(Set.of(topics.registry(), topics.events()));
        int registry = described.get(topics.registry()).partitions().size();
        int events = described.get(topics.events()).partitions().size();
        if (registry != events) {
            throw new IllegalStateException("topic " + topics.events() + " has " + events + " partitions but "
                    + topics.registry() + " has " + registry + "; they must match (each event goes to the partition "
                    + "number of the registration it checked). Add partitions to the smaller one with "
                    + "kafka-topics.sh --alter, or recreate it.");
        }
        return registry;
    }

    /**
     * Describes topics; blocks up to {@link #TIMEOUT}. A topic created moments ago may not be in
     * the broker's metadata yet, so "unknown topic" is retried for up to {@link #NEW_TOPIC_GRACE}.
     */
    public Map<String, TopicDescription> describe(Collection<String> names) {
        long graceEnds = System.nanoTime() + NEW_TOPIC_GRACE.toNanos();
        while (true) {
            try {
                return admin.describeTopics(names).allTopicNames().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicAuthorizationException denied) {
                    // The DescribeTopicPartitions answer does not say which topic was refused.
                    String refused = denied.unauthorizedTopics().isEmpty() ? "(some of) " + names
                            : denied.unauthorizedTopics().toString();
                    throw new IllegalStateException("not authorized to describe topics " + refused
                            + ": this client's principal has no ACL on them (see `healthmon acls`)", denied);
                }
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > graceEnds) {
                    throw new IllegalStateException("cannot describe topics " + names + ": " + e.getCause().getMessage()
                            + " (run `healthmon topics create` first)", e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted describing topics", e);
            } catch (TimeoutException e) {
                throw new IllegalStateException("Kafka did not answer within " + TIMEOUT.toSeconds() + " s describing "
                        + names, e);
            }
            sleepQuietly(Duration.ofMillis(100));
        }
    }

    private static void sleepQuietly(Duration pause) {
        try {
            Thread.sleep(pause.toMillis()); // retry back-off, not synchronisation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * What this client's principal may do on each of {@code names}, as the broker reports it
     * (authorized operations, KIP-430): an empty set for a topic it may not even describe. A topic
     * that does not exist, or whose operations the broker does not report, is left out. Blocks up
     * to {@link #TIMEOUT}.
     */
    public Map<String, Set<AclOperation>> authorizedOperations(Collection<String> names) {
        Map<String, Set<AclOperation>> authorized = new HashMap<>();
        admin.describeTopics(names, new DescribeTopicsOptions().includeAuthorizedOperations(true)).topicNameValues()
                .forEach((name, future) -> {
                    try {
                        Set<AclOperation> operations = future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                                .authorizedOperations();
                        if (operations != null) {
                            authorized.put(name, Set.copyOf(operations));
                        }
                    } catch (ExecutionException e) {
                        if (e.getCause() instanceof TopicAuthorizationException) {
                            authorized.put(name, Set.of());
                        } else if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                            throw new IllegalStateException("cannot describe topic " + name + ": "
                                    + e.getCause().getMessage(), e.getCause());
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted describing topic " + name, e);
                    } catch (TimeoutException e) {
                        throw new IllegalStateException("Kafka did not answer within " + TIMEOUT.toSeconds()
                                + " s describing " + name, e);
                    }
                });
        return authorized;
    }

    /**
     * The topic's {@code max.message.bytes} (its own setting or the broker's default); blocks up to
     * {@link #TIMEOUT}. The monitor cuts dead letters to fit it.
     */
    public int maxMessageBytes(String topic) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try {
            var config = admin.describeConfigs(List.of(resource)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .get(resource);
            return Integer.parseInt(config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG).value());
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read max.message.bytes of topic " + topic + ": " + e.getMessage()
                    + " (run `healthmon topics create` first)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading topic settings", e);
        }
    }

    /**
     * What is wrong with topics that already existed: {@code errors} break healthmon, {@code warnings} are worth
     * knowing.
     */
    public record Audit(List<String> errors, List<String> warnings) {}

    /**
     * Checks existing topics against what healthmon needs: compacted registry and status topics,
     * deleting events, transitions and dead-letter topics, and the partition count asked for.
     */
    public Audit audit(int partitions) {
        Map<String, String> wantedPolicy = new LinkedHashMap<>();
        wantedPolicy.put(topics.registry(), TopicConfig.CLEANUP_POLICY_COMPACT);
        wantedPolicy.put(topics.events(), TopicConfig.CLEANUP_POLICY_DELETE);
        wantedPolicy.put(topics.status(), TopicConfig.CLEANUP_POLICY_COMPACT);
        wantedPolicy.put(topics.transitions(), TopicConfig.CLEANUP_POLICY_DELETE);
        Map<String, TopicDescription> described = describe(wantedPolicy.keySet());
        List<String> errors = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        try {
            List<ConfigResource> resources = wantedPolicy.keySet().stream()
                    .map(t -> new ConfigResource(
                            ConfigResource.Type.TOPIC, t)).toList();
            var configs = admin.describeConfigs(resources).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            configs.forEach((resource, config) -> {
                String actual = config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
                String wanted = wantedPolicy.get(resource.name());
                if (!actual.contains(wanted)) {
                    errors.add("topic " + resource.name() + " has cleanup.policy=" + actual + "; healthmon needs "
                            + wanted
                            + (wanted.equals(TopicConfig.CLEANUP_POLICY_COMPACT)
                            ? " (with delete, old registrations or statuses expire)"
                            : " (compaction would keep only the last record per backend)"));
                }
            });
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read topic settings: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading topic settings", e);
        }
        described.forEach((name, description) -> {
            if (description.partitions().size() != partitions) {
                warnings.add("topic " + name + " has " + description.partitions().size() + " partitions, not the "
                        + partitions + " asked for (kept as it is)");
            }
        });
        return new Audit(errors, warnings);
    }

    private static NewTopic topic(String name, int partitions, Optional<Short> replication, String cleanup) {
        return new NewTopic(name, Optional.of(partitions), replication)
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, cleanup));
    }

    /** The replication factor of each of {@code names}, as the broker reports it. Blocks up to {@link #TIMEOUT}. */
    public Map<String, Integer> replicationFactors(Collection<String> names) {
        Map<String, Integer> factors = new TreeMap<>();
        describe(names).forEach((name, description) ->
                factors.put(name, description.partitions().get(0).replicas().size()));
        return factors;
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
