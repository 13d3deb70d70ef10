package dev.healthmon.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code healthmon aggregate} as a separate JVM process, for tests where the point is what happens
 * to the process: SIGKILL mid-transaction, restart on the same state directory and port. Its API
 * listens on 127.0.0.1 at a fixed port (so a restarted instance is found where the old one was).
 * Its output is appended to {@code target/it-logs/<name>.log}, across restarts.
 */
public final class AggregatorProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final int httpPort;
    private final List<String> command;
    private final Path log;
    private Process process;

    private AggregatorProcess(String name, int httpPort, List<String> command, Path log) {
        this.name = name;
        this.httpPort = httpPort;
        this.command = command;
        this.log = log;
    }

    /**
     * Starts an aggregator; {@code args} are added to {@code healthmon aggregate --http-host 127.0.0.1
     * --advertised-host 127.0.0.1 --http-port <port> --state-dir <stateDir>}.
     */
    public static AggregatorProcess start(String name, int httpPort, Path stateDir, List<String> args)
            throws IOException {
        Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve(name + ".log");
        Files.deleteIfExists(log);
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "dev.healthmon.cli.HealthmonCli", "aggregate", "--http-host", "127.0.0.1",
                "--advertised-host", "127.0.0.1", "--http-port", Integer.toString(httpPort),
                "--state-dir", stateDir.toString()));
        command.addAll(args);
        AggregatorProcess aggregator = new AggregatorProcess(name, httpPort, List.copyOf(command), log);
        aggregator.launch();
        return aggregator;
    }

    private void launch() throws IOException {
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    public String name() {
        return name;
    }

    public int httpPort() {
        return httpPort;
    }

    public boolean alive() {
        return process.isAlive();
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    /** SIGKILL: no shutdown hook runs, an open Kafka transaction is left for the broker to abort. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    /** Starts the same command again (same state directory, port, application id) after {@link #kill}. */
    public void restart() throws IOException {
        if (process.isAlive()) {
            throw new IllegalStateException(name + " is still running");
        }
        Files.writeString(log, "---- restarted ----\n", StandardOpenOption.APPEND);
        launch();
    }

    /** GET on this instance's API; throws when it does not answer at all (not started, killed). */
    public HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + pathAndQuery))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** SIGTERM, as an orchestrator stops a container. */
    public void terminate() {
        process.destroy();
    }

    /** SIGSTOP: frozen, still a member of its group until its session times out. */
    public void freeze() throws IOException, InterruptedException {
        ProcessSignals.send(process, "STOP");
    }

    /** SIGCONT: the frozen process resumes, unaware that time has passed. */
    public void thaw() throws IOException, InterruptedException {
        ProcessSignals.send(process, "CONT");
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
