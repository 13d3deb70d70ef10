package dev.healthmon.events;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The publisher's bounded buffer (docs/design.md §7.1). Items leave in the order they came. While the
 * consumer is behind (Kafka slow or down: the oldest waiting item has waited {@code behindNanos}, two of the
 * publisher's ticks), a new result replaces its backend's waiting one unless the waiting one changed the
 * status: so the buffer keeps, per backend, every status change plus the latest result, and counts the
 * results it dropped that way as coalesced. While the consumer keeps up nothing is coalesced, so a backend
 * checked more often than the tick loses no check. Items offered with {@link #offerOther} (flush markers,
 * results queued again after a failed send, which then wait behind newer ones of their backend: the
 * aggregator orders by sequence) are never coalesced. When the buffer is full a new item that cannot be
 * coalesced is refused.
 *
 * <p>Thread-safe: any number of producers, one consumer (the publisher thread).
 *
 * <p><b>Wake-ups.</b> A health event does not wake the consumer until {@link #WAKE_AT} are waiting:
 * the consumer polls on its tick instead, so 4,000 results a second cost it about 20 timer wake-ups, not
 * 4,000 (each a futex call on both sides). Other items and {@link #wake()} (a dead letter queued,
 * closing) wake it at once. A consumer with nothing to tick for sleeps instead ({@link #pollAsleep}) and the
 * first item of any kind wakes it: an idle monitor's publisher does not wake at all.
 */
final class CoalescingBuffer {

    /** Waiting items at which a new health event wakes the consumer: a burst is not left to the timer. */
    static final int WAKE_AT = 1024;

    /** One waiting item since {@code since}; {@code item} is replaced in place when a result is coalesced into it. */
    private static final class Slot {
        Object item;
        final long since;

        Slot(Object item, long since) {
            this.item = item;
            this.since = since;
        }
    }

    private final int capacity;
    /** How long the oldest item may wait before the consumer counts as behind, and results are coalesced. */
    private final long behindNanos;
    private final LongSupplier nanoTime;
    private final ArrayDeque<Slot> queue = new ArrayDeque<>();
    /** Per backend, its last waiting result if that one did not change the status (so it may be replaced). */
    private final Map<String, Slot> replaceable = new HashMap<>();
    private long coalesced;
    /** The consumer waits in {@link #pollAsleep}: the next item wakes it, whatever it is. */
    private boolean consumerAsleep;
    /** {@link #wake()} was called: the next (or current) {@link #pollAsleep} returns at once. */
    private boolean wakePending;

    /** A buffer that coalesces whatever waits (as everything waits while Kafka is away). */
    CoalescingBuffer(int capacity) {
        this(capacity, 0, System::nanoTime);
    }

    /** A buffer that coalesces only while its oldest item has waited {@code behindNanos} on {@code nanoTime}. */
    CoalescingBuffer(int capacity, long behindNanos, LongSupplier nanoTime) {
        this.capacity = capacity;
        this.behindNanos = behindNanos;
        this.nanoTime = nanoTime;
    }

    /** Adds a health event, coalescing it into the backend's waiting result when it may; false if refused (full). */
    synchronized boolean offer(HealthEvent event) {
        Slot waiting = replaceable.get(event.backendId());
        boolean changesStatus = event.status() != event.previousStatus();
        long now = nanoTime.getAsLong();
        if (waiting != null && now - queue.peekFirst().since >= behindNanos) {
            waiting.item = event;
            coalesced++;
            if (changesStatus) {
                replaceable.remove(event.backendId());
            }
            return true;
        }
        if (queue.size() >= capacity) {
            return false;
        }
        Slot slot = new Slot(event, now);
        queue.addLast(slot);
        if (changesStatus) {
            replaceable.remove(event.backendId()); // the one waiting on time is now followed by a change
        } else {
            replaceable.put(event.backendId(), slot);
        }
        if (queue.size() >= WAKE_AT || consumerAsleep) {
            consumerAsleep = false;
            notifyAll();
        }
        return true;
    }

    /** Adds an item that is never coalesced; false if refused (full). */
    synchronized boolean offerOther(Object item) {
        if (queue.size() >= capacity) {
            return false;
        }
        queue.addLast(new Slot(item, nanoTime.getAsLong()));
        notifyAll();
        return true;
    }

    /** Adds an item that is never coalesced, waiting up to {@code timeout} for room. */
    synchronized boolean offerOther(Object item, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (queue.size() >= capacity) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return offerOther(item);
    }

    /** The oldest item, waiting up to {@code timeout} for one; empty at once after {@link #wake()}. */
    synchronized Optional<Object> poll(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (queue.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Optional.empty();
            }
            if (wakePending) { // consumed only by a wait it ends: a poll(0) leaves it for the next wait
                wakePending = false;
                return Optional.empty();
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        Slot slot = queue.pollFirst();
        if (slot.item instanceof HealthEvent event && replaceable.get(event.backendId()) == slot) {
            replaceable.remove(event.backendId());
        }
        notifyAll(); // room for offerOther(…, timeout)
        return Optional.of(slot.item);
    }

    /**
     * The oldest item, waiting for one without a timer: the next item offered, of any kind, wakes
     * the consumer, and so does {@link #wake()}; it waits at most {@code maxNanos}
     * ({@code Long.MAX_VALUE}: no limit). Empty when woken or timed out with nothing queued.
     */
    synchronized Optional<Object> pollAsleep(long maxNanos) throws InterruptedException {
        long start = System.nanoTime();
        consumerAsleep = true;
        try {
            while (queue.isEmpty() && !wakePending) {
                if (maxNanos == Long.MAX_VALUE) {
                    wait();
                } else {
                    long left = maxNanos - (System.nanoTime() - start);
                    if (left <= 0) {
                        break;
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            }
        } finally {
            consumerAsleep = false;
            wakePending = false;
        }
        return queue.isEmpty() ? Optional.empty() : poll(0, TimeUnit.NANOSECONDS);
    }

    /**
     * Wakes the consumer from {@link #pollAsleep}, or makes its next call return at once: for work
     * that does not come through this buffer (a dead letter queued or due, closing).
     */
    synchronized void wake() {
        wakePending = true;
        notifyAll();
    }

    synchronized int size() {
        return queue.size();
    }

    synchronized boolean isEmpty() {
        return queue.isEmpty();
    }

    /** Results replaced by a newer one of the same backend before they could be sent. */
    synchronized long coalesced() {
        return coalesced;
    }
}
