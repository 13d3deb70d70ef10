package dev.healthmon.cli;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code healthmon sample-backends}: the demo's sample HTTP backends on their own, for the compose file. */
@Command(name = "sample-backends", mixinStandardHelpOptions = true,
        description = "Serve the demo's sample backends (/healthy, /slow, /failing, /auth) until stopped.")
final class SampleBackendsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--host", defaultValue = "0.0.0.0", description = "Default ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", defaultValue = "8000", description = "Default ${DEFAULT-VALUE}.")
    int port;

    @Override
    public Integer call() throws Exception {
        try (ShutdownSignal signal = ShutdownSignal.install("healthmon-samples-stop", Duration.ofSeconds(10));
             SampleBackends backends = SampleBackends.start(new InetSocketAddress(host, port))) {
            spec.commandLine().getOut().printf("sample backends on %s:%d: /healthy /slow /failing /auth%n", host, port);
            spec.commandLine().getOut().flush();
            signal.await();
        }
        return 0;
    }
}
