package dev.healthmon.events;

import dev.healthmon.http.Readiness;
import dev.healthmon.status.UntrustedText;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes health events and dead letters from one thread, {@code healthmon-publisher}, which
 * alone owns the producer. {@code send()} may block up to {@code max.block.ms} when Kafka is
 * unreachable, so no other thread ever calls it: checks and the poll thread only enqueue, which
 * never blocks (docs/design.md §7.1).
 *
 * <p>Each event goes to the partition number of the registration it checked — explicitly, not by
 * key hash — keyed by backend id. Events of one backend leave in the order they were enqueued,
 * and the idempotent producer keeps that order per partition.
 *
 * <p>The buffer is bounded and coalesces per backend ({@link CoalescingBuffer}): while Kafka is
 * slow or down, each backend keeps its latest result and every status change
 * ({@code healthmon.events.coalesced} counts the rest); a result that still does not fit is
 * dropped and counted in {@code healthmon.events.dropped}.
 *
 * <p><b>News at the next tick, confirmations within a second.</b> Every {@link #TICK} the publisher hands all that
 * waits to the producer if any of it is due: a result that is news at once, one that only confirms its backend's
 * status ({@link CoalescingBuffer#routine}) once it has waited {@link #ROUTINE_HOLD}. Fewer, larger hand-overs where
 * nothing changes cost the monitor's producer and the aggregator's stream thread fewer wake-ups (docs/design.md
 * §10.30).
 *
 * <p><b>Nothing lost to a failed send, no partition holding up the others.</b> A send that fails
 * with a retriable error (Kafka's callback, or an exception from {@code send} itself) is queued
 * again ({@code healthmon.events.retried}); only a non-retriable error (a record Kafka can never
 * take, a missing ACL) or an event that cannot be encoded loses it, counted in {@code healthmon.events.failed} and
 * logged. An event
 * for a partition that {@code health-events} does not have — {@code backend-registry} grew at run
 * time — is never handed to the producer, whose {@code send} would block every other backend for
 * {@code max.block.ms} and then fail: it is parked (latest per backend) and reported
 * ({@link #missingPartitions()}, {@code healthmon.events.partitions.missing}, ERROR log) until
 * the partition exists.
 *
 * <p><b>Dead letters are never dropped</b> ({@link DeadLetterAttempt}): they wait in their own
 * unbounded queue, not in the coalescing buffer, are cut to fit the dead-letter topic
 * ({@link DeadLetterRecords}), and a failed send is retried with back-off until the topic
 * acknowledges it; only then is the letter's future completed (the registry consumer commits past
 * the source record only after that) and the "sent to dead-letter topic" line logged.
 * {@code healthmon.registry.dlq.pending} counts the letters not yet acknowledged,
 * {@code healthmon.registry.dlq.failures} the failed attempts, and {@link #deadLetterProblem()}
 * says why the topic cannot be written.
 *
 * <p><b>Stuck.</b> How long results or letters have waited for Kafka (and for the hold) is measured on an injected
 * monotonic clock ({@code System::nanoTime} outside tests), so a test can show the publisher
 * turning not ready after {@link #UNHEALTHY_AFTER} without waiting that long; retry pauses are real
 * waits and use the real clock.
 */
public final class HealthEventPublisher implements HealthEventSink, DeadLetterSink, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthEventPublisher.class);
    /** While an item waits to be tried again, dead letters that fall due are sent at most this late. */
    private static final Duration POLL = Duration.ofMillis(5);
    /**
     * How often the publisher looks at what waits, and hands it all to the producer together if any of it is due
     * (docs/design.md §7.1, §10.29): news at once, confirmations after {@link #ROUTINE_HOLD}. The batching is done
     * here, not by the producer's linger (5 ms, only to outlast a hand-over): one timer wake-up of the publisher per
     * 50 ms at any rate, where a tick sized 5 to 20 ms to the rate woke it 200 times a second at 1,000 results a
     * second. Kafka's producer still wakes its sender for every new partition batch.
     */
    static final Duration TICK = Duration.ofMillis(50);
    /**
     * How long a result that only confirms its backend's status ({@link CoalescingBuffer#routine}) may wait for
     * others (docs/design.md §10.30): any other result is handed over at the next tick and takes every waiting one
     * with it. At a few results a tick, each hand-over opens a producer batch per partition it touches and wakes
     * the aggregator's stream thread; holding confirmations makes those wake-ups fewer where no news waits.
     */
    public static final Duration ROUTINE_HOLD = Duration.ofSeconds(1);
    /** How long records may be outstanding without any acknowledgement before the publisher counts as unhealthy. */
    public static final Duration UNHEALTHY_AFTER = Duration.ofSeconds(30);
    /** The producer's default {@code max.request.size}, for callers that do not know the real limit. */
    public static final int DEFAULT_RECORD_LIMIT = 1_048_576;
    private static final int LOGGED_ID_CHARS = 200;
    private static final int LOGGED_ERROR_CHARS = 500;
    /** First and longest pause before an item whose {@code send} threw is tried again. */
    private static final Duration RETRY_FIRST = Duration.ofMillis(50);
    private static final Duration RETRY_MAX = Duration.ofSeconds(2);

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
    private final Counter retried;
    private final Counter deadLetterFailures;
    private final int deadLetterLimit;
    /** Letters waiting for their (next) send; the publisher thread takes them when due. */
    private final DelayQueue<DeadLetterAttempt> deadLetters = new DelayQueue<>();
    /** Letters not acknowledged yet, whether queued, in flight or waiting to be retried. */
    private final Set<DeadLetterAttempt> unacknowledged = ConcurrentHashMap.newKeySet();
    private volatile long lastDeadLetterAckNanos;
    private volatile long lastDeadLetterFailureNanos;
    private volatile String lastDeadLetterError = "";
    private final IntSupplier eventPartitions;
    /** Monotonic nanoseconds for judging how long Kafka has not answered. */
    private final LongSupplier nanoTime;
    /**
     * Runs {@code producer.flush()}, which blocks for as long as Kafka is away, so that the publisher thread never
     * does.
     */
    private final ExecutorService flusher;
    /**
     * Publisher thread only: events whose partition {@code health-events} lacks, by partition, the latest per backend.
     */
    private final NavigableMap<Integer, Map<String, HealthEvent>> parked = new TreeMap<>();
    /**
     * Written by the publisher thread only: how many times it handed over what had come and went back to waiting
     * for its {@link #TICK} (health events do not wake it, see CoalescingBuffer; after a tick with nothing waiting it
     * sleeps with no timer but the next dead letter's, and the first item wakes it: an idle publisher does not wake
     * at all). Volatile so that a test can read it.
     */
    private volatile long drains;
    /** Publisher thread only: items taken since the last wait for a tick. */
    private int drainedThisTick;
    /** Publisher thread only: what waited was due at the last tick, so everything waiting is handed over. */
    private boolean handingOver;
    /** Publisher thread only: the item whose {@code send} threw, tried again before anything else after a pause. */
    private Object retry;
    private long retryAtNanos;
    private long retryPauseNanos = RETRY_FIRST.toNanos();
    /** Written by the publisher thread: the partitions in {@link #parked}, for readiness and metrics. */
    private volatile Set<Integer> missingPartitions = Set.of();
    private volatile boolean running = true;
    private final long startedNanos;
    private final AtomicLong sends = new AtomicLong();
    private final AtomicLong completions = new AtomicLong();
    private volatile long lastCompletedNanos;
    private volatile long lastAcknowledgedNanos;
    private volatile long lastFailedNanos;
    /** Set if the publisher thread ended on an exception of its own (a bug): nothing is sent any more. */
    private volatile String stoppedBy;

    /** A publisher whose dead letters may be as large as Kafka's default {@code max.request.size}. */
    public HealthEventPublisher(Producer<byte[], byte[]> producer, String eventsTopic, String dlqTopic,
                                HealthEventCodec codec, int capacity, IntSupplier eventPartitions,
                                MeterRegistry meters) {
        this(producer, eventsTopic, dlqTopic, codec, capacity, eventPartitions, DEFAULT_RECORD_LIMIT, meters);
    }

    /**
     * @param eventPartitions how many partitions {@code health-events} has now, as last seen (must not block:
     *                        read on every loop of the publisher thread)
     * @param deadLetterLimit the largest record the dead-letter topic takes from this producer: the
     *                        smaller of the producer's {@code max.request.size} and the topic's
     *                        {@code max.message.bytes} (see {@link #recordLimit})
     */
    public HealthEventPublisher(Producer<byte[], byte[]> producer, String eventsTopic, String dlqTopic,
                                HealthEventCodec codec, int capacity, IntSupplier eventPartitions, int deadLetterLimit,
                                MeterRegistry meters) {
        this(producer, eventsTopic, dlqTopic, codec, capacity, eventPartitions, deadLetterLimit, meters,
                System::nanoTime);
    }

    /** As above, judging how long Kafka has not answered by {@code nanoTime} (monotonic nanoseconds). */
    public HealthEventPublisher(Producer<byte[], byte[]> producer, String eventsTopic, String dlqTopic,
                                HealthEventCodec codec, int capacity, IntSupplier eventPartitions, int deadLetterLimit,
                                MeterRegistry meters, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.startedNanos = nanoTime.getAsLong();
        this.producer = producer;
        this.deadLetterLimit = deadLetterLimit;
        this.eventPartitions = eventPartitions;
        this.eventsTopic = eventsTopic;
        this.dlqTopic = dlqTopic;
        this.codec = codec;
        this.queue = new CoalescingBuffer(capacity, ROUTINE_HOLD.toNanos(), 2 * TICK.toNanos(), nanoTime);
        this.published = meters.counter("healthmon.events.published");
        this.failed = meters.counter("healthmon.events.failed");
        this.dropped = meters.counter("healthmon.events.dropped");
        this.deadLettered = meters.counter("healthmon.registry.dead.lettered");
        this.retried = meters.counter("healthmon.events.retried");
        this.deadLetterFailures = meters.counter("healthmon.registry.dlq.failures");
        meters.gauge("healthmon.registry.dlq.pending", unacknowledged, Set::size);
        meters.gauge("healthmon.events.partitions.missing", this, p -> p.missingPartitions.size());
        meters.gauge("healthmon.events.buffered", queue, CoalescingBuffer::size);
        meters.more().counter("healthmon.events.coalesced", List.of(), queue, CoalescingBuffer::coalesced);
        this.flusher = Executors.newSingleThreadExecutor(runnable -> {
            Thread flushing = new Thread(runnable, "healthmon-publisher-flush");
            flushing.setDaemon(true);
            return flushing;
        });
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

    /**
     * The largest record the dead-letter topic takes: the smaller of the producer's
     * {@code max.request.size} (from its settings, else Kafka's default) and the topic's
     * {@code max.message.bytes}.
     */
    public static int recordLimit(Map<String, Object> producerSettings, int topicMaxMessageBytes) {
        Object configured = producerSettings.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        int maxRequest = configured == null ? DEFAULT_RECORD_LIMIT : Integer.parseInt(configured.toString());
        return Math.min(maxRequest, topicMaxMessageBytes);
    }

    /**
     * Enqueues a dead letter; never blocks, never drops it (see {@link DeadLetterSink#deadLetter}).
     * Hashes and cuts the value on the caller's thread (a few ms for a 5 MB value).
     */
    @Override
    public CompletableFuture<Void> deadLetter(DeadLetter letter) {
        DeadLetterAttempt attempt = new DeadLetterAttempt(letter, dlqTopic, deadLetterLimit, nanoTime.getAsLong());
        unacknowledged.add(attempt);
        deadLetters.add(attempt);
        queue.wake(); // the publisher may be asleep, waiting for nothing but results
        return attempt.acknowledged();
    }

    /**
     * Why the dead-letter topic is not taking our letters, if it is not: the last attempt failed, or
     * letters have waited {@link #UNHEALTHY_AFTER} without an acknowledgement. Any thread.
     */
    public Optional<String> deadLetterProblem() {
        int waiting = unacknowledged.size();
        if (waiting == 0) {
            return Optional.empty();
        }
        if (lastDeadLetterFailureNanos > lastDeadLetterAckNanos) {
            return Optional.of("dead-letter topic " + dlqTopic + " cannot be written: " + waiting
                    + " record(s) waiting, their registry partitions do not commit past them; last error: "
                    + lastDeadLetterError);
        }
        long now = nanoTime.getAsLong();
        long oldest = unacknowledged.stream().mapToLong(DeadLetterAttempt::enqueuedNanos).min().orElse(now);
        long waited = now - oldest;
        if (waited >= UNHEALTHY_AFTER.toNanos()) {
            return Optional.of("dead-letter topic " + dlqTopic + " has not acknowledged " + waiting + " record(s) for "
                    + TimeUnit.NANOSECONDS.toSeconds(waited) + " s");
        }
        return Optional.empty();
    }

    /** Dead letters not acknowledged yet. Any thread. */
    public int deadLettersPending() {
        return unacknowledged.size();
    }

    /**
     * Queued by {@link #flush}: everything before it has been handed to the producer when the publisher thread reaches
     * it.
     */
    private record FlushMarker(CompletableFuture<Void> done) {}

    /** Queued by {@link #handOver}: makes everything before it due (it is not a result); nothing to do on it. */
    private static final Object HAND_OVER = new Object();

    /**
     * Results held for company leave at the next chance (checks were stopped: nothing newer of theirs will take them
     * along, and the partition's new owner is about to publish). Never blocks; a full buffer is due anyway.
     */
    @Override
    public void handOver() {
        queue.offerOther(HAND_OVER);
    }

    /**
     * Sends everything queued so far and waits for Kafka's acknowledgements; blocks up to
     * {@code timeout}. Returns false if that was not enough; the publisher goes on either way (the
     * producer's own flush runs on another thread, so an outage cannot stall the publisher).
     * Events parked for a missing partition are not waited for.
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
        } catch (ExecutionException | TimeoutException e) {
            log.warn("flush did not complete within {} ms", timeout.toMillis());
            return false;
        }
    }

    private void run() {
        try {
            publish();
        } catch (RuntimeException | Error e) {
            // A bug, not Kafka: say so now, and let readiness say so at once rather than 30 s later.
            stoppedBy = e.toString();
            log.error("publisher thread stopped; results are no longer sent: {}", e.toString(), e);
        }
    }

    private void publish() {
        while (running || !queue.isEmpty() || retry != null || !deadLetters.isEmpty()) {
            sendDueDeadLetters();
            if (retry != null) {
                if (System.nanoTime() - retryAtNanos >= 0) {
                    Object again = retry;
                    retry = null;
                    handle(again);
                } else {
                    pause(Math.min(POLL.toNanos(), retryAtNanos - System.nanoTime()));
                }
                continue;
            }
            if (!parked.isEmpty()) {
                releaseParked();
            }
            Object next;
            try {
                next = handingOver || !running ? queue.poll(0, TimeUnit.NANOSECONDS).orElse(null) : null;
                if (next == null) {
                    // Everything that waited is handed over (or none of it was due): wait for the next tick.
                    if (drainedThisTick > 0) {
                        drains++;
                        drainedThisTick = 0;
                    }
                    handingOver = false;
                    next = queue.pollWhenDue(TICK.toNanos()).orElse(null);
                }
                if (next == null && running && parked.isEmpty() && queue.isEmpty()) {
                    // A whole tick without a result: no timer until one comes (it wakes us) or a letter is due.
                    next = queue.pollAsleep(nanosUntilNextDeadLetter()).orElse(null);
                }
            } catch (InterruptedException e) {
                break;
            }
            if (next != null) {
                handingOver = true;
                drainedThisTick++;
                handle(next);
            }
        }
    }

    /** Until the first waiting dead letter is due; {@code Long.MAX_VALUE} when none waits. */
    private long nanosUntilNextDeadLetter() {
        DeadLetterAttempt first = deadLetters.peek();
        return first == null ? Long.MAX_VALUE : Math.max(0, first.getDelay(TimeUnit.NANOSECONDS));
    }

    private void handle(Object item) {
        try {
            if (item instanceof HealthEvent event) {
                if (event.registration().partition() >= eventPartitions.getAsInt()) {
                    park(event);
                } else {
                    send(event);
                }
            } else if (item != HAND_OVER) {
                sendDueDeadLetters(); // letters queued before the flush leave before it
                FlushMarker marker = (FlushMarker) item;
                flusher.execute(() -> {
                    producer.flush(); // everything handed to the producer before the marker
                    marker.done().complete(null);
                });
            }
            retryPauseNanos = RETRY_FIRST.toNanos();
        } catch (RuntimeException e) {
            if (!running && e instanceof IllegalStateException) {
                failed.increment();
                log.error("publish failed while closing: {}", e.toString());
                return;
            }
            // The producer refused it before taking it (serializer, buffer, interrupted): nothing was sent, try again.
            // Until Kafka acknowledges something again the monitor is not ready (healthy()), even with no new result.
            lastFailedNanos = nanoTime.getAsLong();
            retried.increment();
            log.warn("publish failed, trying again in {} ms: {}", retryPauseNanos / 1_000_000, e.toString());
            retry = item;
            retryAtNanos = System.nanoTime() + retryPauseNanos;
            retryPauseNanos = Math.min(RETRY_MAX.toNanos(), retryPauseNanos * 2);
        }
    }

    private void park(HealthEvent event) {
        int partition = event.registration().partition();
        if (parked.computeIfAbsent(partition, p -> new LinkedHashMap<>()).put(event.backendId(), event) == null
                && parked.get(partition).size() == 1) {
            missingPartitions = Set.copyOf(parked.keySet());
            log.error("partition={} of {} does not exist ({} partitions): results of backends in registry partition {}"
                    + " wait until it does; grow {} to match the registry (healthmon topics create does)", partition,
                    eventsTopic, eventPartitions.getAsInt(), partition, eventsTopic);
        }
    }

    /** Sends what was parked for partitions that exist now. */
    private void releaseParked() {
        int partitions = eventPartitions.getAsInt();
        Map<Integer, Map<String, HealthEvent>> ready = new TreeMap<>(parked.headMap(partitions, false));
        if (ready.isEmpty()) {
            return;
        }
        ready.keySet().forEach(parked::remove);
        missingPartitions = Set.copyOf(parked.keySet());
        ready.forEach((partition, events) -> {
            log.info("partition={} of {} exists now: sending {} parked results", partition, eventsTopic, events.size());
            events.values().forEach(this::handle);
        });
    }

    private static void pause(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(Math.max(0, nanos)); // the retry back-off, not synchronisation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void send(HealthEvent event) {
        byte[] value;
        try {
            value = codec.encode(event);
        } catch (RuntimeException e) {
            // No retry makes it encodable, and retrying would hold up every result behind it for good.
            lastFailedNanos = nanoTime.getAsLong();
            failed.increment();
            log.error("backend={} sequence={} health event cannot be encoded, not published: {}",
                    UntrustedText.escape(event.backendId(), LOGGED_ID_CHARS), event.sequence(),
                    UntrustedText.escape(e.toString(), LOGGED_ERROR_CHARS));
            return;
        }
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(eventsTopic, event.registration().partition(),
                event.backendId().getBytes(StandardCharsets.UTF_8), value);
        Callback callback = callback(event.backendId(), published, event);
        sends.incrementAndGet();
        try {
            producer.send(record, callback);
        } catch (RuntimeException e) {
            sends.decrementAndGet(); // not taken, so not outstanding: handle() queues it again
            throw e;
        }
    }

    private void sendDueDeadLetters() {
        DeadLetterAttempt attempt;
        while ((attempt = deadLetters.poll()) != null) {
            send(attempt);
        }
    }

    private void send(DeadLetterAttempt attempt) {
        try {
            producer.send(attempt.record(), (metadata, error) -> {
                if (error == null) {
                    acknowledged(attempt, metadata.partition(), metadata.offset());
                } else {
                    failed(attempt, error);
                }
            });
        } catch (RuntimeException e) {
            failed(attempt, e); // a closed producer, or an error send() throws instead of reporting
        }
    }

    /** On the producer's I/O thread. The log line says "sent" only now that the topic has it. */
    private void acknowledged(DeadLetterAttempt attempt, int partition, long offset) {
        unacknowledged.remove(attempt);
        lastDeadLetterAckNanos = nanoTime.getAsLong();
        deadLettered.increment();
        DeadLetter letter = attempt.letter();
        log.warn("backend={} registry record {} sent to dead-letter topic {}-{}@{}: {}",
                UntrustedText.escape(letter.backendId(), LOGGED_ID_CHARS), letter.source(), dlqTopic, partition, offset,
                UntrustedText.escape(letter.error(), LOGGED_ERROR_CHARS));
        attempt.acknowledged().complete(null);
    }

    /** On the producer's I/O thread or the publisher thread: the letter waits and goes again, never dropped. */
    private void failed(DeadLetterAttempt attempt, Exception error) {
        lastDeadLetterFailureNanos = nanoTime.getAsLong();
        lastDeadLetterError = error.toString();
        deadLetterFailures.increment();
        Duration backOff = attempt.retryAfter(error);
        log.warn("backend={} registry record {} not yet in dead-letter topic {} (attempt {}), retrying in {} ms: {}",
                UntrustedText.escape(attempt.letter().backendId(), LOGGED_ID_CHARS), attempt.letter().source(),
                dlqTopic,
                attempt.attempts(), backOff.toMillis(), error.toString());
        if (running) {
            deadLetters.add(attempt);
            queue.wake(); // the publisher may be asleep until an earlier letter's time, or for ever
        } else {
            attempt.acknowledged().completeExceptionally(error);
        }
    }

    /** On a retriable error the item is queued again, behind what came since (the aggregator orders by sequence). */
    private Callback callback(String backendId, Counter onSuccess, Object item) {
        return (metadata, error) -> {
            long now = nanoTime.getAsLong();
            lastCompletedNanos = now;
            completions.incrementAndGet();
            if (error == null) {
                onSuccess.increment();
                lastAcknowledgedNanos = now;
                return;
            }
            lastFailedNanos = now;
            if (error instanceof RetriableException && running && queue.offerOther(item)) {
                retried.increment();
                log.warn("backend={} publish failed, queued again: {}", backendId, error.toString());
            } else {
                failed.increment();
                log.error("backend={} publish failed: {}", backendId, error.toString());
            }
        };
    }

    /**
     * False while Kafka does not take what we send: the last send failed, or records have been
     * outstanding for {@link #UNHEALTHY_AFTER} without a single acknowledgement (the producer
     * retries through an outage, so that is how an outage shows). Any thread.
     */
    public boolean healthy() {
        if (stoppedBy != null || lastFailedNanos > lastAcknowledgedNanos) {
            return false;
        }
        // Results still within their routine hold are not waiting for Kafka: not outstanding.
        boolean outstanding = sends.get() > completions.get() || queue.due();
        return !outstanding
                || nanoTime.getAsLong() - Math.max(lastCompletedNanos, startedNanos) < UNHEALTHY_AFTER.toNanos();
    }

    /**
     * Ready unless Kafka does not take our results ({@link #healthy()}) or {@code health-events}
     * lacks a partition that results wait for. Any thread.
     */
    public Readiness readiness() {
        String stopped = stoppedBy;
        Readiness kafka = stopped != null
                ? Readiness.notReady("the publisher thread stopped, results are no longer sent: "
                        + UntrustedText.escape(stopped, LOGGED_ERROR_CHARS))
                : Readiness.when(healthy(), "Kafka does not take health events: the last send failed, or "
                        + "results have waited " + UNHEALTHY_AFTER.toSeconds() + " s without an acknowledgement");
        Optional<String> deadLetters = deadLetterProblem();
        if (deadLetters.isPresent()) {
            kafka = kafka.and(Readiness.notReady(deadLetters.get()));
        }
        Set<Integer> missing = missingPartitions;
        return missing.isEmpty() ? kafka : kafka.and(Readiness.notReady(eventsTopic + " has no partition " + missing
                + " for registry partitions of the same number: their backends' results wait (grow " + eventsTopic
                + " to the registry's partition count: healthmon topics create)"));
    }

    /** Partitions of {@code health-events} that results wait for because they do not exist. Any thread. */
    public Set<Integer> missingPartitions() {
        return missingPartitions;
    }

    /** How many times the publisher has handed over what came and gone back to waiting. Any thread; for tests. */
    long drains() {
        return drains;
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
        queue.wake();
        try {
            thread.join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            thread.interrupt();
        }
        // The publisher thread's own fields are safe to read once it has ended.
        int unsent = queue.size() + (thread.isAlive() ? 0 : parked.values().stream().mapToInt(Map::size).sum()
                + (retry == null ? 0 : 1));
        if (unsent > 0) {
            log.warn("publisher closed with {} results unsent", unsent);
        }
        if (!unacknowledged.isEmpty()) {
            // Their source records were not committed past: the next owner reads and dead-letters them again.
            log.warn("publisher closed with {} dead letters unacknowledged", unacknowledged.size());
            unacknowledged.forEach(a -> a.acknowledged().completeExceptionally(
                    new IllegalStateException("publisher closed before the dead-letter topic acknowledged")));
        }
        flusher.shutdownNow();
        producer.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }
}
