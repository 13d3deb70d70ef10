package dev.healthmon.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.support.HealthEvents;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EventRecorderTest {

    @Test
    void countsFailedChecksByKindWithTheFirstMessageOfEach() {
        Map<String, Object> failures = new LinkedHashMap<>();
        EventRecorder.countFailure(failures, HealthEvents.event("b1").build());
        EventRecorder.countFailure(failures, failed("b2", FailureKind.TIMEOUT, "no answer in 625 ms"));
        EventRecorder.countFailure(failures, failed("b3", FailureKind.TIMEOUT, "no answer in 625 ms, again"));
        EventRecorder.countFailure(failures, failed("b4", FailureKind.CONNECTION_REFUSED, "refused"));

        assertThat(failures).containsExactly(Map.entry("TIMEOUT", 2L),
                Map.entry("TIMEOUT.example", "no answer in 625 ms"), Map.entry("CONNECTION_REFUSED", 1L),
                Map.entry("CONNECTION_REFUSED.example", "refused"));
    }

    private static HealthEvent failed(String id, FailureKind kind, String message) {
        return HealthEvents.event(id).failure(Optional.of(new Failure(kind, message, OptionalInt.empty()))).build();
    }
}
