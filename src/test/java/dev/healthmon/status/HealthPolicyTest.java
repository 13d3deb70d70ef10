package dev.healthmon.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The policy as a table: a sequence of check outcomes and the status after each one
 * (H healthy, S slow, R rate-limited, F failure, A auth refused).
 */
class HealthPolicyTest {

    static Stream<Arguments> sequences() {
        return Stream.of(
                // ToolHive parity
                Arguments.of("first success is healthy at once", "H", "HEALTHY"),
                Arguments.of("new backend stays UNKNOWN below the threshold", "F F F",
                "UNKNOWN UNKNOWN UNHEALTHY/FAILING"),
                Arguments.of("established backend keeps its status below the threshold", "H F F F",
                        "HEALTHY HEALTHY HEALTHY UNHEALTHY/FAILING"),
                Arguments.of("auth refusal at the threshold is UNAUTHENTICATED", "A A A",
                        "UNKNOWN UNKNOWN UNAUTHENTICATED/AUTH_REQUIRED"),
                Arguments.of("above the threshold each failure's kind wins", "F F F A F",
                        "UNKNOWN UNKNOWN UNHEALTHY/FAILING UNAUTHENTICATED/AUTH_REQUIRED UNHEALTHY/FAILING"),
                Arguments.of("slow success is DEGRADED with reason SLOW", "S", "DEGRADED/SLOW"),
                // ours: recovery passes through RECOVERING until the healthy threshold
                Arguments.of("recovery needs healthyThreshold successes", "F F F H H",
                        "UNKNOWN UNKNOWN UNHEALTHY/FAILING DEGRADED/RECOVERING HEALTHY"),
                Arguments.of("a blip below the threshold still recovers", "H F H H",
                        "HEALTHY HEALTHY DEGRADED/RECOVERING HEALTHY"),
                Arguments.of("failure during recovery restarts the count", "F F F H F H H",
                        "UNKNOWN UNKNOWN UNHEALTHY/FAILING DEGRADED/RECOVERING DEGRADED/RECOVERING "
                        + "DEGRADED/RECOVERING HEALTHY"),
                Arguments.of("recovered but slow is SLOW, not HEALTHY", "F F F H S",
                        "UNKNOWN UNKNOWN UNHEALTHY/FAILING DEGRADED/RECOVERING DEGRADED/SLOW"),
                Arguments.of("rate limiting is a degraded success", "H R H", "HEALTHY DEGRADED/RATE_LIMITED HEALTHY"),
                Arguments.of("slow then fast is healthy at once", "S H", "DEGRADED/SLOW HEALTHY"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sequences")
    void statusAfterEachOutcome(String description, String outcomes, String expected) {
        PolicyState state = PolicyState.INITIAL;
        List<String> statuses = new ArrayList<>();
        for (String outcome : outcomes.split(" ")) {
            state = HealthPolicy.next(state, observation(outcome), Thresholds.DEFAULTS);
            statuses.add(state.status() + state.reason().map(r -> "/" + r).orElse(""));
        }
        assertThat(String.join(" ", statuses)).isEqualTo(expected);
    }

    @Test
    void thresholdOfOneMakesTheFirstFailureUnhealthy() {
        PolicyState state = HealthPolicy.next(PolicyState.INITIAL, Observation.unhealthy(), new Thresholds(1, 1));
        assertThat(state.status()).isEqualTo(HealthStatus.UNHEALTHY);
    }

    @Test
    void healthyThresholdOfOneSkipsRecovering() {
        Thresholds t = new Thresholds(1, 1);
        PolicyState state = HealthPolicy.next(PolicyState.INITIAL, Observation.unhealthy(), t);
        state = HealthPolicy.next(state, Observation.healthy(), t);
        assertThat(state.status()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void countsConsecutiveResults() {
        PolicyState state = PolicyState.INITIAL;
        for (int i = 0; i < 4; i++) {
            state = HealthPolicy.next(state, Observation.unhealthy(), Thresholds.DEFAULTS);
        }
        assertThat(state.consecutiveFailures()).isEqualTo(4);
        state = HealthPolicy.next(state, Observation.healthy(), Thresholds.DEFAULTS);
        assertThat(state.consecutiveFailures()).isZero();
        assertThat(state.consecutiveSuccesses()).isEqualTo(1);
    }

    @Test
    void degradedWithoutReasonIsRejected() {
        assertThatThrownBy(() -> new PolicyState(HealthStatus.DEGRADED, Optional.empty(), 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Observation(Outcome.DEGRADED, Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void thresholdsOutOfRangeNameTheSetting() {
        assertThatThrownBy(() -> new Thresholds(0, 2)).hasMessageContaining("unhealthyThreshold");
        assertThatThrownBy(() -> new Thresholds(3, 0)).hasMessageContaining("healthyThreshold");
    }

    private static Observation observation(String code) {
        return switch (code) {
            case "H" -> Observation.healthy();
            case "S" -> Observation.degraded(Reason.SLOW);
            case "R" -> Observation.degraded(Reason.RATE_LIMITED);
            case "F" -> Observation.unhealthy();
            case "A" -> Observation.unauthenticated();
            default -> throw new IllegalArgumentException(code);
        };
    }
}
