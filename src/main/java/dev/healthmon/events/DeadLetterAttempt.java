package dev.healthmon.events;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.RecordTooLargeException;

/**
 * One dead letter until the dead-letter topic acknowledges it: when it may be sent next, how many
 * times it failed, and the record size limit it is cut to. The limit halves after a
 * {@link RecordTooLargeException} (a broker or topic limit lower than the one read at start), so
 * a letter always ends up small enough. Each failure doubles the wait, from 100 ms up to 30 s.
 *
 * <p>Threading: the publisher thread sends it; the producer's I/O thread reports the result.
 * {@link #retryAfter} is called by whichever of them saw the failure, before the attempt is queued
 * again, so the two never touch it at once; the fields are volatile for the hand-over.
 */
final class DeadLetterAttempt implements Delayed {

    private static final Duration FIRST_BACK_OFF = Duration.ofMillis(100);
    private static final Duration MAX_BACK_OFF = Duration.ofSeconds(30);

    private final DeadLetter letter;
    private final CompletableFuture<Void> acknowledged = new CompletableFuture<>();
    private final long enqueuedNanos = System.nanoTime();
    private volatile int limit;
    private volatile int attempts;
    private volatile long dueNanos = System.nanoTime();

    DeadLetterAttempt(DeadLetter letter, int limit) {
        this.letter = letter;
        this.limit = limit;
    }

    DeadLetter letter() {
        return letter;
    }

    CompletableFuture<Void> acknowledged() {
        return acknowledged;
    }

    long enqueuedNanos() {
        return enqueuedNanos;
    }

    int limit() {
        return limit;
    }

    int attempts() {
        return attempts;
    }

    /** Records a failed attempt; returns how long to wait before the next one. */
    Duration retryAfter(Throwable error) {
        attempts++;
        if (error instanceof RecordTooLargeException) {
            limit = limit / 2;
        }
        long backOff = Math.min(MAX_BACK_OFF.toMillis(), FIRST_BACK_OFF.toMillis() << Math.min(attempts - 1, 16));
        dueNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backOff);
        return Duration.ofMillis(backOff);
    }

    @Override
    public long getDelay(TimeUnit unit) {
        return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed other) {
        return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
    }
}
