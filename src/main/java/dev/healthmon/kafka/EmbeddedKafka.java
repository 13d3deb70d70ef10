package dev.healthmon.kafka;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker in KRaft mode (one combined broker+controller node) inside this JVM,
 * from Kafka's own test kit. Used by {@code healthmon demo} and by the integration tests; its
 * data lives in a temporary directory removed on {@link #close()} (and when the start fails).
 *
 * <p>The kit binds its own listener to a random port. With a pinned port an extra PLAINTEXT
 * listener, {@code HOST}, is added on {@code 127.0.0.1:<port>} and becomes the bootstrap address,
 * so any Kafka client (console tools, kcat) can connect at a known address.
 *
 * <p>Kafka's storage formatter prints what it does to {@code System.out}, and the kit gives it no other stream:
 * {@link #start} sends those lines to the log instead, so that a terminal shows only its command's own output.
 */
public final class EmbeddedKafka implements AutoCloseable {

    /** The test kit's entry point: in healthmon.jar, left out of healthmon-slim.jar with the broker it starts. */
    private static final String KIT_CLASS = "org.apache.kafka.common.test.KafkaClusterTestKit";
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
    /** Held while {@code System.out} is swapped, so that two brokers formatting at once restore the real one. */
    private static final Object STDOUT_SWAP = new Object();

    private final KafkaClusterTestKit cluster;
    private final String bootstrapServers;

    private EmbeddedKafka(KafkaClusterTestKit cluster, String bootstrapServers) {
        this.cluster = cluster;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * True when the broker and its test kit are on the class path (healthmon.jar, the tests); false in
     * healthmon-slim.jar, where {@link #start} would fail with a {@link NoClassDefFoundError}.
     */
    public static boolean available() {
        try {
            Class.forName(KIT_CLASS, false, EmbeddedKafka.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Starts a broker (≈ 3 s) with its data in a new temporary folder; see {@link #start(OptionalInt, Path)}. */
    public static EmbeddedKafka start(OptionalInt port) throws Exception {
        return start(port, Files.createTempDirectory("kafka-"));
    }

    /**
     * Starts a broker (≈ 3 s); {@code port} pins the bootstrap port, empty picks a free one. Its data goes in
     * {@code dataDirectory}, which {@link #close()} removes.
     */
    public static EmbeddedKafka start(OptionalInt port, Path dataDirectory) throws Exception {
        TestKitNodes nodes = new TestKitNodes.Builder()
                // Our own folder, removed by close(): the kit's default folder is removed by a JVM shutdown
                // hook instead, which on SIGTERM deletes the data under the still-running broker (it then
                // fails on its log directory and exits 1) and never runs in a long-lived JVM.
                .setBaseDirectory(dataDirectory)
                .setCombined(true)
                .setNumBrokerNodes(1)
                .setNumControllerNodes(1)
                .build();
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes)
                .setDeleteOnClose(true)
                // A single broker: internal topics cannot have more replicas, or groups never form.
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("auto.create.topics.enable", "false");
        String external = nodes.brokerListenerName().value();
        String controller = nodes.controllerListenerName().value();
        if (port.isPresent()) {
            builder.setConfigProp("listeners", external + "://localhost:0," + controller + "://localhost:0,"
                            + "HOST://127.0.0.1:" + port.getAsInt())
                    .setConfigProp("listener.security.protocol.map",
                            external + ":PLAINTEXT," + controller + ":PLAINTEXT,HOST:PLAINTEXT");
        }
        KafkaClusterTestKit cluster = builder.build();
        try {
            formatLogging(cluster);
            cluster.startup();
            cluster.waitForReadyBrokers();
        } catch (Exception e) {
            cluster.close();
            if (port.isPresent() && causedByBindFailure(e)) {
                // Kafka's own message is three wrappers deep; say what the user can change.
                throw new IllegalStateException("cannot listen on 127.0.0.1:" + port.getAsInt()
                        + " for Kafka clients: the port is in use", e);
            }
            throw e;
        }
        String bootstrap = port.isPresent() ? "127.0.0.1:" + port.getAsInt() : cluster.bootstrapServers();
        return new EmbeddedKafka(cluster, bootstrap);
    }

    /**
     * Formats the broker's storage with {@code System.out} going to the log: the formatter prints the bootstrap
     * metadata and each folder it formats there. Whatever another thread prints meanwhile (a few milliseconds)
     * goes to the log too.
     */
    private static void formatLogging(KafkaClusterTestKit cluster) throws Exception {
        synchronized (STDOUT_SWAP) {
            PrintStream stdout = System.out;
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            try {
                cluster.format();
            } finally {
                System.setOut(stdout);
                printed.toString(StandardCharsets.UTF_8).lines().forEach(line -> log.info("storage: {}", line));
            }
        }
    }

    private static boolean causedByBindFailure(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof BindException) {
                return true;
            }
        }
        return false;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
