package dev.healthmon.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoadPointTest {

    @Test
    void intervalGivesTheRateAskedForWithTheBackendsGiven() {
        LoadPoint point = LoadPoint.atRate(100_000, 4000, 30, 20, false, false);
        assertThat(point.intervalMs()).isEqualTo(25_000);
        assertThat(point.checksPerSecondScheduled()).isEqualTo(4000.0);
    }

    @Test
    void timeoutStaysBelowShortIntervalsAsRegistrationsRequire() {
        assertThat(LoadPoint.atRate(1000, 8000, 30, 20, false, false).timeoutMs()).isEqualTo(62);
        assertThat(new LoadPoint(20_000, 5000, 70, 60, false, false, false).timeoutMs()).isEqualTo(2000);
    }

    @Test
    void refusesAnIntervalNoRegistrationMayAskFor() {
        assertThatThrownBy(() -> LoadPoint.atRate(1000, 20_000, 30, 20, false, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("every 50 ms");
    }
}
