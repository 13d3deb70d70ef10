package dev.healthmon.probe;

import java.util.Optional;
import javax.net.ssl.SSLContext;

/** Every {@link McpTlsPinningTest} case with the SDK sending the ping too (no lean path). */
class McpTlsPinningSdkPingTest extends McpTlsPinningTest {

    @Override
    Optional<PlainHttpClient> leanPing(SSLContext trust) {
        return Optional.empty();
    }
}
