package dev.healthmon.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
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
}
