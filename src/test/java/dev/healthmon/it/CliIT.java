package dev.healthmon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.healthmon.kafka.EmbeddedKafka;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.registry.RegistryWriter;
import dev.healthmon.support.CliRun;
import dev.healthmon.support.FailingAssignor;
import dev.healthmon.support.MonitorProcess;
import dev.healthmon.support.TopicTail;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The CLI commands end to end against a real broker (shared by the class). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CliIT {

    private static EmbeddedKafka kafka;
    private static String registry;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(OptionalInt.empty());
        registry = "cli-registry";
        CliRun created = run("topics", "create", "--partitions", "2", "--replication-factor", "1",
                "--registry-topic", registry, "--events-topic", "cli-events", "--dlq-topic", "cli-dlq");
        assertThat(created.exit()).as(created.err()).isZero();
    }

    @AfterAll
    static void stop() throws Exception {
        kafka.close();
    }

    private static CliRun run(String... args) {
        String[] withKafka = new String[args.length + 2];
        System.arraycopy(args, 0, withKafka, 0, args.length);
        withKafka[args.length] = "--bootstrap-servers";
        withKafka[args.length + 1] = kafka.bootstrapServers();
        return CliRun.of(withKafka);
    }

    /** The registry's records once {@code ready} holds for them. */
    private static List<ConsumerRecord<byte[], byte[]>> registryRecords(
            Predicate<List<ConsumerRecord<byte[], byte[]>>> ready) throws Exception {
        try (TopicTail tail = new TopicTail(KafkaSettings.of(kafka.bootstrapServers()), registry)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> ready.test(tail.records()));
            return tail.records();
        }
    }

    private static Predicate<List<ConsumerRecord<byte[], byte[]>>> hasKey(String key, long count) {
        return records -> records.stream().filter(r -> key(r).equals(key)).count() >= count;
    }

    private static String key(ConsumerRecord<byte[], byte[]> r) {
        return new String(r.key(), StandardCharsets.UTF_8);
    }

    @Test
    void topicsCreateIsIdempotent() {
        CliRun again = run("topics", "create", "--partitions", "2", "--replication-factor", "1",
                "--registry-topic", registry, "--events-topic", "cli-events", "--dlq-topic", "cli-dlq");
        assertThat(again.exit()).isZero();
        assertThat(again.out()).doesNotContain("created").contains("have 2 partitions");
    }

    @Test
    void topicsCreateWithoutAReplicationFactorUsesTheBrokersDefaultAndSaysSo() {
        CliRun created = run("topics", "create", "--partitions", "2",
                "--registry-topic", "cli-rf-registry", "--events-topic", "cli-rf-events", "--dlq-topic", "cli-rf-dlq");

        assertThat(created.exit()).as(created.err()).isZero();
        assertThat(created.out()).contains("created cli-rf-registry (replication factor 1, the broker's default)")
                .contains("created cli-rf-events (replication factor 1, the broker's default)");
    }

    @Test
    void topicsCreateReportsExistingTopicsWithTheWrongSettings() throws Exception {
        try (Admin admin = Admin.create(
                KafkaSettings.of(kafka.bootstrapServers()).admin())) {
            admin.createTopics(List.of(new NewTopic("wrong-registry", 3, (short) 1)))
                    // cleanup.policy=delete: registrations would expire
                    .all().get(10, TimeUnit.SECONDS);
        }
        CliRun result = run("topics", "create", "--partitions", "2", "--replication-factor", "1",
                "--registry-topic", "wrong-registry", "--events-topic", "wrong-events", "--dlq-topic", "wrong-dlq",
                "--status-topic", "wrong-status", "--transitions-topic", "wrong-transitions", "--events-dlq-topic",
                "wrong-edlq");

        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err()).contains("topic wrong-registry has cleanup.policy=delete; healthmon needs compact")
                .contains("warning: topic wrong-registry has 3 partitions, not the 2 asked for");
    }

    @Test
    void registerFromFlagsThenDeregister() throws Exception {
        CliRun registered = run("register", "--registry-topic", registry, "--id", "flag-api", "--url",
                "http://127.0.0.1:9/x",
                "--interval-ms", "5000", "--timeout-ms", "1000", "--label", "team=payments");
        assertThat(registered.exit()).as(registered.err()).isZero();
        assertThat(registered.out()).contains("registered flag-api at " + registry);

        CliRun deregistered = run("deregister", "--registry-topic", registry, "flag-api");
        assertThat(deregistered.exit()).isZero();

        // register: a tombstone to the other partition, then the registration; deregister: a tombstone to each.
        int home = RegistryWriter.homePartition("flag-api", 2);
        List<ConsumerRecord<byte[], byte[]>> all = registryRecords(hasKey("flag-api", 4)).stream()
                .filter(r -> key(r).equals("flag-api")).toList();
        assertThat(all).filteredOn(r -> r.partition() != home).hasSize(2)
                .allSatisfy(r -> assertThat(r.value()).isNull());
        List<ConsumerRecord<byte[], byte[]>> records = all.stream().filter(r -> r.partition() == home).toList();
        assertThat(records).hasSize(2);
        assertThat(new String(records.get(0).value(), StandardCharsets.UTF_8))
                .contains("\"url\":\"http://127.0.0.1:9/x\"").contains("\"team\":\"payments\"");
        assertThat(records.get(1).value()).as("tombstone").isNull();
    }

    @Test
    void fileWithOneBadEntryPublishesNothingAndNamesTheEntry(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("backends.json");
        Files.writeString(file,
                "[{\"schemaVersion\":1,\"id\":\"file-good\",\"url\":\"http://a.test\",\"transport\":\"http\"},"
                + "{\"schemaVersion\":1,\"id\":\"file-bad\",\"url\":\"ftp://a.test\",\"transport\":\"http\"}]");

        CliRun result = run("register", "--registry-topic", registry, "--file", file.toString());

        assertThat(result.exit()).isEqualTo(2);
        assertThat(result.err()).contains("entry 1 (id file-bad)").contains("url: scheme must be http or https");
        // A marker registered afterwards proves the topic was read past where file-good would be.
        assertThat(run("register", "--registry-topic", registry, "--id", "marker", "--url",
                "http://m.test").exit()).isZero();
        assertThat(registryRecords(hasKey("marker",
                1))).extracting(CliIT::key).contains("marker").doesNotContain("file-good", "file-bad");
    }

    @Test
    void registerRejectsATimeoutNotBelowTheIntervalBeforePublishing() {
        CliRun result = run("register", "--registry-topic", registry, "--id", "bad-timing", "--url", "http://a.test",
                "--interval-ms", "1000", "--timeout-ms", "1000");
        assertThat(result.exit()).isEqualTo(2);
        assertThat(result.err()).contains("healthCheck.timeoutMs: must be less than intervalMs (1000)");
    }

    @Test
    void monitorRefusesBadDefaultsNamingTheSetting() {
        CliRun result = run("monitor", "--default-interval-ms", "1000", "--default-timeout-ms", "5000");
        assertThat(result.exit()).isEqualTo(2);
        assertThat(result.err()).contains("timeoutMs").contains("less than intervalMs (1000)");
    }

    @Test
    void monitorExitsWithOneNamingTheRegistryTopicWhenItDoesNotExist() {
        CliRun result = run("monitor", "--registry-topic", "no-such-registry", "--events-topic", "cli-events",
                "--dlq-topic", "cli-dlq", "--http-host", "127.0.0.1", "--http-port", "0");

        assertThat(result.exit()).as(result.err()).isEqualTo(1);
        assertThat(result.err()).contains("error: cannot describe topics").contains("no-such-registry")
                .contains("run `healthmon topics create` first");
    }

    @Test
    void monitorWhoseRegistryConsumerThreadDiesExitsWithOneAndLogsWhy() throws Exception {
        try (MonitorProcess monitor = MonitorProcess.start("cli-dies", List.of("--bootstrap-servers",
                kafka.bootstrapServers(), "--registry-topic", registry, "--events-topic", "cli-events",
                "--dlq-topic", "cli-dlq", "--group-id", "cli-dies",
                "-X", "partition.assignment.strategy=" + FailingAssignor.class.getName()))) {
            assertThat(monitor.process().waitFor(45, TimeUnit.SECONDS)).as("the monitor exits").isTrue();

            assertThat(monitor.process().exitValue()).as(monitor.log()).isEqualTo(1);
            assertThat(monitor.log()).contains("registry consumer failed; stopping all checks")
                    // An IllegalStateException carries a sentence of its own: printed without its class name.
                    .contains("error: monitor stopped: " + FailingAssignor.MESSAGE);
        }
    }

    @Test
    void kafkaPropertiesThatWeakenDeliveryAreRefused() {
        CliRun result = run("deregister", "-X", "acks=1", "whatever");
        assertThat(result.exit()).isEqualTo(2);
        assertThat(result.err()).contains("acks: is set by healthmon");
    }
}
