package dev.healthmon.support;

import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;

/**
 * Tests that need a Docker engine (Testcontainers) call {@link #require} first. Where there is none, as on
 * the machines this project is developed and checked on, the test is reported as skipped, and the reason is
 * printed to stderr so that Maven's output says plainly which test did not run. Even under {@code CI=true}:
 * CI here has no engine either.
 */
public final class DockerEngine {

    private DockerEngine() {}

    /** Aborts the calling test, naming {@code test}, when no Docker engine answers. */
    public static void require(String test) {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            String reason = test + " did NOT run: no Docker engine (Testcontainers found none; it needs DOCKER_HOST "
                    + "or /var/run/docker.sock)";
            System.err.println("SKIPPED: " + reason);
            Assumptions.abort(reason);
        }
    }
}
