package dev.healthmon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.healthmon.MonitorConfig;
import dev.healthmon.MonitorService;
import dev.healthmon.aggregate.AggregatorConfig;
import dev.healthmon.aggregate.AggregatorService;
import dev.healthmon.aggregate.AggregatorSettings;
import dev.healthmon.kafka.AccessRole;
import dev.healthmon.kafka.AclAdmin;
import dev.healthmon.kafka.AclGrant;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.TopicAdmin;
import dev.healthmon.kafka.Topics;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.support.BrokerProcesses;
import dev.healthmon.support.CliRun;
import dev.healthmon.support.CountingBackend;
import dev.healthmon.support.MonitorProcess;
import dev.healthmon.support.SaslSslScram;
import dev.healthmon.support.TopicTail;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AclOperation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * healthmon on a secured cluster: one broker process with a SASL_SSL listener (SCRAM-SHA-512, a
 * certificate keytool made for this run) and {@code StandardAuthorizer} with
 * {@code allow.everyone.if.no.acl.found=false}. Each role runs as its own user with exactly the ACLs
 * {@code healthmon acls --role R --apply} creates (run by the test's admin, a super user), and works;
 * a registrant without WRITE on the registry and a monitor missing any one of its ACLs are refused,
 * naming what is missing. The roles' tests build on each other (register, monitor, tail, aggregate).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecuredKafkaIT {

    private static final Topics TOPICS = Topics.DEFAULTS;
    private static final String BACKEND = "secured-api";
    private static final int MONITOR_GRANTS = AccessRole.MONITOR.grants(TOPICS, "g", "a").size();

    @TempDir
    static Path dir;
    private static SaslSslScram security;
    private static BrokerProcesses broker;
    private static KafkaSettings admin;
    private static CountingBackend backend;
    private static MonitorService monitor;
    private static AggregatorService aggregator;

    @BeforeAll
    static void startSecuredBrokerWithOneUserPerRole() throws Exception {
        security = SaslSslScram.create(dir);
        broker = BrokerProcesses.start(1, security);
        admin = settings(SaslSslScram.ADMIN);
        try (TopicAdmin topics = new TopicAdmin(admin, TOPICS)) {
            topics.createTopics(3, (short) 1);
        }
        backend = new CountingBackend();
        // The roles' ACLs go in through the command under test, as an operator would create them.
        for (String[] roleAndUser : new String[][] {{"monitor", "mon"}, {"aggregator", "agg"}, {"registrant", "reg"},
                {"reader", "reader"}}) {
            CliRun applied = cli(SaslSslScram.ADMIN, "acls", "--role", roleAndUser[0], "--principal",
                    "User:" + roleAndUser[1], "--apply");
            assertThat(applied.exit()).as(applied.err()).isZero();
            assertThat(applied.out()).contains("applied");
        }
        try (AclAdmin acls = new AclAdmin(admin)) {
            for (int i = 0; i < MONITOR_GRANTS; i++) {
                String principal = "User:" + minus(i);
                acls.create(monitorGrantsWithout(i).stream().map(g -> g.binding(principal, "*")).toList());
            }
            acls.create(AccessRole.MONITOR.grants(TOPICS, "healthmon-noevents", "").stream()
                    .filter(g -> !g.name().equals(TOPICS.events()))
                    .map(g -> g.binding("User:mon-noevents", "*")).toList());
            acls.create(List.of(AclGrant.topic(TOPICS.registry(), AclOperation.DESCRIBE, "sees the registry")
                    .binding("User:describer", "*")));
        }
        List<String> users = new ArrayList<>(List.of("mon", "agg", "reg", "reader", "describer", "mon-noevents"));
        IntStream.range(0, MONITOR_GRANTS).forEach(i -> users.add(minus(i)));
        createUsers(users); // after the ACLs: a user that can log in sees its ACLs (one metadata log, in order)
    }

    @AfterAll
    static void stopAll() throws Exception {
        if (aggregator != null) {
            aggregator.close();
        }
        if (monitor != null) {
            monitor.close();
        }
        if (backend != null) {
            backend.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    @Order(1)
    void registrantRegistersAndDeregistersWithTheRegistrantAclsAndSaslSslPassedAsKafkaProperties() {
        List<String> args = new ArrayList<>(List.of("register", "--bootstrap-servers", broker.bootstrapServers()));
        // -X as docs/security.md shows it, value and all (the JAAS line has spaces, quotes and '=').
        security.clientProperties("reg", password("reg")).forEach((k, v) -> args.addAll(List.of("-X", k + "=" + v)));
        args.addAll(List.of("--id", BACKEND, "--url", backend.url("/"), "--check-type", "http", "--path", "/health",
                "--interval-ms", "1000", "--timeout-ms", "900"));

        CliRun registered = CliRun.of(args.toArray(new String[0]));

        assertThat(registered.exit()).as(registered.err()).isZero();
        assertThat(registered.out()).contains("registered " + BACKEND + " at " + TOPICS.registry());
        CliRun deregistered = cli("reg", "deregister", "never-registered");
        assertThat(deregistered.exit()).as(deregistered.err()).isZero();
        assertThat(deregistered.out()).contains("deregistered never-registered: tombstones in 3 partitions");
    }

    @Test
    @Order(2)
    void monitorChecksAndPublishesWithTheMonitorAcls() throws Exception {
        monitor = MonitorService.start(MonitorConfig.defaults(settings("mon"), "secured-monitor"),
                new SimpleMeterRegistry());

        try (TopicTail events = new TopicTail(admin, TOPICS.events())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> events.records().stream().anyMatch(r ->
                    new String(r.key(), StandardCharsets.UTF_8).equals(BACKEND)));
        }
    }

    @Test
    @Order(3)
    void readerTailsEventsWithTheReaderAcls() throws Exception {
        CliRun tail = cli("reader", "tail", "--from-beginning", "--max-records", "1", "--backend", BACKEND);

        assertThat(tail.exit()).as(tail.err()).isZero();
        assertThat(tail.out()).contains(BACKEND).contains("HEALTHY");
    }

    @Test
    @Order(4)
    void aggregatorPublishesStatusesWithTheAggregatorAclsAndReaderFollowsItsTransitions() throws Exception {
        aggregator = AggregatorService.start(new AggregatorConfig(settings("agg"), TOPICS, "healthmon-aggregator",
                CheckDefaults.STANDARD, AggregatorSettings.DEFAULTS, "127.0.0.1", 0, "127.0.0.1",
                Files.createDirectories(dir.resolve("streams")), 0), new SimpleMeterRegistry());
        String url = "http://127.0.0.1:" + aggregator.httpPort();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            CliRun status = CliRun.of("status", "--aggregator", url, BACKEND);
            assertThat(status.exit()).as(status.err()).isZero();
            assertThat(status.out()).contains("HEALTHY");
        });
        CliRun transitions = cli("reader", "tail", "--transitions", "--from-beginning", "--max-records", "1",
                "--backend", BACKEND);
        assertThat(transitions.exit()).as(transitions.err()).isZero();
        assertThat(transitions.out()).contains(BACKEND).contains("-> HEALTHY");
    }

    static Stream<String> usersWithoutWriteOnTheRegistry() {
        return Stream.of("reader", "describer"); // no ACL on the registry; DESCRIBE only
    }

    @ParameterizedTest
    @MethodSource("usersWithoutWriteOnTheRegistry")
    @Order(5)
    void registrantWithoutWriteOnTheRegistryIsRefusedNamingTheAcl(String user) {
        CliRun refused = cli(user, "register", "--id", "intruder", "--url", backend.url("/"));

        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("not authorized to write to " + TOPICS.registry())
                .contains("WRITE on topic " + TOPICS.registry());
    }

    static Stream<Integer> eachMonitorGrant() {
        return IntStream.range(0, MONITOR_GRANTS).boxed();
    }

    @ParameterizedTest
    @MethodSource("eachMonitorGrant")
    @Order(6)
    void monitorMissingAnyOneOfItsAclsExitsNamingIt(int missing) {
        AclGrant grant = AccessRole.MONITOR.grants(TOPICS, group(missing), "").get(missing);

        CliRun run = cli(minus(missing), "monitor", "--group-id", group(missing), "--monitor-id", minus(missing),
                "--http-host", "127.0.0.1", "--http-port", "0");

        assertThat(run.exit()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).contains("not authorized: missing ACL " + grant.describe());
    }

    @Test
    @Order(7)
    void monitorProcessWithoutWriteOnEventsExitsWithALogLineNamingIt() throws Exception {
        try (MonitorProcess process = MonitorProcess.start("mon-noevents", List.of("--config",
                clientConfig("mon-noevents").toString(), "--group-id", "healthmon-noevents"))) {
            assertThat(process.process().waitFor(60, TimeUnit.SECONDS)).as("monitor exited").isTrue();

            assertThat(process.process().exitValue()).isEqualTo(1);
            assertThat(process.log()).containsPattern("ERROR .*monitor=mon-noevents not authorized: missing ACL "
                    + "WRITE on topic " + TOPICS.events());
        }
    }

    private static List<AclGrant> monitorGrantsWithout(int index) {
        List<AclGrant> grants = new ArrayList<>(AccessRole.MONITOR.grants(TOPICS, group(index), ""));
        grants.remove(index);
        return grants;
    }

    private static String minus(int index) {
        return "mon-minus-" + index;
    }

    private static String group(int index) {
        return "healthmon-minus-" + index;
    }

    private static String password(String user) {
        return user + "-secret";
    }

    private static KafkaSettings settings(String user) {
        String password = user.equals(SaslSslScram.ADMIN) ? "admin-secret" : password(user);
        return new KafkaSettings(broker.bootstrapServers(), security.clientProperties(user, password));
    }

    /** Runs the command line as {@code user}, its Kafka settings in a {@code --config} file. */
    private static CliRun cli(String user, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        try {
            all.addAll(List.of("--config", clientConfig(user).toString()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return CliRun.of(all.toArray(new String[0]));
    }

    /** A settings file: the bootstrap servers and {@code kafka.*} client properties of {@code user}. */
    private static Path clientConfig(String user) throws IOException {
        Path file = dir.resolve(user + ".properties");
        Properties properties = new Properties();
        properties.put("bootstrap-servers", broker.bootstrapServers());
        settings(user).passThrough().forEach((k, v) -> properties.put("kafka." + k, v));
        try (OutputStream out = Files.newOutputStream(file)) {
            properties.store(out, user);
        }
        return file;
    }

    /** SCRAM-SHA-512 credentials per user, then waits until each can log in (credentials reach the broker late). */
    private static void createUsers(List<String> users) throws Exception {
        List<UserScramCredentialAlteration> upserts = users.stream().<UserScramCredentialAlteration>map(user ->
                new UserScramCredentialUpsertion(user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096),
                        password(user))).toList();
        try (Admin client = Admin.create(admin.admin())) {
            client.alterUserScramCredentials(upserts).all().get(30, TimeUnit.SECONDS);
        }
        for (String user : users) {
            await("user " + user + " can log in").atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                try (Admin client = Admin.create(settings(user).admin())) {
                    return !client.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty();
                }
            });
        }
    }
}
