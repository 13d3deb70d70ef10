package dev.healthmon.events;

/**
 * Where checks hand their results. {@link #publish} must not block: checks call it while
 * holding their own lock (that is what makes fencing airtight), from scheduler and HTTP-client
 * threads.
 */
@FunctionalInterface
public interface HealthEventSink {

    void publish(HealthEvent event);
}
