package dev.healthmon.probe;

import java.util.Optional;

/**
 * Every {@link McpProbeTest} case with the SDK sending the ping too (no lean path): the SDK is the
 * reference for protocol conformance, and the lean ping must pass exactly what it passes.
 */
class McpProbeSdkPingTest extends McpProbeTest {

    @Override
    Optional<PlainHttpClient> leanPing(PlainHttpClient client) {
        return Optional.empty();
    }
}
