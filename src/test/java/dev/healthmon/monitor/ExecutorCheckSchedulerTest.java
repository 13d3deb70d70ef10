package dev.healthmon.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
