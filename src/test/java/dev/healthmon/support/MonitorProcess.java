package dev.healthmon.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code healthmon monitor} as a separate JVM process, for tests where the point is what happens
 * to the process: SIGKILL, SIGSTOP/SIGCONT, SIGTERM. Its output goes to {@code target/it-logs/<id>.log}.
 */
public final class MonitorProcess implements AutoCloseable {

    private final String monitorId;
    private final Process process;
    private final Path log;

    private MonitorProcess(String monitorId, Process process, Path log) {
        this.monitorId = monitorId;
        this.process = process;
        this.log = log;
    }

    /** Starts a monitor; {@code args} are added to {@code healthmon monitor --monitor-id <id>}. */
    public static MonitorProcess start(String monitorId, List<String> args) throws IOException {
        return start(monitorId, 0, args);
    }

    /** Starts a monitor whose ops endpoints ({@code /metrics}) listen on {@code httpPort} (0: any). */
    public static MonitorProcess start(String monitorId, int httpPort, List<String> args) throws IOException {
        Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve(monitorId + ".log");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "dev.healthmon.cli.HealthmonCli", "monitor", "--monitor-id", monitorId, "--http-host", "127.0.0.1",
                "--http-port", Integer.toString(httpPort)));
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new MonitorProcess(monitorId, process, log);
    }

    public String id() {
        return monitorId;
    }

    public Process process() {
        return process;
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    /** SIGKILL: no shutdown hook runs, as when a machine dies. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, as an orchestrator stops a container. */
    public void terminate() {
        process.destroy();
    }

    /** SIGSTOP: the process freezes (a long GC pause, a stalled VM) without leaving its group. */
    public void freeze() throws IOException, InterruptedException {
        ProcessSignals.send(process, "STOP");
    }

    /** SIGCONT: the frozen process resumes, unaware that time has passed. */
    public void thaw() throws IOException, InterruptedException {
        ProcessSignals.send(process, "CONT");
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
}
