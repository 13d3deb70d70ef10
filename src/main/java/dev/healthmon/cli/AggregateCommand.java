package dev.healthmon.cli;

import dev.healthmon.aggregate.AggregatorConfig;
import dev.healthmon.aggregate.AggregatorService;
import dev.healthmon.aggregate.AggregatorSettings;
import dev.healthmon.http.Meters;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code healthmon aggregate}: the Kafka Streams aggregator with its query API and status page. */
@Command(name = "aggregate", mixinStandardHelpOptions = true,
        description = "Run the aggregator: authoritative status per backend, transitions, query API and status page.")
final class AggregateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @picocli.CommandLine.ArgGroup(validate = false, heading = "Health-check defaults (use the monitors' values):%n")
    CheckDefaultsOptions checks = new CheckDefaultsOptions();

    @Option(names = "--application-id", defaultValue = "healthmon-aggregator",
            description = "Kafka Streams application id; instances with the same id share the work. Default "
                    + "${DEFAULT-VALUE}.")
    String applicationId;

    @Option(names = "--http-host", defaultValue = "0.0.0.0",
            description = "Listen address of the API. Default ${DEFAULT-VALUE}.")
    String httpHost;

    @Option(names = "--http-port", defaultValue = "8080", description = "Default ${DEFAULT-VALUE}.")
    int httpPort;

    @Option(names = "--advertised-host",
            description = "How other instances reach this one (default: this host's name).")
    String advertisedHost;

    @Option(names = "--state-dir", description = "Kafka Streams state directory (default: <tmp>/healthmon-streams).")
    Path stateDir;

    @Option(names = "--standby-replicas", defaultValue = "1", description = "Default ${DEFAULT-VALUE}.")
    int standbyReplicas;

    @Option(names = "--flap-changes", defaultValue = "4",
            description = "Status changes that make a backend flapping. Default ${DEFAULT-VALUE}.")
    int flapChanges;

    @Option(names = "--flap-window", defaultValue = "20",
            description = "Results flap detection looks at. Default ${DEFAULT-VALUE}.")
    int flapWindow;

    @Option(names = "--monitor-session-timeout-ms", defaultValue = "10000",
            description = "The monitors' session timeout (with --group-protocol consumer the brokers' "
                    + "group.consumer.session.timeout.ms, 45000 by default); a lower owner epoch "
                    + "is accepted after this plus the backend's longest interval and timeout of quiet. "
                    + "Default ${DEFAULT-VALUE}.")
    long monitorSessionTimeoutMs;

    @Option(names = "--status-heartbeat-ms", defaultValue = "60000",
            description = "N (1000-86400000): a backend-status record only when the status changes, and for the "
                    + "first check of every N ms period, so backend-status carries every change but lastCheckedAt, "
                    + "latencyMs, the counters, availability and lastFailure.at lag by up to N ms. 0: a record "
                    + "after every applied event. "
                    + "Default ${DEFAULT-VALUE}.")
    long statusHeartbeatMs;

    @Option(names = "--print-config", description = "Print the effective settings (flags > HEALTHMON_* environment > "
            + "--config file > defaults) and exit.")
    boolean printConfig;

    @Override
    public Integer call() throws InterruptedException, UnknownHostException {
        if (printConfig) {
            EffectiveSettings.print(spec, kafka.settings(), spec.commandLine().getOut());
            return 0;
        }
        AggregatorConfig config = new AggregatorConfig(kafka.settings(), kafka.topics(), applicationId,
                checks.toDefaults(),
                new AggregatorSettings(flapChanges, flapWindow, Duration.ofMillis(monitorSessionTimeoutMs),
                        AggregatorSettings.DEFAULTS.historyPerBackend(), Duration.ofMillis(statusHeartbeatMs)),
                httpHost, httpPort, advertisedHost != null ? advertisedHost : InetAddress.getLocalHost().getHostName(),
                stateDir != null ? stateDir : Path.of(System.getProperty("java.io.tmpdir"), "healthmon-streams"),
                standbyReplicas);
        AggregatorService service = AggregatorService.start(config, Meters.prometheus());
        spec.commandLine().getOut().printf("status page: http://%s:%d/%n", config.advertisedHost(), service.httpPort());
        spec.commandLine().getOut().flush();
        Thread hook = new Thread(() -> {
            service.close();
            Runtime.getRuntime().halt(0); // a graceful stop is a success, not exit code 143
        }, "healthmon-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        KafkaStreams.State end = service.awaitTermination();
        if (end != KafkaStreams.State.ERROR) {
            hook.join();
            return 0;
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        service.close();
        spec.commandLine().getErr().println("error: aggregator stopped after a fatal error (see the log)");
        return 1;
    }
}
