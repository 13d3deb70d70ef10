package dev.healthmon.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The scheduler's slack, sized by how many tasks each wake-up took. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BatchSlackTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final BatchSlack slack = BatchSlack.sizedToRate(Duration.ofMillis(5), Duration.ofMillis(40));

    @Test
    void startsAtItsShortest() {
        assertThat(slack.nanos()).isEqualTo(5 * MS);
    }

    @Test
    void doublesAfterWakeUpsThatTookFewTasksUpToItsLongest() {
        slack.taken(1);
        assertThat(slack.nanos()).isEqualTo(10 * MS);
        slack.taken(BatchSlack.FEW);
        assertThat(slack.nanos()).isEqualTo(20 * MS);
        slack.taken(0);
        slack.taken(1);
        slack.taken(1);

        assertThat(slack.nanos()).as("never past the longest").isEqualTo(40 * MS);
    }

    @Test
    void halvesAfterWakeUpsThatTookManyDownToItsShortest() {
        for (int i = 0; i < 3; i++) {
            slack.taken(1);
        }
        slack.taken(BatchSlack.MANY + 1);
        assertThat(slack.nanos()).isEqualTo(20 * MS);
        slack.taken(1_000);
        slack.taken(1_000);
        slack.taken(1_000);

        assertThat(slack.nanos()).as("never below the shortest").isEqualTo(5 * MS);
    }

    @Test
    void staysWhereAWakeUpTakesBetweenFewAndMany() {
        slack.taken(1);

        slack.taken(BatchSlack.FEW + 1);
        slack.taken(BatchSlack.MANY);

        assertThat(slack.nanos()).isEqualTo(10 * MS);
    }

    @Test
    void aFixedSlackNeverMoves() {
        BatchSlack fixed = BatchSlack.fixed(5 * MS);
        fixed.taken(1);
        fixed.taken(1_000);
        BatchSlack none = BatchSlack.fixed(0);
        none.taken(1);

        assertThat(fixed.nanos()).isEqualTo(5 * MS);
        assertThat(none.nanos()).isZero();
    }

    @Test
    void refusesBoundsOutOfOrder() {
        assertThatThrownBy(() -> BatchSlack.sizedToRate(Duration.ofMillis(40), Duration.ofMillis(5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shortest <= longest");
        assertThatThrownBy(() -> BatchSlack.fixed(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
