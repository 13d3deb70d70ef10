package dev.healthmon.bench;

import static org.awaitility.Awaitility.await;

import dev.healthmon.support.LoopbackPorts;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus blackbox_exporter (the Debian package's binary, {@code -Dbench.blackbox.binary} to use another) in a
 * process of its own, listening on a free loopback port, with one module of our own: {@code http_2xx}, the {@code
 * http} prober over IPv4, 2 s timeout, only 200 a success — what a healthmon {@code http} check asks of a target.
 * Config and log in {@code target/bench/}. The load run drives it with {@code /probe} requests and measures this
 * process's CPU alone (issue #16 target 7). Not thread-safe beyond {@link #probeUri} and {@link #cpu}.
 */
final class BlackboxExporter implements AutoCloseable {

    static final String MODULE = "http_2xx";
    private static final String CONFIG = """
            modules:
              http_2xx:
                prober: http
                timeout: 2s
                http:
                  preferred_ip_protocol: ip4
                  ip_protocol_fallback: false
                  valid_status_codes: [200]
            """;

    private final Process process;
    private final int port;

    private BlackboxExporter(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts it and waits (30 s at most) until it answers {@code /-/healthy}. */
    static BlackboxExporter start() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "bench"));
        Path config = Files.writeString(dir.resolve("blackbox.yml"), CONFIG);
        Path binary = Path.of(System.getProperty("bench.blackbox.binary", "/usr/bin/prometheus-blackbox-exporter"));
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("no blackbox_exporter at " + binary + ": install Debian's "
                    + "prometheus-blackbox-exporter, point -Dbench.blackbox.binary at one, or leave it out "
                    + "(-Dbench.curve.blackbox=false)");
        }
        int port = LoopbackPorts.unused();
        Process process = new ProcessBuilder(binary.toString(),
                "--config.file=" + config.toAbsolutePath(), "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn").redirectErrorStream(true)
                .redirectOutput(dir.resolve("blackbox.log").toFile()).start();
        BlackboxExporter exporter = new BlackboxExporter(process, port);
        HttpClient client = HttpClient.newHttpClient();
        try {
            await("blackbox_exporter answering on port " + port).atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .failFast(() -> !process.isAlive())
                    .until(() -> client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                            + "/-/healthy")).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
        } catch (RuntimeException e) {
            exporter.close();
            throw new IllegalStateException("blackbox_exporter did not start; see target/bench/blackbox.log", e);
        }
        return exporter;
    }

    /** The request that makes it probe {@code target} (a URL) with {@link #MODULE}. */
    URI probeUri(String target) {
        return URI.create("http://127.0.0.1:" + port + "/probe?module=" + MODULE + "&target="
                + URLEncoder.encode(target, StandardCharsets.UTF_8));
    }

    /** Its process's CPU time so far (from {@code /proc/<pid>/stat}). */
    Duration cpu() {
        return process.info().totalCpuDuration().orElseThrow();
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
