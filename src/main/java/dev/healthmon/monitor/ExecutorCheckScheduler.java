package dev.healthmon.monitor;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production {@link CheckScheduler}: one daemon thread, {@code healthmon-scheduler}, that runs due tasks in
 * batches (docs/design.md §4.2). It sleeps until {@code slack} after the earliest due time and then runs every task
 * due by then, in due order, inside calls of {@code aroundBatch} of at most {@link #MAX_SLICE_NANOS} each, which
 * the monitor sets to {@code PlainHttpClient::sendsInOneWakeup}: the HTTP requests of a slice reach the selector with
 * one wake-up. The monitor's slack is sized to the rate, between {@link #SHORTEST_SLACK} and {@link #LONGEST_SLACK}
 * ({@link BatchSlack}). A task never runs before its due time, and at most the slack after it (plus the thread's own
 * delay) — timeout guards included, so a guard fires at its timeout or up to the slack after, never before. A task
 * scheduled a short time ahead runs at most a tenth of its delay late (never below the shortest slack); only its own
 * wake-up comes sooner. A task
 * scheduled with no delay (a new registration's first check) wakes the thread at once, without slack. A task
 * that throws, even an {@code Error}, is logged and the others run on.
 *
 * <p><b>Threading.</b> {@link #schedule}, a handle's {@code cancel} and {@link #close} may be called from any
 * thread; they take one lock, never held while a task runs. Tasks run on the scheduler's thread only. A task
 * cancelled before it runs never runs, even when it was already taken into the batch being run; a cancelled
 * task leaves the queue at once, so restarts and revocations leave no garbage. After {@link #close} nothing
 * starts (a task already running finishes) and {@link #schedule} queues nothing.
 */
public final class ExecutorCheckScheduler implements CheckScheduler, AutoCloseable {

    /**
     * The slack at high rates: 5 ms batches about 20 checks at 4,000 checks/s, and keeps lateness far below the
     * 50 ms p99 that the scale target allows (docs/BENCHMARKS.md).
     */
    public static final Duration SHORTEST_SLACK = BatchSlack.SHORTEST;
    /** The slack at low rates: at 167 checks/s a wake-up starts about seven checks instead of one. */
    public static final Duration LONGEST_SLACK = BatchSlack.LONGEST;

    /**
     * How long one {@code aroundBatch} call may run before the batch goes on in the next: the sends it holds back
     * wait that long at most, and their timeouts (counted from the send) lose no more. A batch of every check that
     * fell due during a pause, or of many registrations due at once, is run in slices of this length.
     */
    static final long MAX_SLICE_NANOS = Duration.ofMillis(1).toNanos();

    private static final Logger log = LoggerFactory.getLogger(ExecutorCheckScheduler.class);

    private final Clock clock;
    private final LongSupplier nanoTime;
    private final Consumer<Runnable> aroundBatch;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Thread thread;
    // Guarded by lock.
    private final DueQueue queue;
    private boolean waiting;
    private long plannedWake;
    // Written under lock; volatile so that a batch being run stops at once.
    private volatile boolean closed;
    // Scheduler thread only (and runDue's caller in tests, which starts no thread).
    private final List<DueQueue.Entry> batch = new ArrayList<>();
    private int nextInBatch;

    /** One task at a time, no slack: each task runs as soon as it is due, on its own. */
    public ExecutorCheckScheduler(Clock clock) {
        this(clock, Duration.ZERO, Runnable::run);
    }

    /**
     * @param slack       how late a task may run, to run with the others due by then; fixed
     * @param aroundBatch runs each batch (given as one {@code Runnable}) on the scheduler's thread
     */
    public ExecutorCheckScheduler(Clock clock, Duration slack, Consumer<Runnable> aroundBatch) {
        this(clock, BatchSlack.fixed(slack.toNanos()), aroundBatch, System::nanoTime, true);
    }

    /**
     * The monitor's: a slack sized to the rate ({@link BatchSlack}), from {@code shortest} up to {@code longest}.
     *
     * @param aroundBatch runs each batch (given as one {@code Runnable}) on the scheduler's thread
     */
    public ExecutorCheckScheduler(Clock clock, Duration shortest, Duration longest, Consumer<Runnable> aroundBatch) {
        this(clock, BatchSlack.sizedToRate(shortest, longest), aroundBatch, System::nanoTime, true);
    }

    /** For tests: time from {@code nanoTime}, and with {@code startThread} false no thread: call {@link #runDue}. */
    ExecutorCheckScheduler(Clock clock, Duration slack, Consumer<Runnable> aroundBatch, LongSupplier nanoTime,
                           boolean startThread) {
        this(clock, BatchSlack.fixed(slack.toNanos()), aroundBatch, nanoTime, startThread);
    }

    /** For tests, as above, with the slack given. */
    ExecutorCheckScheduler(Clock clock, BatchSlack slack, Consumer<Runnable> aroundBatch, LongSupplier nanoTime,
                           boolean startThread) {
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.aroundBatch = aroundBatch;
        this.queue = new DueQueue(slack);
        if (startThread) {
            thread = new Thread(this::loop, "healthmon-scheduler");
            thread.setDaemon(true);
            thread.start();
        } else {
            thread = null;
        }
    }

    @Override
    public Cancellable schedule(Runnable task, Duration delay) {
        Task scheduled;
        lock.lock();
        try {
            long delayNanos = delay.toNanos();
            scheduled = new Task(task, nanoTime.getAsLong() + Math.max(0, delayNanos), queue.nextOrder());
            if (closed) {
                return scheduled;
            }
            // No delay (a new registration's first check): no slack; a short delay: a tenth of it late at most.
            queue.add(scheduled, delayNanos);
            // Signal only when the new task needs an earlier wake-up than planned: tasks scheduled for later
            // (the next check, 30 s away) cost the sleeping thread nothing.
            if (waiting && queue.wakeAt() - plannedWake < 0) {
                changed.signal();
            }
        } finally {
            lock.unlock();
        }
        return scheduled;
    }

    @Override
    public Clock clock() {
        return clock;
    }

    /** The slack the next wake-up is planned with, in nanoseconds; for tests and diagnostics. */
    long slackNanos() {
        lock.lock();
        try {
            return queue.slackNanos();
        } finally {
            lock.unlock();
        }
    }

    /** Pending tasks, for the active-checks gauge and tests. */
    public int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        try {
            while (true) {
                lock.lock();
                try {
                    if (!awaitDue()) {
                        return;
                    }
                    queue.takeDue(nanoTime.getAsLong(), batch);
                } finally {
                    lock.unlock();
                }
                runBatch();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // nobody interrupts it but a JVM going down
        }
    }

    /** Guarded by lock: waits until the earliest task's wake-up has come; false once closed. */
    private boolean awaitDue() throws InterruptedException {
        while (!closed) {
            long now = nanoTime.getAsLong();
            if (queue.size() > 0 && queue.wakeAt() - now <= 0) {
                return true;
            }
            waiting = true;
            try {
                if (queue.size() == 0) {
                    plannedWake = now + Long.MAX_VALUE / 2;
                    changed.await();
                } else {
                    plannedWake = queue.wakeAt();
                    changed.awaitNanos(plannedWake - now);
                }
            } finally {
                waiting = false;
            }
        }
        return false;
    }

    /** Runs, on the caller's thread, every task due by {@code now}; returns how many were taken. For tests. */
    int runDue(long now) {
        lock.lock();
        try {
            queue.takeDue(now, batch);
        } finally {
            lock.unlock();
        }
        int taken = batch.size();
        runBatch();
        return taken;
    }

    private void runBatch() {
        try {
            nextInBatch = 0;
            while (nextInBatch < batch.size() && !closed) {
                int before = nextInBatch;
                try {
                    aroundBatch.accept(this::runSlice);
                } catch (RuntimeException e) {
                    log.error("scheduled batch failed", e);
                }
                if (nextInBatch == before) {
                    break; // aroundBatch ran nothing: the rest would never run either
                }
            }
        } finally {
            batch.clear();
        }
    }

    /** Runs the batch's next tasks, for up to {@link #MAX_SLICE_NANOS}. */
    private void runSlice() {
        long start = nanoTime.getAsLong();
        while (nextInBatch < batch.size()) {
            Task task = (Task) batch.get(nextInBatch++);
            if (!task.cancelled && !closed) { // cancelled by a task before it in this batch, or from another thread
                try {
                    task.task.run();
                } catch (Throwable e) {
                    // One backend's bug must not stop the others' checks, nor the rest of its batch — an Error
                    // neither: it would end this thread, and with it every check and timeout guard, silently.
                    log.error("scheduled task failed", e);
                }
            }
            if (nanoTime.getAsLong() - start >= MAX_SLICE_NANOS) {
                return;
            }
        }
    }

    /**
     * A scheduled task, its place in the queue and its own handle, in one object: every backend has one next check
     * pending, so what it costs is paid 100,000 times on one monitor (the executor's task and a handle of ours
     * were two objects).
     */
    private final class Task extends DueQueue.Entry implements Cancellable {

        private final Runnable task;
        // Set under the lock; volatile because the scheduler's thread reads it without the lock, before running.
        private volatile boolean cancelled;

        Task(Runnable task, long dueNanos, long order) {
            super(dueNanos, order);
            this.task = task;
        }

        @Override
        public void cancel() {
            lock.lock();
            try {
                cancelled = true;
                queue.remove(this);
            } finally {
                lock.unlock();
            }
        }
    }
}
