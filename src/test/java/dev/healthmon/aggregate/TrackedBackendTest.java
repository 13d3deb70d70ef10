package dev.healthmon.aggregate;

import static dev.healthmon.support.Registrations.json;
import static dev.healthmon.support.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.registration.RegistrationVersion;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each backend's epoch fence window comes from its own timing (docs/design.md §6.3). */
class TrackedBackendTest {

    private static TrackedBackend tracked(Consumer<ObjectNode> healthCheck) {
        DecodedRegistration.Valid r = valid(json("api", "http://api.test/",
                j -> healthCheck.accept((ObjectNode) j.get("healthCheck"))));
        return TrackedBackend.of(r.registration(), r.settings(), new RegistrationVersion(0, 1));
    }

    @ParameterizedTest(name = "interval {0} ms, unhealthy interval {1} ms, jitter {2} %, timeout {3} ms → {4} ms")
    @CsvSource({
            "1000,     1000,      10, 500,    11600",    // 10 s + 1.1 s + 0.5 s
            "1000,     60000,     10, 500,    76500",    // the unhealthy interval is the longest
            "86400000, 86400000,  0,  10000,  86420000", // checked daily: fenced for a day
            "30000,    30000,     50, 10000,  65000"})   // the largest jitter counts
    void fenceWindowIsSessionTimeoutPlusLongestIntervalPlusTimeout(long interval, long unhealthyInterval, int jitter,
                                                                 long timeout, long windowMs) {
        TrackedBackend backend = tracked(h -> h.put("intervalMs", interval)
                .put("unhealthyIntervalMs", unhealthyInterval).put("jitterPercent", jitter).put("timeoutMs", timeout));

        assertThat(backend.fenceWindow(Duration.ofSeconds(10))).isEqualTo(Duration.ofMillis(windowMs));
    }
}
