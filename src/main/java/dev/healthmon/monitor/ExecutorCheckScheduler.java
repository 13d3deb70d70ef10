package dev.healthmon.monitor;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
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
        Task scheduled = new Task(task);
        scheduled.future = executor.schedule(scheduled, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
        return scheduled;
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

    /**
     * A scheduled task as the executor's {@link Callable} and as its own handle, in one object. Every backend has
     * one next check pending: a wrapping lambda, the executor's adapter from {@code Runnable} and a handle lambda
     * were 56 B a backend, this is 24 (docs/BENCHMARKS.md, one monitor at scale).
     */
    private static final class Task implements Callable<Void>, Cancellable {

        private final Runnable task;
        // Written before schedule() returns the handle; volatile because cancel() may come from any thread.
        private volatile ScheduledFuture<?> future;

        Task(Runnable task) {
            this.task = task;
        }

        @Override
        public Void call() {
            try {
                task.run();
            } catch (RuntimeException e) {
                // Logged here: the executor would keep it in a future nobody reads, and one backend's bug must
                // not stop the others' checks.
                log.error("scheduled task failed", e);
            }
            return null;
        }

        @Override
        public void cancel() {
            future.cancel(false);
        }
    }
}
