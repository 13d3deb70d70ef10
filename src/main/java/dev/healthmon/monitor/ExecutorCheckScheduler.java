package dev.healthmon.monitor;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production {@link CheckScheduler}: one daemon thread, {@code healthmon-scheduler}. Cancelled
 * tasks are removed from the queue at once, so restarts and revocations do not leave garbage.
 */
public final class ExecutorCheckScheduler implements CheckScheduler, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ExecutorCheckScheduler.class);
    private final ScheduledThreadPoolExecutor executor;
    private final Clock clock;

    public ExecutorCheckScheduler(Clock clock) {
        this.clock = clock;
        this.executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "healthmon-scheduler");
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    @Override
    public Cancellable schedule(Runnable task, Duration delay) {
        ScheduledFuture<?> future = executor.schedule(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                // One backend's bug must not kill the thread every backend depends on.
                log.error("scheduled task failed", e);
            }
        }, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }

    @Override
    public Clock clock() {
        return clock;
    }

    /** Pending tasks, for the active-checks gauge and tests. */
    public int queued() {
        return executor.getQueue().size();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
