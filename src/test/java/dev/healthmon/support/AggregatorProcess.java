package dev.healthmon.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code healthmon aggregate} as a separate JVM process, the aggregator's counterpart of
 * {@link MonitorProcess}: for tests that SIGKILL, SIGSTOP/SIGCONT or SIGTERM it. Its output goes
 * to {@code target/it-logs/<name>.log} (appended, so a restarted instance keeps one log).
 */
public final class AggregatorProcess implements AutoCloseable {

    private final String name;
    private final Process process;

    private AggregatorProcess(String name, Process process) {
        this.name = name;
        this.process = process;
    }

    /**
     * Starts an aggregator with its Kafka Streams state in {@code stateDir} (reuse it to restart
     * the same instance) and its API on {@code httpPort}; {@code args} are added to the command.
     */
    public static AggregatorProcess start(String name, Path stateDir, int httpPort, List<String> args)
            throws IOException {
        Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve(name + ".log");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "dev.healthmon.cli.HealthmonCli", "aggregate", "--state-dir", stateDir.toString(),
                "--http-host", "127.0.0.1", "--advertised-host", "127.0.0.1",
                "--http-port", Integer.toString(httpPort)));
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        return new AggregatorProcess(name, process);
    }

    public String name() {
        return name;
    }

    public Process process() {
        return process;
    }

    /** SIGKILL: no shutdown hook runs; the state directory keeps what was flushed. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM. */
    public void terminate() {
        process.destroy();
    }

    /** SIGSTOP: frozen, still a member of its group until its session times out. */
    public void freeze() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT. */
    public void thaw() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
}
