package dev.healthmon.cli;

import dev.healthmon.MonitorConfig;
import dev.healthmon.MonitorService;
import dev.healthmon.http.Meters;
import dev.healthmon.http.OpsServer;
import dev.healthmon.http.Readiness;
import dev.healthmon.monitor.CircuitBreakerSettings;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.target.TargetPolicy;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code healthmon monitor}: runs one monitor instance until SIGTERM or Ctrl-C. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = "Check the backends of the registry partitions this instance owns; publish every result.")
final class MonitorCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @ArgGroup(validate = false, heading = "Health-check defaults (a registration's healthCheck overrides them):%n")
    CheckDefaultsOptions checks = new CheckDefaultsOptions();

    @Option(names = "--group-id", defaultValue = "healthmon",
            description = "Consumer group shared by all monitor instances (default ${DEFAULT-VALUE}).")
    String groupId;

    @Option(names = "--group-protocol", defaultValue = "classic",
            description = "classic (cooperative-sticky) or consumer (KIP-848). Default ${DEFAULT-VALUE}.")
    String groupProtocol;

    @Option(names = "--monitor-id", description = "This instance's name in events (default host-pid).")
    String monitorId;

    @Option(names = "--circuit-breaker", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Space out checks of dead backends (default on; --no-circuit-breaker disables).")
    boolean circuitBreaker;

    @Option(names = "--circuit-breaker-failures", defaultValue = "5",
            description = "Consecutive failures that open the circuit (default ${DEFAULT-VALUE}; at least the "
                    + "unhealthy threshold).")
    int circuitBreakerFailures;

    @Option(names = "--circuit-breaker-open-ms", defaultValue = "60000",
            description = "How long an open circuit waits before its half-open trial (default ${DEFAULT-VALUE}).")
    long circuitBreakerOpenMs;

    @Option(names = "--deny-target-cidr", paramLabel = "CIDR",
            description = "Refuse probes to this range too (repeatable). Always denied: 169.254.0.0/16, fe80::/10, "
                    + "fd00:ec2::254.")
    List<String> denyTargets = new ArrayList<>();

    @Option(names = "--allow-target-cidr", paramLabel = "CIDR",
            description = "Allow probes to this range even if denied (repeatable), e.g. 169.254.0.0/16.")
    List<String> allowTargets = new ArrayList<>();

    @Option(names = "--secrets-file", paramLabel = "PATH",
            description = "YAML/JSON file declaring the secrets registrations may name, each with its source "
                    + "(env:/file:) and allowedTargets. Without it, registrations with auth are dead-lettered.")
    Path secretsFile;

    @Option(names = "--mcp-lean", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Send the ping of a kept streamable-HTTP MCP session, and fresh-session ping checks, "
                    + "through healthmon's own HTTP client (default on; --no-mcp-lean sends every MCP request through "
                    + "the SDK).")
    boolean mcpLean;

    @Option(names = "--http-host", defaultValue = "0.0.0.0",
            description = "Listen address of /metrics, /healthz, /readyz. Default ${DEFAULT-VALUE}.")
    String httpHost;

    @Option(names = "--http-port", defaultValue = "8081",
            description = "Port of /metrics, /healthz, /readyz; 0 picks a free port. Default ${DEFAULT-VALUE}.")
    int httpPort;

    @Option(names = "--shutdown-timeout-ms", defaultValue = "10000", description = "Default ${DEFAULT-VALUE}.")
    long shutdownTimeoutMs;

    @Option(names = "--print-config", description = "Print the effective settings (flags > HEALTHMON_* environment > "
            + "--config file > defaults) and exit.")
    boolean printConfig;

    /** The monitor's configuration from the parsed settings (its own method: tests read what reaches it). */
    MonitorConfig config() {
        return new MonitorConfig(kafka.settings(), kafka.topics(), groupId, groupProtocol,
                monitorId != null ? monitorId : defaultMonitorId(), checks.toDefaults(),
                new CircuitBreakerSettings(circuitBreaker, circuitBreakerFailures,
                Duration.ofMillis(circuitBreakerOpenMs)),
                TargetPolicy.of(denyTargets, allowTargets),
                Duration.ofSeconds(5),
                Duration.ofMillis(shutdownTimeoutMs), 100_000,
                secretsFile == null ? SecretCatalog.EMPTY : SecretCatalog.load(secretsFile), mcpLean);
    }

    @Override
    public Integer call() throws InterruptedException {
        if (printConfig) {
            EffectiveSettings.print(spec, kafka.settings(), spec.commandLine().getOut());
            return 0;
        }
        MonitorConfig config = config();
        PrometheusMeterRegistry meters = Meters.prometheus();
        // Bind the port first: a taken port fails the start before anything joins the group.
        AtomicReference<MonitorService> running = new AtomicReference<>();
        OpsServer ops = OpsServer.start(httpHost, httpPort, meters, () -> running.get() == null
                ? Readiness.notReady("starting") : running.get().readiness());
        MonitorService service;
        try {
            service = MonitorService.start(config, meters);
        } catch (RuntimeException e) {
            ops.close();
            throw e;
        }
        running.set(service);
        spec.commandLine().getErr().printf("metrics and probes: http://%s:%d/metrics /healthz /readyz%n", httpHost,
                ops.port());
        Thread hook = new Thread(() -> {
            service.close();
            ops.close();
            // A graceful stop is a success: without this the JVM reports SIGTERM as exit code 143.
            Runtime.getRuntime().halt(0);
        }, "healthmon-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        Optional<Throwable> failure = service.awaitTermination();
        if (failure.isEmpty()) {
            hook.join(); // closed by SIGTERM / Ctrl-C: the hook finishes the shutdown and exits 0
            return 0;
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        service.close();
        ops.close();
        // Our own errors carry a sentence; Kafka's are clearer with their class name.
        spec.commandLine().getErr().println("error: monitor stopped: " + (failure.get() instanceof IllegalStateException
                ? failure.get().getMessage() : failure.get()));
        return 1;
    }

    /** {@code host-pid}: unique per process, readable in events. */
    static String defaultMonitorId() {
        return ManagementFactory.getRuntimeMXBean().getName().replaceFirst("^(\\d+)@(.*)$", "$2-$1");
    }
}
