package dev.healthmon.probe;

import static dev.healthmon.support.Registrations.json;
import static dev.healthmon.support.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.events.FailureKind;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.status.Outcome;
import dev.healthmon.support.LoopbackPorts;
import dev.healthmon.target.TargetPolicy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The tcp probe against real sockets on loopback. */
class TcpProbeTest {

    private final ExecutorService resolver = Executors.newSingleThreadExecutor();
    /** Lookups of hung.test wait on it until the test ends. */
    private final CountDownLatch hangs = new CountDownLatch(1);
    private final TcpProbe probe = new TcpProbe(new TargetVetting(TargetPolicy.DEFAULT, host -> {
        if (host.equals("hung.test")) {
            try {
                hangs.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return host.equals("link-local.test")
                ? new InetAddress[] {InetAddress.getByName("fe80::1")} : InetAddress.getAllByName(host);
    }, resolver));

    @AfterEach
    void stop() {
        hangs.countDown();
        resolver.shutdownNow();
    }

    private ProbeResult check(String url) throws Exception {
        DecodedRegistration.Valid r = valid(json("t", url, j
                -> ((ObjectNode) j.get("healthCheck")).put("type", "tcp")));
        return probe.check(r.registration(), r.settings()).get(10, TimeUnit.SECONDS);
    }

    @Test
    void healthyWhenThePortAcceptsConnections() throws Exception {
        try (ServerSocket open = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            assertThat(check("http://127.0.0.1:"
                    + open.getLocalPort()).observation().outcome()).isEqualTo(Outcome.HEALTHY);
        }
    }

    @Test
    void connectionRefusedWhenNothingListens() throws Exception {
        int port = LoopbackPorts.unused(); // nothing listens there
        ProbeResult result = check("http://127.0.0.1:" + port);
        assertThat(result.observation().outcome()).isEqualTo(Outcome.UNHEALTHY);
        assertThat(result.failure()).hasValueSatisfying(f
                -> assertThat(f.kind()).isEqualTo(FailureKind.CONNECTION_REFUSED));
    }

    @Test
    void refusesAHostNameThatResolvesToALinkLocalAddress() throws Exception {
        ProbeResult result = check("http://link-local.test:80");
        assertThat(result.failure()).hasValueSatisfying(f -> assertThat(f.message()).contains("fe80::/10"));
    }

    @Test
    void dnsFailureWhenTheHostDoesNotResolve() throws Exception {
        ProbeResult result = check("http://no-such-host.invalid:80");
        assertThat(result.failure()).hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.DNS));
    }

    @Test
    void aNameThatDoesNotResolveInTimeEndsAtTheChecksTimeout() throws Exception {
        ProbeResult result = check("http://hung.test:80"); // the registration's timeoutMs is 500
        assertThat(result.failure()).hasValueSatisfying(f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.DNS);
            assertThat(f.message()).contains("not resolved within 500 ms");
        });
    }
}
