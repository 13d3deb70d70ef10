package dev.healthmon.bench;

import static dev.healthmon.support.Registrations.json;
import static dev.healthmon.support.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.management.OperatingSystemMXBean;
import dev.healthmon.probe.McpProbe;
import dev.healthmon.probe.ProbeResult;
import dev.healthmon.probe.ProbeSession;
import dev.healthmon.probe.Probes;
import dev.healthmon.probe.SecretResolver;
import dev.healthmon.probe.TargetVetting;
import dev.healthmon.registration.CheckType;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.status.Outcome;
import dev.healthmon.target.TargetPolicy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CPU time the monitor spends per check, by probe: {@code http}, {@code https} (the same endpoint over TLS 1.3, kept
 * connections: issue #16 asks for at most 2× http), {@code mcp} on a reused session (one {@code ping}) and {@code mcp}
 * with a fresh session (initialize, initialized, ping, DELETE); both MCP cases also with the SDK sending every request
 * (no lean paths, design.md §10.26 and §10.28: as {@code --no-mcp-lean}), in the same run. The MCP servers are
 * spread over 7 ports like the others.
 * The backends run in another JVM ({@link BenchServers}), so the figure is this process's CPU
 * time (all threads: JDK HTTP client, Reactor, the SDK) divided by the number of checks.
 *
 * <p>Run: {@code mvn -B -Pbench test -Dtest=ProbeCostBench}. Backends: {@value #BACKENDS}, each
 * checked {@value #ROUNDS} times, all backends of a round in flight together. {@code http} and {@code https} run
 * once more after everything else ({@code http again}, {@code https again}): warm, every client path compiled.
 * {@code -Dbench.probeCost.mcp=false} leaves the MCP cases out (for profiling https);
 * {@code -Dbench.probeCost.warmupRounds=N} sets the unmeasured rounds before each case (default 300, ≈ 3 min in
 * all: with 20 the JIT compiler was still compiling the TLS and MCP paths in the measured rounds, 300-550 µs per
 * check on its own threads, so the ratios were a young JVM's, not a monitor's that has run for a minute).
 */
class ProbeCostBench {

    private static final int BACKENDS = 50;
    private static final int ROUNDS = 60;
    private static final int WARMUP_ROUNDS = Integer.getInteger("bench.probeCost.warmupRounds", 300);
    private static final String KEY_STORE_PASSWORD = "changeit";

    private static Process servers;
    private static List<String> mcpUrl;
    private static List<String> httpUrl;
    private static List<String> httpsUrl;
    private static Path keyStoreDir;
    private static BufferedReader serverOutput;
    private static Writer serverCommands;
    /** Per case: new connections per check and CPU per check by thread, for the result file. */
    private static final Map<String, Object> COSTS = new LinkedHashMap<>();
    private final Probes probes = Probes.standard();

    @BeforeAll
    static void startServers() throws Exception {
        // A self-signed certificate for 127.0.0.1, which this JVM's default trust (the probes' in production) trusts
        // for the run: set before anything asks for the default TLS context.
        keyStoreDir = Files.createTempDirectory("probe-cost-bench");
        Path keyStore = keyStoreDir.resolve("server.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process keys = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-keystore",
                keyStore.toString(), "-storetype", "PKCS12", "-storepass", KEY_STORE_PASSWORD)
                .redirectErrorStream(true).start();
        String keytoolOutput = new String(keys.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(keys.waitFor(60, TimeUnit.SECONDS) && keys.exitValue() == 0).as(keytoolOutput).isTrue();
        System.setProperty("javax.net.ssl.trustStore", keyStore.toString());
        System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
        System.setProperty("javax.net.ssl.trustStorePassword", KEY_STORE_PASSWORD);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        servers = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), BenchServers.class.getName(),
                keyStore.toString(), KEY_STORE_PASSWORD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        serverOutput = new BufferedReader(new InputStreamReader(servers.getInputStream(), StandardCharsets.UTF_8));
        serverCommands = new OutputStreamWriter(servers.getOutputStream(), StandardCharsets.UTF_8);
        String line;
        while ((line = serverOutput.readLine()) != null && !line.startsWith("mcp=")) {
            // skip anything else the child prints
        }
        assertThat(line).as("BenchServers started").isNotNull();
        String[] parts = line.split(" ");
        mcpUrl = List.of(parts[0].substring("mcp=".length()).split(","));
        httpUrl = List.of(parts[1].substring("http=".length()).split(","));
        httpsUrl = List.of(parts[2].substring("https=".length()).split(","));
    }

    @AfterAll
    static void stopServers() throws Exception {
        servers.getOutputStream().close();
        if (!servers.waitFor(10, TimeUnit.SECONDS)) {
            servers.destroyForcibly();
        }
        Utils.delete(keyStoreDir.toFile());
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES) // six cases of 80 rounds: past the suite's 60 s default
    void cpuTimePerCheckByProbe() throws Exception {
        double http = cpuMillisPerCheck(probes, "http", httpUrl, j -> {});
        double https = cpuMillisPerCheck(probes, "https", httpsUrl, j -> {});
        Consumer<ObjectNode> reuse = j -> j.put("transport", "streamable-http");
        Consumer<ObjectNode> fresh = j -> ((ObjectNode) j.put("transport", "streamable-http")
                .get("healthCheck")).put("mcpSession", "fresh");
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("checksPerProbe", ROUNDS * BACKENDS);
        figures.put("httpCpuMicrosPerCheck", Math.round(http * 1000));
        figures.put("httpsCpuMicrosPerCheck", Math.round(https * 1000));
        figures.put("httpsToHttp", Math.round(https / http * 100) / 100.0);
        if (Boolean.parseBoolean(System.getProperty("bench.probeCost.mcp", "true"))) {
            mcpCases(http, reuse, fresh, figures);
        }
        // http and https once more, last: the first cases also pay for compiling the client's code (and TLS's).
        double httpLast = cpuMillisPerCheck(probes, "http again", httpUrl, j -> {});
        double httpsLast = cpuMillisPerCheck(probes, "https again", httpsUrl, j -> {});
        System.out.printf(Locale.ROOT, "%nMeasured last: http %.3f ms/check, https %.3f ms/check (%.2f× http)%n",
                httpLast, httpsLast, httpsLast / httpLast);
        figures.put("httpMeasuredLastCpuMicrosPerCheck", Math.round(httpLast * 1000));
        figures.put("httpsMeasuredLastCpuMicrosPerCheck", Math.round(httpsLast * 1000));
        figures.put("httpsToHttpMeasuredLast", Math.round(httpsLast / httpLast * 100) / 100.0);
        if (figures.get("mcpReusedSessionCpuMicrosPerCheck") instanceof Long reused) {
            figures.put("mcpReusedToHttpMeasuredLast", Math.round(reused / (httpLast * 1000) * 100) / 100.0);
            figures.put("mcpFreshToHttpMeasuredLast", Math.round(
                    (Long) figures.get("mcpFreshSessionCpuMicrosPerCheck") / (httpLast * 1000) * 100) / 100.0);
        }
        // All the connections the servers saw, warm-up included: 50 backends on kept connections open ≈ 50 per scheme.
        figures.put("httpConnectionsInAll", connections("http"));
        figures.put("httpsConnectionsInAll", connections("https"));
        figures.putAll(COSTS);
        BenchResults.write("probe-cost", figures);
        probes.close();
    }

    /** The MCP cases: the lean ping and the SDK sending the ping (before the lean ping, design.md §10.26). */
    private void mcpCases(double http, Consumer<ObjectNode> reuse, Consumer<ObjectNode> fresh,
                          Map<String, Object> figures) throws Exception {
        double sdkReuse;
        double sdkFresh;
        ExecutorService resolver = Executors.newFixedThreadPool(2);
        try (Probes sdkOnly = new Probes(Map.of(CheckType.MCP, new McpProbe(HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER).version(HttpClient.Version.HTTP_1_1).build(),
                Optional.empty(), new SecretResolver(SecretCatalog.EMPTY),
                new TargetVetting(TargetPolicy.DEFAULT, InetAddress::getAllByName, resolver))))) {
            sdkReuse = cpuMillisPerCheck(sdkOnly, "mcp reuse, SDK ping", mcpUrl, reuse);
            sdkFresh = cpuMillisPerCheck(sdkOnly, "mcp fresh, SDK ping", mcpUrl, fresh);
        } finally {
            resolver.shutdownNow();
        }
        double mcpReuse = cpuMillisPerCheck(probes, "mcp reuse", mcpUrl, reuse);
        double mcpFresh = cpuMillisPerCheck(probes, "mcp fresh", mcpUrl, fresh);
        System.out.printf(Locale.ROOT, "%nWith the SDK sending the ping: mcp reuse %.3f ms/check (%.1f× http);"
                + " mcp fresh %.3f ms/check (%.1f× http)%n", sdkReuse, sdkReuse / http, sdkFresh, sdkFresh / http);
        figures.put("mcpReusedToHttp", Math.round(mcpReuse / http * 100) / 100.0);
        figures.put("mcpFreshToHttp", Math.round(mcpFresh / http * 100) / 100.0);
        figures.put("mcpReusedSessionCpuMicrosPerCheck", Math.round(mcpReuse * 1000));
        figures.put("mcpFreshSessionCpuMicrosPerCheck", Math.round(mcpFresh * 1000));
        figures.put("mcpReusedSessionSdkPingCpuMicrosPerCheck", Math.round(sdkReuse * 1000));
        figures.put("mcpFreshSessionSdkPingCpuMicrosPerCheck", Math.round(sdkFresh * 1000));
    }

    /**
     * Backend {@code i} answers at {@code urls[i % urls.size()]}. Also records, under the case's label, the new
     * connections per measured check (http and https: counted by the servers) and the CPU per check of the busiest
     * thread groups (the JIT's and GC's included), in {@link #COSTS}.
     */
    private static double cpuMillisPerCheck(Probes probes, String label, List<String> urls,
                                            Consumer<ObjectNode> edit) throws Exception {
        List<ProbeSession> sessions = new ArrayList<>();
        List<DecodedRegistration.Valid> registrations = new ArrayList<>();
        for (int i = 0; i < BACKENDS; i++) {
            DecodedRegistration.Valid r = valid(json("b" + i, urls.get(i % urls.size()), j -> {
                ((ObjectNode) j.get("healthCheck")).put("intervalMs", 60_000).put("timeoutMs", 10_000);
                edit.accept(j);
            }));
            registrations.add(r);
            sessions.add(probes.openSession(r.settings()));
        }
        rounds(WARMUP_ROUNDS, sessions, registrations);
        // The servers count the connections of their /health endpoints only: the MCP servers are not theirs.
        String scheme = urls == httpsUrl ? "https" : urls == httpUrl ? "http" : "";
        long connectionsBefore = scheme.isEmpty() ? -1 : connections(scheme);
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Map<String, OsThreadStats.Usage> threadsBefore = OsThreadStats.sample();
        long cpuBefore = os.getProcessCpuTime();
        long wallBefore = System.nanoTime();
        rounds(ROUNDS, sessions, registrations);
        double cpuMs = (os.getProcessCpuTime() - cpuBefore) / 1e6;
        double wallMs = (System.nanoTime() - wallBefore) / 1e6;
        Map<String, OsThreadStats.Usage> threads = OsThreadStats.delta(threadsBefore, OsThreadStats.sample());
        int checks = ROUNDS * BACKENDS;
        // The JIT compiles the client's code (and TLS's) during the first cases: a cost of a young JVM, not per check.
        // Summed per thread from /proc (nanoseconds): the process's CPU time comes in 10 ms ticks.
        COSTS.put(label + ": CPU per check without the JIT's threads, µs",
                Math.round(OsThreadStats.cpuNanosWithoutJit(threads) / 1e3 / checks));
        String connectionsPerCheck = "";
        if (connectionsBefore >= 0) {
            double perCheck = (double) (connections(scheme) - connectionsBefore) / checks;
            COSTS.put(label + ": new connections per check", Math.round(perCheck * 1000) / 1000.0);
            connectionsPerCheck = String.format(Locale.ROOT, ", %.3f new connections/check", perCheck);
        }
        sessions.forEach(ProbeSession::close);
        StringBuilder byThread = new StringBuilder();
        threads.entrySet().stream()
                .sorted((a, b) -> Long.compare(b.getValue().cpuNanos(), a.getValue().cpuNanos()))
                .limit(5)
                .forEach(e -> byThread.append(byThread.isEmpty() ? "" : ", ").append(e.getKey()).append(' ')
                        .append(Math.round(e.getValue().cpuNanos() / 1e3 / checks)).append(" µs")
                        .append(String.format(Locale.ROOT, " (%.2f wake-ups)",
                                (double) e.getValue().switches() / checks)));
        COSTS.put(label + ": CPU and wake-ups per check by thread", byThread.toString());
        System.out.printf(Locale.ROOT, "%-10s %d checks: %.0f ms CPU, %.0f ms wall, %.3f ms CPU/check%s; by thread:"
                + " %s%n", label, checks, cpuMs, wallMs, cpuMs / checks, connectionsPerCheck, byThread);
        return cpuMs / checks;
    }

    /** Connections that have carried a request to the servers of {@code scheme} so far ({@link BenchServers}). */
    private static long connections(String scheme) throws IOException {
        serverCommands.write("connections\n");
        serverCommands.flush();
        String line = serverOutput.readLine();
        assertThat(line).as("BenchServers' answer").startsWith("connections ");
        for (String part : line.substring("connections ".length()).split(" ")) {
            if (part.startsWith(scheme + "=")) {
                return Long.parseLong(part.substring(scheme.length() + 1));
            }
        }
        throw new AssertionError("no count for " + scheme + " in " + line);
    }

    private static void rounds(int rounds, List<ProbeSession> sessions, List<DecodedRegistration.Valid> registrations)
            throws Exception {
        for (int round = 0; round < rounds; round++) {
            List<CompletableFuture<ProbeResult>> inFlight = new ArrayList<>();
            for (int i = 0; i < sessions.size(); i++) {
                inFlight.add(sessions.get(i).check(registrations.get(i).registration()));
            }
            for (CompletableFuture<ProbeResult> result : inFlight) {
                ProbeResult r = result.get(30, TimeUnit.SECONDS);
                assertThat(r.observation().outcome()).as("%s", r).isEqualTo(Outcome.HEALTHY);
            }
        }
    }
}
