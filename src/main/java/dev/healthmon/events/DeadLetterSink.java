package dev.healthmon.events;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Where the registry consumer hands records it cannot apply. {@link #deadLetter} never blocks and
 * never loses the letter: it is retried until the dead-letter topic acknowledges it.
 */
public interface DeadLetterSink {

    /**
     * Enqueues a dead letter; never blocks. The future completes, on a Kafka client thread, once the
     * dead-letter topic has acknowledged it; it is not completed while the letter is still retried,
     * and completes exceptionally only if the sink is closed first.
     */
    CompletableFuture<Void> deadLetter(DeadLetter letter);

    /** Sends what is queued and waits for the acknowledgements; blocks up to {@code timeout}. */
    boolean flush(Duration timeout);
}
