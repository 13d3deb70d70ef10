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
     * Whether every future {@link #check} returns completes by {@code settings.timeout()} on its own, with a
     * TIMEOUT result when the backend has not answered by then, rather than within "a small margin" after it.
     * A check of such a probe needs no timeout guard of its own (docs/design.md §4.2); false unless the probe
     * enforces the deadline itself, where the exchange is, as {@link HttpProbe} does.
     */
    default boolean endsByItsTimeout() {
        return false;
    }

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
            public boolean endsByItsTimeout() {
                return Probe.this.endsByItsTimeout();
            }

            @Override
            public void close() {}
        };
    }
}
