package dev.healthmon.monitor;

import java.time.Clock;
import java.time.Duration;

/**
 * Runs tasks after a delay; one scheduler serves every backend. Injected so tests drive time by
 * hand. Tasks must be short: they start a probe, they never wait on one.
 */
public interface CheckScheduler {

    /** Runs {@code task} once after {@code delay}; the returned handle cancels it if it has not started. */
    Cancellable schedule(Runnable task, Duration delay);

    /** The clock the delays are measured on; timestamps in events come from it. */
    Clock clock();

    @FunctionalInterface
    interface Cancellable {
        void cancel();
    }
}
