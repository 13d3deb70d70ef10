package dev.healthmon.events;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes health events and dead letters from one thread, {@code healthmon-publisher}, which
 * alone owns the producer. {@code send()} may block up to {@code max.block.ms} when Kafka is
 * unreachable, so no other thread ever calls it: checks and the poll thread only enqueue, which
 * never blocks (DESIGN.md §5).
 *
 * <p>Each event goes to the partition number of the registration it checked — explicitly, not by
 * key hash — keyed by backend id. Events of one backend leave in the order they were enqueued,
 * and the idempotent producer keeps that order per partition.
 *
 * <p>The buffer is bounded and coalesces per backend ({@link CoalescingBuffer}): while Kafka is
 * slow or down, each backend keeps its latest result and every status change
 * ({@code healthmon.events.coalesced} counts the rest); a result that still does not fit is
 * dropped and counted in {@code healthmon.events.dropped}.
 */
public final class HealthEventPublisher implements HealthEventSink, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthEventPublisher.class);
    /**
     * How often the publisher looks for health events (they do not wake it, see CoalescingBuffer):
     * a few ms on top of the producer's 50 ms linger, for a wake-up per tick instead of per event.
     */
    private static final Duration POLL = Duration.ofMillis(5);
    /** How long records may be outstanding without any acknowledgement before the publisher counts as unhealthy. */
    public static final Duration UNHEALTHY_AFTER = Duration.ofSeconds(30);

    private final Producer<byte[], byte[]> producer;
    private final String eventsTopic;
    private final String dlqTopic;
    private final HealthEventCodec codec;
    private final CoalescingBuffer queue;
    private final Thread thread;
    private final Counter published;
    private final Counter failed;
    private final Counter dropped;
    private final Counter deadLettered;
    private volatile boolean running = true;
    private final long startedNanos = System.nanoTime();
    private final java.util.concurrent.atomic.AtomicLong sends = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong completions = new java.util.concurrent.atomic.AtomicLong();
    private volatile long lastCompletedNanos;
    private volatile long lastAcknowledgedNanos;
    private volatile long lastFailedNanos;

    public HealthEventPublisher(Producer<byte[], byte[]> producer, String eventsTopic, String dlqTopic,
                                HealthEventCodec codec, int capacity, MeterRegistry meters) {
        this.producer = producer;
        this.eventsTopic = eventsTopic;
        this.dlqTopic = dlqTopic;
        this.codec = codec;
        this.queue = new CoalescingBuffer(capacity);
        this.published = meters.counter("healthmon.events.published");
        this.failed = meters.counter("healthmon.events.failed");
        this.dropped = meters.counter("healthmon.events.dropped");
        this.deadLettered = meters.counter("healthmon.registry.dead.lettered");
        meters.gauge("healthmon.events.buffered", queue, CoalescingBuffer::size);
        meters.more().counter("healthmon.events.coalesced", java.util.List.of(), queue, CoalescingBuffer::coalesced);
        this.thread = new Thread(this::run, "healthmon-publisher");
        thread.setDaemon(true);
        thread.start();
    }

    /** Enqueues a check result; never blocks. */
    @Override
    public void publish(HealthEvent event) {
        if (!queue.offer(event)) {
            dropped.increment();
        }
    }

    /** Enqueues a dead letter; never blocks. */
    public void deadLetter(DeadLetter letter) {
        if (!queue.offerOther(letter)) {
            log.error("dead letter dropped: publish queue full; source={}-{}@{}", letter.sourceTopic(),
                    letter.sourcePartition(), letter.sourceOffset());
        }
    }

    /** Queued by {@link #flush}: everything before it has been handed to the producer when the publisher thread reaches it. */
    private record FlushMarker(CompletableFuture<Void> done) {}

    /**
     * Sends everything queued so far and waits for Kafka's acknowledgements; blocks up to
     * {@code timeout}. Returns false if that was not enough.
     */
    public boolean flush(Duration timeout) {
        FlushMarker marker = new FlushMarker(new CompletableFuture<>());
        try {
            if (!queue.offerOther(marker, timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return false;
            }
            marker.done().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("flush did not complete within {} ms", timeout.toMillis());
            return false;
        }
    }

    private void run() {
        while (running || !queue.isEmpty()) {
            Object next;
            try {
                next = queue.poll(POLL.toMillis(), TimeUnit.MILLISECONDS).orElse(null);
            } catch (InterruptedException e) {
                break;
            }
            if (next == null) {
                continue;
            }
            try {
                if (next instanceof HealthEvent event) {
                    send(event);
                } else if (next instanceof DeadLetter letter) {
                    send(letter);
                } else {
                    producer.flush(); // blocks until everything sent so far is acknowledged or failed
                    ((FlushMarker) next).done().complete(null);
                }
            } catch (RuntimeException e) {
                // Serialization or a closed producer: count it, keep the thread alive for the rest.
                failed.increment();
                log.error("publish failed: {}", e.toString());
            }
        }
    }

    private void send(HealthEvent event) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(eventsTopic, event.registration().partition(),
                event.backendId().getBytes(StandardCharsets.UTF_8), codec.encode(event));
        producer.send(record, callback(event.backendId(), published));
    }

    private void send(DeadLetter letter) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(DeadLetter.ERROR_HEADER, letter.error().getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetter.SOURCE_TOPIC_HEADER, letter.sourceTopic().getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetter.SOURCE_PARTITION_HEADER,
                Integer.toString(letter.sourcePartition()).getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetter.SOURCE_OFFSET_HEADER, Long.toString(letter.sourceOffset()).getBytes(StandardCharsets.UTF_8));
        producer.send(new ProducerRecord<>(dlqTopic, null, letter.key(), letter.value(), headers),
                callback("dlq", deadLettered));
    }

    private Callback callback(String backendId, Counter onSuccess) {
        sends.incrementAndGet();
        return (metadata, error) -> {
            completions.incrementAndGet();
            lastCompletedNanos = System.nanoTime();
            if (error == null) {
                onSuccess.increment();
                lastAcknowledgedNanos = System.nanoTime();
            } else {
                lastFailedNanos = System.nanoTime();
                failed.increment();
                log.warn("backend={} publish failed: {}", backendId, error.toString());
            }
        };
    }

    /**
     * False while Kafka does not take what we send: the last send failed, or records have been
     * outstanding for {@link #UNHEALTHY_AFTER} without a single acknowledgement (the producer
     * retries through an outage, so that is how an outage shows). Any thread.
     */
    public boolean healthy() {
        if (lastFailedNanos > lastAcknowledgedNanos) {
            return false;
        }
        boolean outstanding = sends.get() > completions.get() || !queue.isEmpty();
        return !outstanding || System.nanoTime() - Math.max(lastCompletedNanos, startedNanos) < UNHEALTHY_AFTER.toNanos();
    }

    /** Results waiting to be sent. */
    public int buffered() {
        return queue.size();
    }

    /**
     * Sends what is queued, flushes, and closes the producer. Blocks up to {@code timeout} in all;
     * what is still queued after that is lost and logged.
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    public void close(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        running = false;
        try {
            thread.join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            thread.interrupt();
        }
        if (!queue.isEmpty()) {
            log.warn("publisher closed with {} results unsent", queue.size());
        }
        producer.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }
}
