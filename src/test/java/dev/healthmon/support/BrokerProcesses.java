package dev.healthmon.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Utils;

/**
 * A KRaft cluster of real broker processes (each node broker + controller), for tests that kill
 * or stop brokers: brokers inside one JVM cannot be killed independently and a 3-node cluster in
 * one JVM is unreliable (docs/design.md §10.19). Each node is {@code java -cp <test classpath> kafka.Kafka},
 * formatted with {@code kafka.tools.StorageTool}; ports are fixed at creation so a restarted node
 * comes back at the same address. {@link #close()} kills every node and deletes the data.
 *
 * <p>Settings the group coordinator reads from the broker (the KIP-848 session timeout and
 * heartbeat interval, {@code group.consumer.*}) can only be given here, at start: see
 * {@link #start(int, Map)}.
 */
public final class BrokerProcesses implements AutoCloseable {

    private final Path root;
    private final List<Node> nodes = new ArrayList<>();

    private static final class Node {
        final int id;
        final int port;
        final int controllerPort;
        final Path config;
        final Path log;
        Process process;

        Node(int id, int port, int controllerPort, Path config, Path log) {
            this.id = id;
            this.port = port;
            this.controllerPort = controllerPort;
            this.config = config;
            this.log = log;
        }
    }

    private final BrokerSecurity security;

    /** Formats and starts {@code count} nodes, and waits until all are in the cluster. */
    public static BrokerProcesses start(int count) throws Exception {
        return start(count, BrokerSecurity.NONE, Map.of());
    }

    /**
     * As {@link #start(int)}, each node's {@code server.properties} also holding
     * {@code serverProperties} (they win over the defaults here; a value the broker refuses makes
     * the start fail at once with the broker's log).
     */
    public static BrokerProcesses start(int count, Map<String, String> serverProperties) throws Exception {
        return start(count, BrokerSecurity.NONE, serverProperties);
    }

    /** As {@link #start(int)}, with the client listener (and its clients' settings) that {@code security} gives. */
    public static BrokerProcesses start(int count, BrokerSecurity security) throws Exception {
        return start(count, security, Map.of());
    }

    /** Both of the above: {@code serverProperties} win over the security settings too. */
    public static BrokerProcesses start(int count, BrokerSecurity security, Map<String, String> serverProperties)
            throws Exception {
        BrokerProcesses cluster = new BrokerProcesses(count, security, serverProperties);
        try {
            for (Node node : cluster.nodes) {
                cluster.launch(node);
            }
            cluster.awaitBrokers(count, Duration.ofSeconds(60));
            return cluster;
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
    }

    private BrokerProcesses(int count, BrokerSecurity security, Map<String, String> serverProperties)
            throws Exception {
        this.security = security;
        root = Files.createTempDirectory("healthmon-brokers");
        List<int[]> ports = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ports.add(new int[] {LoopbackPorts.unused(), LoopbackPorts.unused()});
        }
        String voters = IntStream.range(0, count)
                .mapToObj(i -> (i + 1) + "@127.0.0.1:" + ports.get(i)[1]).collect(Collectors.joining(","));
        int replication = Math.min(3, count);
        String clusterId = Uuid.randomUuid().toString();
        for (int i = 0; i < count; i++) {
            int id = i + 1;
            Path dir = Files.createDirectories(root.resolve("node-" + id));
            Properties p = new Properties();
            p.put("process.roles", "broker,controller");
            p.put("node.id", Integer.toString(id));
            p.put("controller.quorum.voters", voters);
            p.put("listeners", "PLAINTEXT://127.0.0.1:" + ports.get(i)[0] + ",CONTROLLER://127.0.0.1:"
                    + ports.get(i)[1]);
            p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + ports.get(i)[0]);
            p.put("controller.listener.names", "CONTROLLER");
            p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            p.put("inter.broker.listener.name", "PLAINTEXT");
            p.put("log.dirs", dir.resolve("data").toString());
            p.put("offsets.topic.replication.factor", Integer.toString(replication));
            p.put("transaction.state.log.replication.factor", Integer.toString(replication));
            p.put("transaction.state.log.min.isr", Integer.toString(Math.min(2, replication)));
            p.put("min.insync.replicas", Integer.toString(Math.min(2, replication)));
            p.put("default.replication.factor", Integer.toString(replication));
            p.put("group.initial.rebalance.delay.ms", "0");
            p.put("auto.create.topics.enable", "false");
            p.putAll(security.brokerProperties(ports.get(i)[0], ports.get(i)[1]));
            p.putAll(serverProperties);
            Path config = dir.resolve("server.properties");
            try (var out = Files.newOutputStream(config)) {
                p.store(out, "healthmon test broker " + id);
            }
            Node node = new Node(id, ports.get(i)[0], ports.get(i)[1], config, dir.resolve("broker.log"));
            List<String> formatArgs = new ArrayList<>(List.of("format", "-t", clusterId, "-c", config.toString()));
            formatArgs.addAll(security.formatArguments());
            Process format = java("kafka.tools.StorageTool", formatArgs.toArray(new String[0]))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("format.log").toFile()).start();
            if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
                throw new IllegalStateException("formatting node " + id + " failed: "
                        + Files.readString(dir.resolve("format.log")));
            }
            nodes.add(node);
        }
    }

    private static ProcessBuilder java(String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx384m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    private void launch(Node node) throws IOException {
        node.process = java("kafka.Kafka", node.config.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(node.log.toFile())).start();
    }

    public String bootstrapServers() {
        return nodes.stream().map(n -> "127.0.0.1:" + n.port).collect(Collectors.joining(","));
    }

    /** Node ids, 1…n. */
    public List<Integer> nodeIds() {
        return nodes.stream().map(n -> n.id).toList();
    }

    /** CPU time used so far by the live nodes' processes (for benchmarks). */
    public Duration cpuTime() {
        return nodes.stream().map(n -> n.process.info().totalCpuDuration().orElse(Duration.ZERO))
                .reduce(Duration.ZERO, Duration::plus);
    }

    /** SIGKILL: the node dies at once, as in a crash. */
    public void kill(int nodeId) throws InterruptedException {
        Node node = node(nodeId);
        node.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    /** Starts a killed node again, same ports and data. */
    public void restart(int nodeId) throws IOException {
        launch(node(nodeId));
    }

    /**
     * Waits until {@code count} brokers are registered and answering; fails at once if a broker exits with an error.
     */
    public void awaitBrokers(int count, Duration timeout) {
        await(count + " brokers").atMost(timeout).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .failFast(() -> {
                    for (Node n : nodes) {
                        if (n.process != null && !n.process.isAlive() && n.process.exitValue() != 0
                                && n.process.exitValue() != 137) {
                            throw new IllegalStateException("broker " + n.id + " exited: " + Files.readString(n.log));
                        }
                    }
                })
                .until(() -> {
                    Map<String, Object> props = new HashMap<>(security.adminProperties());
                    props.putAll(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000,
                            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000));
                    try (Admin admin = Admin.create(props)) {
                        return admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() >= count;
                    }
                });
    }

    private Node node(int id) {
        return nodes.stream().filter(n -> n.id == id).findFirst().orElseThrow();
    }

    @Override
    public void close() throws Exception {
        for (Node node : nodes) {
            if (node.process != null) {
                node.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
        Utils.delete(root.toFile());
    }
}
