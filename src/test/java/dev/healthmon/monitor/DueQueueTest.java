package dev.healthmon.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The scheduler's queue and batching rule, on time given by hand. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DueQueueTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final DueQueue queue = new DueQueue(5 * MS);

    private DueQueue.Entry add(long dueNanos) {
        DueQueue.Entry entry = new DueQueue.Entry(dueNanos, queue.nextOrder());
        queue.add(entry);
        return entry;
    }

    @Test
    void wakesTheSlackAfterTheEarliestDueTimeAndTakesEveryTaskDueByThen() {
        DueQueue.Entry first = add(10 * MS);
        DueQueue.Entry second = add(13 * MS);
        DueQueue.Entry third = add(15 * MS);
        add(16 * MS);

        assertThat(queue.wakeAt()).isEqualTo(15 * MS);
        List<DueQueue.Entry> batch = new ArrayList<>();
        assertThat(queue.takeDue(queue.wakeAt(), batch)).isEqualTo(3);

        assertThat(batch).containsExactly(first, second, third);
        assertThat(queue.size()).isEqualTo(1);
        assertThat(queue.wakeAt()).as("the next batch: 5 ms after the one left").isEqualTo(21 * MS);
    }

    @Test
    void neverTakesATaskBeforeItIsDue() {
        add(10 * MS);
        DueQueue.Entry later = add(12 * MS);
        List<DueQueue.Entry> batch = new ArrayList<>();

        queue.takeDue(12 * MS - 1, batch);

        assertThat(batch).hasSize(1).doesNotContain(later);
    }

    @Test
    void takesInDueOrderAndTiesInTheOrderScheduled() {
        DueQueue.Entry late = add(4 * MS);
        DueQueue.Entry tieFirst = add(2 * MS);
        DueQueue.Entry tieSecond = add(2 * MS);
        DueQueue.Entry early = add(MS);
        List<DueQueue.Entry> batch = new ArrayList<>();

        queue.takeDue(10 * MS, batch);

        assertThat(batch).containsExactly(early, tieFirst, tieSecond, late);
    }

    @Test
    void aRemovedTaskLeavesAtOnceAndIsNotTaken() {
        DueQueue.Entry kept = add(MS);
        DueQueue.Entry removed = add(2 * MS);

        assertThat(queue.remove(removed)).isTrue();
        assertThat(queue.remove(removed)).as("idempotent").isFalse();

        assertThat(queue.size()).isEqualTo(1);
        List<DueQueue.Entry> batch = new ArrayList<>();
        queue.takeDue(10 * MS, batch);
        assertThat(batch).containsExactly(kept);
        assertThat(kept.queued()).isFalse();
    }

    @Test
    void staysOrderedThroughAnyMixOfAddsAndRemoves() {
        // The heap against a sorted set, on a random mix like restarts and completions make.
        Random random = new Random(16);
        Comparator<DueQueue.Entry> byDue = Comparator.<DueQueue.Entry>comparingLong(e -> e.dueNanos)
                .thenComparingInt(System::identityHashCode);
        TreeSet<DueQueue.Entry> reference = new TreeSet<>(byDue);
        List<DueQueue.Entry> live = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            if (live.isEmpty() || random.nextInt(3) > 0) {
                DueQueue.Entry entry = add(random.nextInt(1_000) * MS);
                live.add(entry);
                reference.add(entry);
            } else {
                DueQueue.Entry entry = live.remove(random.nextInt(live.size()));
                assertThat(queue.remove(entry)).isTrue();
                reference.remove(entry);
            }
        }
        List<DueQueue.Entry> batch = new ArrayList<>();
        queue.takeDue(Long.MAX_VALUE / 2, batch);

        assertThat(batch).extracting(e -> e.dueNanos)
                .containsExactlyElementsOf(reference.stream().map(e -> e.dueNanos).toList());
        assertThat(queue.size()).isZero();
    }

    /** What a scheduler thread sees at {@code perSecond} checks due at random times: batch sizes and lateness. */
    private record Run(int[] batchSizes, long[] slackPlanned, long maxLatenessOverPlanned, long minLateness,
                       long finalSlack) {
        double meanBatchOfSecondHalf() {
            return IntStream.of(batchSizes).skip(batchSizes.length / 2).average().orElse(0);
        }
    }

    /**
     * Checks due at uniformly random times over {@code seconds} (phase offsets and jitter spread them so), drained
     * the way the scheduler's thread does: wake at {@link DueQueue#wakeAt()}, take what is due by then.
     */
    private static Run drain(int perSecond, int seconds, long seed) {
        DueQueue sized = new DueQueue(BatchSlack.sizedToRate(Duration.ofMillis(5), Duration.ofMillis(40)));
        Random random = new Random(seed);
        for (int i = 0; i < perSecond * seconds; i++) {
            sized.add(new DueQueue.Entry((long) (random.nextDouble() * seconds * 1_000 * MS), sized.nextOrder()));
        }
        List<Integer> sizes = new ArrayList<>();
        List<Long> planned = new ArrayList<>();
        long worstOverPlanned = Long.MIN_VALUE;
        long minLateness = Long.MAX_VALUE;
        List<DueQueue.Entry> batch = new ArrayList<>();
        while (sized.size() > 0) {
            long slack = sized.slackNanos();
            long now = sized.wakeAt();
            batch.clear();
            sized.takeDue(now, batch);
            for (DueQueue.Entry entry : batch) {
                long lateness = now - entry.dueNanos;
                minLateness = Math.min(minLateness, lateness);
                worstOverPlanned = Math.max(worstOverPlanned, lateness - slack);
            }
            sizes.add(batch.size());
            planned.add(slack);
        }
        return new Run(sizes.stream().mapToInt(Integer::intValue).toArray(),
                planned.stream().mapToLong(Long::longValue).toArray(), worstOverPlanned, minLateness,
                sized.slackNanos());
    }

    @Test
    void atOneCheckEverySixMillisecondsTheSlackGrowsToItsLongestAndAWakeUpStartsSeveral() {
        // 10,000 backends every 60 s: with a fixed 5 ms a wake-up started one check, and the scheduler woke per check.
        Run run = drain(167, 60, 16);

        assertThat(run.finalSlack()).isEqualTo(40 * MS);
        assertThat(run.meanBatchOfSecondHalf()).as("checks per wake-up, settled").isGreaterThan(6.5);
        assertThat(run.minLateness()).as("never early").isGreaterThanOrEqualTo(0);
        assertThat(run.maxLatenessOverPlanned()).as("never later than the slack planned for it").isLessThanOrEqualTo(0);
    }

    @Test
    void atTheScaleTargetsRateTheSlackStaysSmall() {
        // 100,000 backends every 30 s: lateness p99 must stay < 50 ms there, so the slack must not grow.
        Run run = drain(3_333, 20, 16);

        long[] settled = LongStream.of(run.slackPlanned()).skip(run.slackPlanned().length / 10).sorted().toArray();
        assertThat(settled[settled.length * 99 / 100]).as("p99 of the slack").isLessThanOrEqualTo(10 * MS);
        assertThat(run.minLateness()).isGreaterThanOrEqualTo(0);
        assertThat(run.maxLatenessOverPlanned()).isLessThanOrEqualTo(0);
    }

    @Test
    void aBurstShrinksTheSlackAgain() {
        DueQueue sized = new DueQueue(BatchSlack.sizedToRate(Duration.ofMillis(5), Duration.ofMillis(40)));
        List<DueQueue.Entry> batch = new ArrayList<>();
        for (int i = 0; i < 3; i++) { // three lone checks: 5 -> 40 ms
            sized.add(new DueQueue.Entry(i * 100 * MS, sized.nextOrder()));
            sized.takeDue(sized.wakeAt(), batch);
        }
        assertThat(sized.slackNanos()).isEqualTo(40 * MS);

        // A restore: many due at once, taken in one wake-up.
        for (int i = 0; i < 1_000; i++) {
            sized.add(new DueQueue.Entry(time(1_000), sized.nextOrder()));
        }
        sized.takeDue(sized.wakeAt(), batch);

        assertThat(sized.slackNanos()).isEqualTo(20 * MS);
    }

    @Test
    void aTaskAddedNowWakesAtItsDueTimeAndThatWakeUpLeavesTheSlackAsItIs() {
        // A new registration's first check: at low rates it would otherwise wait up to 40 ms for company.
        DueQueue sized = new DueQueue(BatchSlack.sizedToRate(Duration.ofMillis(5), Duration.ofMillis(40)));
        List<DueQueue.Entry> batch = new ArrayList<>();
        sized.add(new DueQueue.Entry(0, sized.nextOrder()));
        sized.takeDue(sized.wakeAt(), batch);
        assertThat(sized.slackNanos()).isEqualTo(10 * MS);
        sized.add(new DueQueue.Entry(time(1_000), sized.nextOrder()));
        sized.add(new DueQueue.Entry(time(1_002), sized.nextOrder()), 0); // asked for with no delay

        assertThat(sized.wakeAt()).as("not 1,000 + 10 ms").isEqualTo(time(1_002));
        batch.clear();
        assertThat(sized.takeDue(sized.wakeAt(), batch)).isEqualTo(2);

        assertThat(sized.slackNanos()).as("a wake-up before its slack says nothing of the rate").isEqualTo(10 * MS);
        sized.add(new DueQueue.Entry(time(2_000), sized.nextOrder()));
        assertThat(sized.wakeAt()).as("later tasks wait for the slack again").isEqualTo(time(2_010));
    }

    @Test
    void aTaskScheduledAShortTimeAheadIsLateByATenthOfThatTimeAtMostAndTheOthersKeepTheSlack() {
        // A backend checked every 100 ms among slow ones: at 40 ms of slack it was checked every 100 to 140 ms. Only
        // its own wake-up comes sooner: one fast backend must not put every other check back on 5 ms batches.
        DueQueue sized = grownTo40Ms();
        List<DueQueue.Entry> batch = new ArrayList<>();
        sized.add(new DueQueue.Entry(time(20_000), sized.nextOrder()), time(50)); // a 50 ms timeout: 5 ms late
        sized.add(new DueQueue.Entry(time(20_020), sized.nextOrder()), time(900)); // no cap
        sized.add(new DueQueue.Entry(time(20_100), sized.nextOrder()), time(100)); // 10 ms late at most

        assertThat(sized.wakeAt()).as("the 50 ms task's own bound").isEqualTo(time(20_005));
        assertThat(sized.takeDue(sized.wakeAt(), batch)).isEqualTo(1);
        assertThat(sized.wakeAt()).as("the uncapped task keeps the 40 ms slack").isEqualTo(time(20_060));
        assertThat(sized.takeDue(sized.wakeAt(), batch)).isEqualTo(1);
        assertThat(sized.wakeAt()).as("the 100 ms task's own bound, before its 40 ms").isEqualTo(time(20_110));
        assertThat(sized.takeDue(sized.wakeAt(), batch)).isEqualTo(1);

        sized.add(new DueQueue.Entry(time(21_000), sized.nextOrder()), time(890));
        assertThat(sized.wakeAt()).isEqualTo(time(21_040));
    }

    @Test
    void aWakeUpBroughtForwardByACapSaysNothingOfTheRate() {
        DueQueue sized = grownTo40Ms();
        for (int i = 0; i < 40; i++) { // a crowd due at once: a wake-up planned by the slack would halve it
            sized.add(new DueQueue.Entry(time(20_000), sized.nextOrder()), time(900));
        }
        sized.add(new DueQueue.Entry(time(20_000), sized.nextOrder()), time(50));

        assertThat(sized.wakeAt()).isEqualTo(time(20_005));
        assertThat(sized.takeDue(sized.wakeAt(), new ArrayList<>())).isEqualTo(41);

        assertThat(sized.slackNanos()).isEqualTo(40 * MS);
    }

    @Test
    void aShortDelayIsBoundByATenthOfItNeverBelowTheShortestSlackAndFromFourHundredMillisecondsByTheSlack() {
        BatchSlack slack = BatchSlack.sizedToRate(Duration.ofMillis(5), Duration.ofMillis(40));

        assertThat(slack.capFor(time(20))).isEqualTo(5 * MS);
        assertThat(slack.capFor(time(100))).isEqualTo(10 * MS);
        assertThat(slack.capFor(time(399))).isEqualTo(39_900_000L);
        assertThat(slack.capFor(time(400))).isEqualTo(Long.MAX_VALUE);
        assertThat(BatchSlack.fixed(5 * MS).capFor(time(20))).as("a fixed slack is its own bound")
                .isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aCappedTaskCancelledOrTakenNoLongerBringsAWakeUpForward() {
        DueQueue sized = grownTo40Ms();
        DueQueue.Entry guard = new DueQueue.Entry(time(20_050), sized.nextOrder());
        sized.add(guard, time(50));
        sized.add(new DueQueue.Entry(time(20_030), sized.nextOrder()), time(900));
        assertThat(sized.wakeAt()).isEqualTo(time(20_055));

        sized.remove(guard); // the check ended before its timeout

        assertThat(sized.wakeAt()).isEqualTo(time(20_070));
        sized.takeDue(time(20_070), new ArrayList<>());
        sized.add(new DueQueue.Entry(time(22_000), sized.nextOrder()), time(900));
        assertThat(sized.wakeAt()).as("not 20,055 for a guard that is gone").isEqualTo(time(22_040));
    }

    private static DueQueue grownTo40Ms() {
        DueQueue sized = new DueQueue(BatchSlack.sizedToRate(Duration.ofMillis(5), Duration.ofMillis(40)));
        List<DueQueue.Entry> batch = new ArrayList<>();
        for (int i = 0; sized.slackNanos() < 40 * MS; i++) {
            sized.add(new DueQueue.Entry(time(1_000L * i), sized.nextOrder()));
            sized.takeDue(sized.wakeAt(), batch);
        }
        return sized;
    }

    private static long time(long millis) {
        return millis * MS;
    }
}
