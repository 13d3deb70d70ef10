package dev.healthmon.probe;

import dev.healthmon.registration.BackendRegistration;
import dev.healthmon.registration.CheckSettings;
import dev.healthmon.status.Observation;
import dev.healthmon.status.Reason;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * The {@code tcp} check: opens a TCP connection to the URL's host and port (80/443 by default)
 * and closes it. Connected → HEALTHY (DEGRADED/SLOW past {@code degradedLatency}); refused,
 * unreachable or unresolvable → UNHEALTHY. Name resolution and the target policy run in
 * {@link TargetVetting}, off the caller's thread; the connect itself is asynchronous. Cancelling the returned future
 * closes the socket.
 */
public final class TcpProbe implements Probe {

    private final TargetVetting vetting;

    public TcpProbe(TargetVetting vetting) {
        this.vetting = vetting;
    }

    @Override
    public CompletableFuture<ProbeResult> check(BackendRegistration registration, CheckSettings settings) {
        long start = System.nanoTime();
        URI url = registration.url();
        int port = url.getPort() != -1 ? url.getPort() : url.getScheme().toLowerCase(Locale.ROOT).equals("https") ? 443
                : 80;
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        CompletableFuture<TargetVetting.Vetted> vetting = this.vetting.vet(url.getHost(), settings.timeout());
        result.whenComplete((r, e) -> vetting.cancel(false)); // a check cancelled while resolving stops waiting
        vetting.thenAccept(vetted -> {
            if (vetted.failure().isPresent()) {
                result.complete(ProbeResult.unhealthy(elapsed(start), vetted.failure().get()));
            } else if (!result.isDone()) {
                connect(new InetSocketAddress(vetted.address().orElseThrow(), port), start, settings, result);
            }
        });
        return result;
    }

    private static void connect(InetSocketAddress address, long start, CheckSettings settings,
                                CompletableFuture<ProbeResult> result) {
        AsynchronousSocketChannel channel;
        try {
            channel = AsynchronousSocketChannel.open();
        } catch (IOException e) {
            result.complete(ProbeResult.unhealthy(elapsed(start), Failures.classify(e)));
            return;
        }
        result.whenComplete((r, e) -> closeQuietly(channel)); // also on cancel: aborts a pending connect
        channel.connect(address, null, new CompletionHandler<Void, Void>() {
            @Override
            public void completed(Void ignored, Void attachment) {
                Duration latency = elapsed(start);
                result.complete(ProbeResult.success(latency.compareTo(settings.degradedLatency()) > 0
                        ? Observation.degraded(Reason.SLOW) : Observation.healthy(), latency));
            }

            @Override
            public void failed(Throwable error, Void attachment) {
                result.complete(ProbeResult.unhealthy(elapsed(start), Failures.classify(error)));
            }
        });
    }

    private static Duration elapsed(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private static void closeQuietly(AsynchronousSocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing to do: the check is over
        }
    }
}
