package dev.healthmon.events;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;

/**
 * One dead letter until the dead-letter topic acknowledges it: its record, already cut to fit
 * (built when it is enqueued, so a waiting letter holds at most one record's worth of bytes, not a
 * decompressed original of many MB), when it may be sent next and how many times it failed. The
 * size limit halves after a {@link RecordTooLargeException} (a broker or topic limit lower than the
 * one read at start) and the record is cut again, so a letter always ends up small enough. Each
 * failure doubles the wait, from 100 ms up to 30 s.
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
    private final long enqueuedNanos;
    private volatile int limit;
    private volatile ProducerRecord<byte[], byte[]> record;
    private volatile int attempts;
    private volatile long dueNanos = System.nanoTime();

    /**
     * @param letter        the letter; its value is not kept (see {@link #letter()})
     * @param enqueuedNanos when it was handed over, on the publisher's clock (what its wait is judged by)
     */
    DeadLetterAttempt(DeadLetter letter, String topic, int limit, long enqueuedNanos) {
        this.limit = limit;
        this.enqueuedNanos = enqueuedNanos;
        this.record = DeadLetterRecords.toRecord(letter, topic, limit);
        this.letter = new DeadLetter(letter.backendId(), null, null, letter.error(), letter.sourceTopic(),
                letter.sourcePartition(), letter.sourceOffset());
    }

    /** The record to send, cut to the current limit. */
    ProducerRecord<byte[], byte[]> record() {
        return record;
    }

    /** The letter's description for logs: id, reason and source; without its key and value bytes. */
    DeadLetter letter() {
        return letter;
    }

    CompletableFuture<Void> acknowledged() {
        return acknowledged;
    }

    long enqueuedNanos() {
        return enqueuedNanos;
    }

    int attempts() {
        return attempts;
    }

    /** Records a failed attempt; returns how long to wait before the next one. */
    Duration retryAfter(Throwable error) {
        attempts++;
        if (error instanceof RecordTooLargeException) {
            limit = limit / 2;
            record = DeadLetterRecords.shrink(record, limit);
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
