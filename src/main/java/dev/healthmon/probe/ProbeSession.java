package dev.healthmon.probe;

import dev.healthmon.registration.BackendRegistration;
import java.util.concurrent.CompletableFuture;

/**
 * A probe bound to one check lifetime of one backend: whatever it keeps between checks (an
 * initialized MCP session) lives here and dies with {@link #close()}, which the backend's check
 * calls when it stops. A replaced or removed backend therefore never leaves a session behind.
 *
 * <p>Threading: {@link #check} is called by one check at a time (checks of a backend never
 * overlap); {@link #close()} may come from another thread, also while a check is in flight.
 */
public interface ProbeSession extends AutoCloseable {

    /**
     * Same contract as {@link Probe#check}; the registration differs from the bound one in descriptive fields at most.
     */
    CompletableFuture<ProbeResult> check(BackendRegistration registration);

    /**
     * Releases what the session holds; idempotent; a check in flight may then end with any result (it is fenced
     * anyway).
     */
    @Override
    void close();
}
