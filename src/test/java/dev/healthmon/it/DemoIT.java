package dev.healthmon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.healthmon.cli.HealthmonCli;
import dev.healthmon.support.CliRun;
import dev.healthmon.support.LoopbackPorts;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The README's first command: the demo's five backends reach their expected statuses; its broker serves other clients.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DemoIT {

    private static final Pattern TABLE_ROW = Pattern.compile("^((?:demo-|visitor)\\S*)\\s+([A-Z]+(?: "
            + "\\([A-Z_]+\\))?)\\s+\\d+\\s+\\d+", Pattern.MULTILINE);

    @Test
    void sampleBackendsReachTheirExpectedStatusesAndOthersCanRegisterThroughThePinnedPort() throws Exception {
        int port = LoopbackPorts.unused();
        StringWriter output = new StringWriter();
        StringWriter errors = new StringWriter();
        CommandLine demo = HealthmonCli.commandLine();
        demo.setOut(new PrintWriter(output, true));
        demo.setErr(new PrintWriter(errors, true));
        AtomicReference<Thread> demoThread = new AtomicReference<>();
        ExecutorService runner = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "demo-under-test");
            demoThread.set(thread);
            return thread;
        });
        try {
            Future<Integer> exit = runner.submit(() -> demo.execute("demo", "--kafka-port", Integer.toString(port),
                    "--duration-seconds", "25"));
            try {
                await().atMost(Duration.ofSeconds(30)).failFast(exit::isDone)
                        .until(() -> output.toString().contains("registered 6 sample backends"));
            } catch (ConditionTimeoutException | TerminalFailureException notStarted) {
                throw new AssertionError(whyNotStarted(exit, demoThread.get(), output, errors), notStarted);
            }

            // Any Kafka client can use the printed address: here, a second healthmon process would.
            CliRun registered = CliRun.of("register", "--bootstrap-servers", "127.0.0.1:" + port,
                    "--id", "visitor", "--url", "http://127.0.0.1:" + port + "/", "--check-type", "tcp",
                    "--interval-ms", "1000", "--timeout-ms", "500");

            assertThat(registered.exit()).as(registered.err()).isZero();
            assertThat(exit.get(60, TimeUnit.SECONDS)).as(output.toString()).isZero();
            String text = output.toString();
            assertThat(text).contains("Kafka bootstrap servers: 127.0.0.1:"
                    + port).contains("register --bootstrap-servers");
            assertThat(lastTableStatuses(text)).as(text).containsExactlyInAnyOrderEntriesOf(Map.of(
                    "demo-healthy", "HEALTHY",
                    "demo-slow", "DEGRADED (SLOW)",
                    // five failures 2 s apart open the circuit well within the run
                    "demo-failing", "UNHEALTHY (CIRCUIT_OPEN)",
                    "demo-dead", "UNHEALTHY (CIRCUIT_OPEN)",
                    "demo-auth", "HEALTHY", // it sends the secret the demo declared, bound to /auth
                    "demo-locked", "UNAUTHENTICATED (AUTH_REQUIRED)",
                    "visitor", "HEALTHY"));
        } finally {
            runner.shutdownNow();
        }
    }

    @Test
    void demoOnAKafkaPortInUseExitsNonZeroNamingThePort() throws Exception {
        try (ServerSocket taken = new ServerSocket(LoopbackPorts.unused(), 1, InetAddress.getLoopbackAddress())) {
            CliRun demo = CliRun.of("demo", "--kafka-port", Integer.toString(taken.getLocalPort()),
                    "--duration-seconds", "1");

            assertThat(demo.exit()).isNotZero();
            assertThat(demo.err()).startsWith("error: cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    .contains("the port is in use");
        }
    }

    @Test
    void sigtermStopsTheDemoOnlyAfterItClosedEverythingAndRemovedItsTemporaryFolders(@TempDir Path tmp)
            throws Exception {
        Path output = tmp.resolve("demo.out");
        Path demoTmp = Files.createDirectory(tmp.resolve("java.io.tmpdir"));
        Process demo = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx512m", "-Djava.io.tmpdir=" + demoTmp, "-cp", System.getProperty("java.class.path"),
                "dev.healthmon.cli.HealthmonCli", "demo", "--kafka-port", Integer.toString(LoopbackPorts.unused()),
                "--http-port", "0").redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).failFast("the demo ended", () -> !demo.isAlive())
                    .until(() -> Files.readString(output).contains("first health event"));
            assertThat(demoTmp.toFile().list()).as("the demo's folders while it runs")
                    .anyMatch(name -> name.startsWith("healthmon-demo-streams")).anyMatch(name
                    -> name.startsWith("kafka-"));

            demo.destroy(); // SIGTERM

            assertThat(demo.waitFor(90, TimeUnit.SECONDS)).as("the demo ends after SIGTERM").isTrue();
            // 143 = 128 + SIGTERM: the JVM reports the signal; what matters is what it did before ending.
            assertThat(demo.exitValue()).as(Files.readString(output)).isIn(0, 143);
            assertThat(Files.readString(output)).contains("shutting down").doesNotContain("close failed");
            assertThat(demoTmp.toFile().list()).as("left in java.io.tmpdir").isEmpty();
        } finally {
            demo.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** First line: where the demo was stuck or what it said as it gave up (CI reports show only that line). */
    private static String whyNotStarted(Future<Integer> exit, Thread demoThread, StringWriter output,
            StringWriter errors) {
        String state = exit.isDone() ? "demo ended early: " + errors.toString().lines().findFirst().orElse("(no error)")
                : "demo still starting, at " + Arrays.stream(demoThread.getStackTrace()).limit(12)
                        .map(frame -> frame.getClassName().replaceAll(".*\\.", "") + "." + frame.getMethodName())
                        .collect(Collectors.joining(" < "));
        return state + "\noutput:\n" + output + "\nerrors:\n" + errors;
    }

    /** The statuses in the last table the live view printed. */
    private static Map<String, String> lastTableStatuses(String text) {
        Map<String, String> statuses = new HashMap<>();
        Matcher row = TABLE_ROW.matcher(text);
        while (row.find()) {
            statuses.put(row.group(1), row.group(2));
        }
        return statuses;
    }
}
