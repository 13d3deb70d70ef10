package dev.healthmon.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** The production scheduler: one pending task per backend, so what a task costs and what cancelling leaves matter. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ExecutorCheckSchedulerTest {

    private final ExecutorCheckScheduler scheduler = new ExecutorCheckScheduler(Clock.systemUTC());

    @AfterEach
    void close() {
        scheduler.close();
    }

    @Test
    void runsATaskNoSoonerThanItsDelay() throws InterruptedException {
        CountDownLatch ran = new CountDownLatch(1);
        long start = System.nanoTime();

        scheduler.schedule(ran::countDown, Duration.ofMillis(50));

        assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
    }

    @Test
    void aCancelledTaskNeverRunsAndLeavesTheQueueAtOnce() throws InterruptedException {
        // The scheduler's one thread is held until the cancel is done, so no due time can pass it.
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        scheduler.schedule(() -> {
            holding.countDown();
            awaitQuietly(release);
        }, Duration.ZERO);
        assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        AtomicBoolean cancelledRan = new AtomicBoolean();
        CheckScheduler.Cancellable handle = scheduler.schedule(() -> cancelledRan.set(true), Duration.ofMillis(10));
        CountDownLatch later = new CountDownLatch(1);
        scheduler.schedule(later::countDown, Duration.ofMillis(20));
        assertThat(scheduler.queued()).isEqualTo(2);

        handle.cancel();

        assertThat(scheduler.queued()).isEqualTo(1); // no garbage left behind by restarts and revocations
        release.countDown();
        assertThat(later.await(10, TimeUnit.SECONDS)).isTrue(); // ran past the cancelled one's due time
        assertThat(cancelledRan).isFalse();
    }

    @Test
    void aFailingTaskIsLoggedAndTheNextOneStillRuns() throws InterruptedException {
        Logger log = (Logger) LoggerFactory.getLogger(ExecutorCheckScheduler.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        log.addAppender(logged);
        try {
            scheduler.schedule(() -> {
                throw new IllegalStateException("one backend's bug");
            }, Duration.ZERO);
            CountDownLatch next = new CountDownLatch(1);
            scheduler.schedule(next::countDown, Duration.ofMillis(10));

            assertThat(next.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(logged.list).singleElement().satisfies(e -> {
                assertThat(e.getFormattedMessage()).isEqualTo("scheduled task failed");
                assertThat(e.getThrowableProxy().getMessage()).isEqualTo("one backend's bug");
            });
        } finally {
            log.detachAppender(logged);
        }
    }

    @Test
    void tasksDueWithinTheSlackRunInOneBatchInDueOrder() {
        AtomicLong now = new AtomicLong();
        List<String> ran = new ArrayList<>();
        AtomicInteger batches = new AtomicInteger();
        try (ExecutorCheckScheduler manual = manual(now, batches)) {
            manual.schedule(() -> ran.add("c"), Duration.ofMillis(4));
            manual.schedule(() -> ran.add("a"), Duration.ofMillis(1));
            manual.schedule(() -> ran.add("b"), Duration.ofMillis(2));
            manual.schedule(() -> ran.add("later"), Duration.ofMillis(7));

            assertThat(manual.runDue(TimeUnit.MILLISECONDS.toNanos(6))).isEqualTo(3);

            assertThat(ran).containsExactly("a", "b", "c");
            assertThat(batches).as("one batch, so one wake-up of the HTTP selector for all three").hasValue(1);
            assertThat(manual.queued()).isEqualTo(1);
        }
    }

    @Test
    void aTaskCancelledByAnEarlierOneOfTheSameBatchDoesNotRun() {
        AtomicLong now = new AtomicLong();
        List<String> ran = new ArrayList<>();
        try (ExecutorCheckScheduler manual = manual(now, new AtomicInteger())) {
            AtomicReference<CheckScheduler.Cancellable> victim = new AtomicReference<>();
            manual.schedule(() -> {
                ran.add("canceller");
                victim.get().cancel(); // e.g. a check completed and cancelling its timeout guard
            }, Duration.ofMillis(1));
            victim.set(manual.schedule(() -> ran.add("cancelled"), Duration.ofMillis(2)));
            manual.schedule(() -> ran.add("after"), Duration.ofMillis(3));

            manual.runDue(TimeUnit.MILLISECONDS.toNanos(5));

            assertThat(ran).containsExactly("canceller", "after");
        }
    }

    @Test
    void aFailingTaskDoesNotStopTheRestOfItsBatch() {
        AtomicLong now = new AtomicLong();
        List<String> ran = new ArrayList<>();
        try (ExecutorCheckScheduler manual = manual(now, new AtomicInteger())) {
            manual.schedule(() -> {
                throw new IllegalStateException("one backend's bug");
            }, Duration.ofMillis(1));
            manual.schedule(() -> ran.add("next"), Duration.ofMillis(2));

            manual.runDue(TimeUnit.MILLISECONDS.toNanos(5));

            assertThat(ran).containsExactly("next");
        }
    }

    @Test
    void anErrorInATaskIsLoggedAndNeitherItsBatchNorLaterTasksAreLost() throws InterruptedException {
        // An Error (a stack overflow in one backend's check) ending the thread would stop every check, silently.
        try (ExecutorCheckScheduler batching = new ExecutorCheckScheduler(Clock.systemUTC(), Duration.ofMillis(50),
                Runnable::run)) {
            CountDownLatch sameBatch = new CountDownLatch(1);
            CountDownLatch later = new CountDownLatch(1);
            batching.schedule(() -> {
                throw new StackOverflowError("one backend's bug");
            }, Duration.ofMillis(1));
            batching.schedule(sameBatch::countDown, Duration.ofMillis(2));

            assertThat(sameBatch.await(10, TimeUnit.SECONDS)).as("the rest of its batch").isTrue();
            batching.schedule(later::countDown, Duration.ofMillis(1));
            assertThat(later.await(10, TimeUnit.SECONDS)).as("a task scheduled afterwards").isTrue();
        }
    }

    @Test
    void aLongBatchIsRunInSlicesSoThatItsHeldSendsWaitAtMostOneSlice() {
        // Every check of a batch runs inside aroundBatch, which holds their HTTP requests back until it returns:
        // a batch of thousands (all that fell due during a pause) would eat into the first checks' timeouts.
        AtomicLong now = new AtomicLong();
        List<Integer> slices = new ArrayList<>();
        AtomicInteger inSlice = new AtomicInteger();
        try (ExecutorCheckScheduler manual = new ExecutorCheckScheduler(Clock.systemUTC(), Duration.ofMillis(5),
                slice -> {
                    inSlice.set(0);
                    slice.run();
                    slices.add(inSlice.get());
                }, now::get, false)) {
            for (int i = 0; i < 5; i++) {
                manual.schedule(() -> {
                    inSlice.incrementAndGet();
                    now.addAndGet(ExecutorCheckScheduler.MAX_SLICE_NANOS * 6 / 10); // each task takes 0.6 ms
                }, Duration.ofMillis(1));
            }

            assertThat(manual.runDue(TimeUnit.MILLISECONDS.toNanos(5))).isEqualTo(5);

            assertThat(slices).as("tasks per aroundBatch call").containsExactly(2, 2, 1);
        }
    }

    @Test
    void tasksDueWithinTheSlackRunTogetherOnTheThreadAndNoneEarly() throws InterruptedException {
        AtomicInteger batches = new AtomicInteger();
        List<Long> ranAt = new CopyOnWriteArrayList<>();
        CountDownLatch all = new CountDownLatch(3);
        long start = System.nanoTime();
        try (ExecutorCheckScheduler batching = new ExecutorCheckScheduler(Clock.systemUTC(), Duration.ofSeconds(1),
                batch -> {
                    batches.incrementAndGet();
                    batch.run();
                })) {
            for (int delay : new int[] {10, 20, 30}) {
                batching.schedule(() -> {
                    ranAt.add(System.nanoTime() - start);
                    all.countDown();
                }, Duration.ofMillis(delay));
            }

            assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(batches).hasValue(1);
            assertThat(ranAt).allSatisfy(at -> assertThat(at)
                    .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(30)));
        }
    }

    @Test
    void aTaskDueBeforeThePlannedWakeUpWakesTheThread() throws InterruptedException {
        try (ExecutorCheckScheduler batching = new ExecutorCheckScheduler(Clock.systemUTC(), Duration.ofMillis(5),
                Runnable::run)) {
            batching.schedule(() -> { }, Duration.ofMinutes(10));
            await().atMost(Duration.ofSeconds(5)).until(() -> batching.queued() == 1);
            CountDownLatch ran = new CountDownLatch(1);

            batching.schedule(ran::countDown, Duration.ZERO);

            assertThat(ran.await(10, TimeUnit.SECONDS)).as("not left until the ten-minute wake-up").isTrue();
        }
    }

    @Test
    void theSlackSizedToTheRateGrowsWhileWakeUpsStartOneTaskAndNoTaskRunsEarly() {
        AtomicLong now = new AtomicLong();
        List<Long> ranAt = new ArrayList<>();
        try (ExecutorCheckScheduler sized = new ExecutorCheckScheduler(Clock.systemUTC(),
                BatchSlack.sizedToRate(ExecutorCheckScheduler.SHORTEST_SLACK, ExecutorCheckScheduler.LONGEST_SLACK),
                Runnable::run, now::get, false)) {
            for (int i = 0; i < 4; i++) { // one task a wake-up, as at 167 checks/s with 5 ms
                now.set(TimeUnit.MILLISECONDS.toNanos(100L * i));
                long due = now.get() + TimeUnit.MILLISECONDS.toNanos(400);
                sized.schedule(() -> ranAt.add(now.get()), Duration.ofMillis(400));

                assertThat(sized.runDue(due - 1)).as("not before its due time").isZero();
                now.set(due + sized.slackNanos());
                assertThat(sized.runDue(now.get())).isEqualTo(1);
            }

            assertThat(sized.slackNanos()).isEqualTo(ExecutorCheckScheduler.LONGEST_SLACK.toNanos());
            assertThat(ranAt).hasSize(4);
        }
    }

    @Test
    void theMonitorsSchedulerSizesItsSlackOnItsOwnThread() {
        try (ExecutorCheckScheduler sized = new ExecutorCheckScheduler(Clock.systemUTC(),
                ExecutorCheckScheduler.SHORTEST_SLACK, ExecutorCheckScheduler.LONGEST_SLACK, Runnable::run)) {
            assertThat(sized.slackNanos()).isEqualTo(ExecutorCheckScheduler.SHORTEST_SLACK.toNanos());
            for (int i = 0; i < 3; i++) {
                CountDownLatch ran = new CountDownLatch(1);
                sized.schedule(ran::countDown, Duration.ofMillis(400)); // no delay or a short one skips the slack
                await().atMost(Duration.ofSeconds(10)).until(() -> ran.getCount() == 0);
            }

            await().atMost(Duration.ofSeconds(10))
                    .until(() -> sized.slackNanos() == ExecutorCheckScheduler.LONGEST_SLACK.toNanos());
        }
    }

    @Test
    void aTaskWithNoDelayRunsWithoutWaitingForTheSlack() throws InterruptedException {
        try (ExecutorCheckScheduler batching = new ExecutorCheckScheduler(Clock.systemUTC(), Duration.ofMinutes(10),
                Runnable::run)) {
            CountDownLatch ran = new CountDownLatch(1);

            batching.schedule(ran::countDown, Duration.ZERO);

            assertThat(ran.await(10, TimeUnit.SECONDS)).as("not left until the ten-minute slack").isTrue();
        }
    }

    private static ExecutorCheckScheduler manual(AtomicLong now, AtomicInteger batches) {
        return new ExecutorCheckScheduler(Clock.systemUTC(), Duration.ofMillis(5), batch -> {
            batches.incrementAndGet();
            batch.run();
        }, now::get, false);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
