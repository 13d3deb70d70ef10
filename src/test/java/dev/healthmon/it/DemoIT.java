package dev.healthmon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.healthmon.cli.HealthmonCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** The README's first command: the demo's five backends reach their expected statuses; its broker serves other clients. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DemoIT {

    private static final Pattern TABLE_ROW = Pattern.compile("^((?:demo-|visitor)\\S*)\\s+([A-Z]+(?: \\([A-Z_]+\\))?)\\s+\\d+\\s+\\d+", Pattern.MULTILINE);

    @Test
    void sampleBackendsReachTheirExpectedStatusesAndOthersCanRegisterThroughThePinnedPort() throws Exception {
        int port = freePort();
        StringWriter output = new StringWriter();
        CommandLine demo = HealthmonCli.commandLine();
        demo.setOut(new PrintWriter(output, true));
        ExecutorService runner = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> exit = runner.submit(() -> demo.execute("demo", "--kafka-port", Integer.toString(port),
                    "--duration-seconds", "25"));
            await().atMost(Duration.ofSeconds(30)).until(() -> output.toString().contains("registered 5 sample backends"));

            // Any Kafka client can use the printed address: here, a second healthmon process would.
            int registered = HealthmonCli.commandLine().execute("register", "--bootstrap-servers", "127.0.0.1:" + port,
                    "--id", "visitor", "--url", "http://127.0.0.1:" + port + "/", "--check-type", "tcp",
                    "--interval-ms", "1000", "--timeout-ms", "500");

            assertThat(registered).isZero();
            assertThat(exit.get(60, TimeUnit.SECONDS)).as(output.toString()).isZero();
            String text = output.toString();
            assertThat(text).contains("Kafka bootstrap servers: 127.0.0.1:" + port).contains("register --bootstrap-servers");
            assertThat(lastTableStatuses(text)).as(text).containsExactlyInAnyOrderEntriesOf(Map.of(
                    "demo-healthy", "HEALTHY",
                    "demo-slow", "DEGRADED (SLOW)",
                    // five failures 2 s apart open the circuit well within the run
                    "demo-failing", "UNHEALTHY (CIRCUIT_OPEN)",
                    "demo-dead", "UNHEALTHY (CIRCUIT_OPEN)",
                    "demo-auth", "UNAUTHENTICATED (AUTH_REQUIRED)",
                    "visitor", "HEALTHY"));
        } finally {
            runner.shutdownNow();
        }
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** The statuses in the last table the live view printed. */
    private static Map<String, String> lastTableStatuses(String text) {
        Map<String, String> statuses = new java.util.HashMap<>();
        Matcher row = TABLE_ROW.matcher(text);
        while (row.find()) {
            statuses.put(row.group(1), row.group(2));
        }
        return statuses;
    }
}
