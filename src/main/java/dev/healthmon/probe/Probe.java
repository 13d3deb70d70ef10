package dev.healthmon.probe;

import dev.healthmon.registration.BackendRegistration;
import dev.healthmon.registration.CheckSettings;
import java.util.concurrent.CompletableFuture;

/**
 * One kind of health check (HTTP, MCP, TCP). Implementations are asynchronous: {@link #check}
 * returns at once and holds no thread while the backend thinks, so one instance serves every
 * backend of its type.
 *
 * <p>Contract: the returned future completes normally with a classified result, never
 * exceptionally (a backend fault is a result, not an error), and by {@code settings.timeout()}
 * plus a small margin. Cancelling the future aborts the exchange. Implementations are
 * thread-safe.
 */
public interface Probe {

    CompletableFuture<ProbeResult> check(BackendRegistration registration, CheckSettings settings);

    /**
     * A session for one check lifetime. Stateless probes (HTTP, TCP) keep nothing between checks,
     * which is what this default does; the MCP probe keeps an initialized MCP session.
     */
    default ProbeSession openSession(CheckSettings settings) {
        return new ProbeSession() {
            @Override
            public CompletableFuture<ProbeResult> check(BackendRegistration registration) {
                return Probe.this.check(registration, settings);
            }

            @Override
            public void close() {}
        };
    }
}
