package dev.healthmon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.healthmon.cli.HealthmonCli;
import dev.healthmon.support.CliRun;
import dev.healthmon.support.LoopbackPorts;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
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

    private static final String STATUS = "[A-Z]+(?: \\([A-Z_]+\\))?";
    /** Every kind of line the first screen may have. */
    private static final List<Pattern> FIRST_SCREEN = Stream.of(
            "",
            "starting an in-process Apache Kafka broker \\(KRaft\\)…",
            "log \\(broker, Kafka Streams, monitor, aggregator\\): \\S+/demo\\.log   \\(--verbose prints it here\\)",
            "Kafka bootstrap servers: 127\\.0\\.0\\.1:\\d+",
            "registered 6 sample backends; expected: .*",
            "status page: http://127\\.0\\.0\\.1:\\d+/   \\(query API: .*\\)",
            "Register your own backend from another terminal:",
            "  java -jar target/healthmon\\.jar register --bootstrap-servers 127\\.0\\.0\\.1:\\d+ \\\\",
            "      --id my-api --url .*",
            "or with kcat \\(murmur2 partitioner, as Java clients use\\):",
            "  echo 'my-api\\|.*' \\\\",
            "      \\| kcat -P -b 127\\.0\\.0\\.1:\\d+ .*",
            "Ctrl-C stops the demo\\.",
            "first health event \\d+ ms after the monitor started",
            "\\d\\d:\\d\\d:\\d\\d  demo-[a-z]+ +" + STATUS + " +-> " + STATUS + "(?: [A-Z_]+: .*)?",
            "\\d\\d:\\d\\d:\\d\\d  demo-[a-z]+ +" + STATUS + " +first failure +[A-Z_]+: .*")
            .map(Pattern::compile).toList();
    /** What the first screen showed before issue #17: the broker's, Streams' and Micrometer's internals. */
    private static final List<String> NOISE = List.of("Bootstrap metadata", "Formatting metadata directory",
            "already registered", "Processing exception handler", "OS temp directory", "WARN", "ERROR");
    /** "X -> X": a status line whose two sides are the same status. */
    private static final Pattern SELF_TRANSITION = Pattern.compile("\\s(\\S+(?: \\([A-Z_]+\\))?)\\s+-> \\1(\\s|$)");

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
        Process demo = demoProcess(demoTmp).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).failFast("the demo ended", () -> !demo.isAlive())
                    .until(() -> Files.readString(output).contains("first health event"));
            Path folder = demoFolder(demoTmp);
            assertThat(folder.toFile().list()).as("the demo's folder while it runs")
                    .containsExactlyInAnyOrder("kafka", "streams", "demo.log");

            demo.destroy(); // SIGTERM

            assertThat(demo.waitFor(90, TimeUnit.SECONDS)).as("the demo ends after SIGTERM").isTrue();
            // 143 = 128 + SIGTERM: the JVM reports the signal; what matters is what it did before ending.
            assertThat(demo.exitValue()).as(Files.readString(output)).isIn(0, 143);
            assertThat(Files.readString(output)).contains("shutting down").doesNotContain("close failed")
                    .contains("the demo's log stays in " + folder.resolve("demo.log"));
            assertThat(demoTmp.toFile().list()).as("left in java.io.tmpdir").containsExactly(
                    folder.getFileName().toString());
            assertThat(folder.toFile().list()).as("left in the demo's folder: the log alone").containsExactly(
                    "demo.log");
            assertThat(Files.readString(folder.resolve("demo.log"))).as("the log has the shutdown")
                    .contains("aggregator stopped");
        } finally {
            demo.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * The first screen, up to the first table of statuses: the addresses, the hint, the status changes and first
     * failures — none of the broker's, Streams' or Micrometer's internals, which are in the demo's log.
     */
    @Test
    void theFirstScreenShowsOnlyWhatTheUserAskedFor(@TempDir Path tmp) throws Exception {
        Path output = tmp.resolve("demo.out");
        Path errors = tmp.resolve("demo.err");
        Path demoTmp = Files.createDirectory(tmp.resolve("java.io.tmpdir"));
        Process demo = demoProcess(demoTmp).redirectOutput(output.toFile()).redirectError(errors.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).failFast("the demo ended", () -> !demo.isAlive())
                    .until(() -> Files.readString(output).contains("\nBACKEND "));
            String stdout = Files.readString(output);
            String stderr = Files.readString(errors);
            List<String> screen = stdout.lines().takeWhile(line -> !line.startsWith("BACKEND ")).toList();

            assertThat(stderr).as("stderr").isEmpty();
            assertThat(screen).as(stdout).allSatisfy(line -> assertThat(FIRST_SCREEN)
                    .as("the kind of line %s", line).anyMatch(kind -> kind.matcher(line).matches()));
            assertThat(screen).as(stdout).noneMatch(line -> SELF_TRANSITION.matcher(line).find())
                    .noneMatch(line -> NOISE.stream().anyMatch(line::contains));
            assertThat(screen).as(stdout).anyMatch(line -> line.contains(" -> HEALTHY"));
            Path log = demoFolder(demoTmp).resolve("demo.log");
            assertThat(screen).contains("log (broker, Kafka Streams, monitor, aggregator): " + log
                    + "   (--verbose prints it here)");
            assertThat(Files.readString(log)).as("the internals went to the demo's log")
                    .contains("storage: Formatting metadata directory", "Using an OS temp directory");
        } finally {
            demo.destroy();
            demo.waitFor(90, TimeUnit.SECONDS);
            demo.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** The demo in a JVM of its own, its temporary folders in {@code demoTmp}. */
    private static ProcessBuilder demoProcess(Path demoTmp) throws IOException {
        return new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx512m", "-Djava.io.tmpdir=" + demoTmp, "-cp", System.getProperty("java.class.path"),
                "dev.healthmon.cli.HealthmonCli", "demo", "--kafka-port", Integer.toString(LoopbackPorts.unused()),
                "--http-port", "0");
    }

    /** The demo's folder in {@code demoTmp} (where the JVM also unpacks native libraries while it runs). */
    private static Path demoFolder(Path demoTmp) {
        List<String> folders = Arrays.stream(demoTmp.toFile().list())
                .filter(name -> name.matches("healthmon-demo-\\d+")).toList();
        assertThat(folders).as("the demo's folders in java.io.tmpdir").hasSize(1);
        return demoTmp.resolve(folders.get(0));
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
