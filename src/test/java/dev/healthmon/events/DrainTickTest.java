package dev.healthmon.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class DrainTickTest {

    private static long millis(DrainTick tick) {
        return TimeUnit.NANOSECONDS.toMillis(tick.nanos());
    }

    @Test
    void startsAtTheShortestTick() {
        assertThat(millis(new DrainTick())).isEqualTo(5);
    }

    @Test
    void growsToTwentyMillisecondsWhileTicksFindOneResultEach() {
        DrainTick tick = new DrainTick();
        tick.ended(1);
        assertThat(millis(tick)).isEqualTo(10);
        tick.ended(1);
        assertThat(millis(tick)).isEqualTo(20);
        tick.ended(0);
        assertThat(millis(tick)).as("never longer than the bound added to the producer's linger").isEqualTo(20);
    }

    @Test
    void keepsItsLengthWhileEachTickFindsAFewResults() {
        DrainTick tick = new DrainTick();
        tick.ended(1);
        tick.ended(1); // 20 ms: 167 results a second bring three or four a tick
        tick.ended(4);
        tick.ended(3);
        assertThat(millis(tick)).isEqualTo(20);
    }

    @Test
    void shrinksBackToFiveMillisecondsWhenResultsComeFaster() {
        DrainTick tick = new DrainTick();
        tick.ended(0);
        tick.ended(0);
        tick.ended(20); // 1,000 a second at 20 ms
        assertThat(millis(tick)).isEqualTo(10);
        tick.ended(10);
        assertThat(millis(tick)).isEqualTo(5);
        tick.ended(5);
        assertThat(millis(tick)).as("five a tick at 5 ms: the wake-up is shared, no need to wait longer")
                .isEqualTo(5);
        tick.ended(500);
        assertThat(millis(tick)).isEqualTo(5);
    }
}
