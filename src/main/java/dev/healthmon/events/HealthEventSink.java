package dev.healthmon.events;

/**
 * Where checks hand their results. {@link #publish} must not block: checks call it while
 * holding their own lock (that is what makes fencing airtight), from scheduler and HTTP-client
 * threads.
 */
@FunctionalInterface
public interface HealthEventSink {

    void publish(HealthEvent event);

    /**
     * Checks were stopped (their partition revoked or lost, or the monitor stopping): results they left waiting for
     * company (docs/design.md §7.1) should leave now, as nothing newer of theirs will come to take them along. Must
     * not block.
     */
    default void handOver() {
    }
}
