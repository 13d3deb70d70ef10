package dev.healthmon.events;

import dev.healthmon.status.CircuitState;
import dev.healthmon.status.HealthStatus;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The publisher's bounded buffer (docs/design.md §7.1). Items leave in the order they came. While the
 * consumer is behind (Kafka slow or down: the oldest waiting item has waited {@code holdNanos + behindNanos},
 * the routine hold and two of the publisher's ticks), a new result replaces its backend's waiting one unless
 * the waiting one changed the status: so the buffer keeps, per backend, every status change plus the latest
 * result, and counts the results it dropped that way as coalesced. While the consumer keeps up nothing is
 * coalesced, so a backend checked more often than the tick loses no check. Items offered with
 * {@link #offerOther} (flush and hand-over markers, results queued again after a failed send, which then wait
 * behind newer ones of their backend: the aggregator orders by sequence) are never coalesced. When the buffer
 * is full a new item that cannot be coalesced is refused.
 *
 * <p><b>Routine results wait for company</b> ({@link #pollWhenDue}): a result that only confirms its backend's
 * status ({@link #routine}) may wait up to {@code holdNanos} for others; anything else — a change, a failure of a
 * healthy backend, a success of a failing one, a first result, a DEGRADED result, a result queued again after a
 * failed send, a flush marker — makes everything waiting due at the consumer's next tick. So news
 * leaves within a tick and confirmations within the hold, in fewer, larger hand-overs (docs/design.md §7.1,
 * §10.30).
 *
 * <p>Thread-safe: any number of producers, one consumer (the publisher thread).
 *
 * <p><b>Wake-ups.</b> A health event does not wake the consumer until {@link #WAKE_AT} are waiting (or the buffer
 * is full, if it holds fewer):
 * the consumer polls on its tick instead, so 4,000 results a second cost it about 20 timer wake-ups, not
 * 4,000 (each a futex call on both sides). Other items and {@link #wake()} (a dead letter queued,
 * closing) wake it at once. A consumer with nothing to tick for sleeps instead ({@link #pollAsleep}) and the
 * first item of any kind wakes it: an idle monitor's publisher does not wake at all.
 */
final class CoalescingBuffer {

    /** Waiting items at which a new health event wakes the consumer: a burst is not left to the timer. */
    static final int WAKE_AT = 1024;

    /**
     * One waiting item since {@code since}; {@code item} is replaced in place when a result is coalesced into it,
     * and {@code urgent} (counted in {@link #urgentWaiting}) with it.
     */
    private static final class Slot {
        Object item;
        boolean urgent;
        final long since;

        Slot(Object item, boolean urgent, long since) {
            this.item = item;
            this.urgent = urgent;
            this.since = since;
        }
    }

    private final int capacity;
    /** How long a routine result may wait for others before it is due. */
    private final long holdNanos;
    /**
     * How long the oldest item may wait beyond {@link #holdNanos} before the consumer counts as behind, and results
     * are coalesced.
     */
    private final long behindNanos;
    private final LongSupplier nanoTime;
    private final ArrayDeque<Slot> queue = new ArrayDeque<>();
    /** Per backend, its last waiting result if that one did not change the status (so it may be replaced). */
    private final Map<String, Slot> replaceable = new HashMap<>();
    private long coalesced;
    /** Waiting items that are not routine results: while there is one, everything waiting is due. */
    private int urgentWaiting;
    /** The consumer waits in {@link #pollAsleep}: the next item wakes it, whatever it is. */
    private boolean consumerAsleep;
    /** {@link #wake()} was called: the next (or current) {@link #pollAsleep} returns at once. */
    private boolean wakePending;

    /** A buffer that coalesces whatever waits (as everything waits while Kafka is away) and holds nothing back. */
    CoalescingBuffer(int capacity) {
        this(capacity, 0, 0, System::nanoTime);
    }

    /**
     * A buffer whose routine results are due once they have waited {@code holdNanos}, and that coalesces only while
     * its oldest item has waited {@code holdNanos + behindNanos}, on {@code nanoTime}.
     */
    CoalescingBuffer(int capacity, long holdNanos, long behindNanos, LongSupplier nanoTime) {
        this.capacity = capacity;
        this.holdNanos = holdNanos;
        this.behindNanos = behindNanos;
        this.nanoTime = nanoTime;
    }

    /**
     * A result that only confirms what its backend's status already says: the status unchanged and HEALTHY,
     * UNHEALTHY or UNAUTHENTICATED, the check's outcome that very status (a failure of a healthy backend, or a success
     * of a failing one, is news before it changes the status), the circuit closed. Never DEGRADED: its reason (slow,
     * rate limited, recovering) can change while the status does not, and the event does not say the previous one.
     */
    static boolean routine(HealthEvent event) {
        HealthStatus status = event.status();
        return status == event.previousStatus() && status != HealthStatus.UNKNOWN && status != HealthStatus.DEGRADED
                && status.name().equals(event.outcome().name()) && event.circuit() == CircuitState.CLOSED;
    }

    /** Adds a health event, coalescing it into the backend's waiting result when it may; false if refused (full). */
    synchronized boolean offer(HealthEvent event) {
        Slot waiting = replaceable.get(event.backendId());
        boolean changesStatus = event.status() != event.previousStatus();
        long now = nanoTime.getAsLong();
        if (waiting != null && now - queue.peekFirst().since >= holdNanos + behindNanos) {
            urgentWaiting -= waiting.urgent ? 1 : 0;
            waiting.item = event;
            waiting.urgent = !routine(event);
            urgentWaiting += waiting.urgent ? 1 : 0;
            coalesced++;
            if (changesStatus) {
                replaceable.remove(event.backendId());
            }
            return true;
        }
        if (queue.size() >= capacity) {
            return false;
        }
        Slot slot = new Slot(event, !routine(event), now);
        queue.addLast(slot);
        urgentWaiting += slot.urgent ? 1 : 0;
        if (changesStatus) {
            replaceable.remove(event.backendId()); // the one waiting on time is now followed by a change
        } else {
            replaceable.put(event.backendId(), slot);
        }
        if (queue.size() >= wakeAt() || consumerAsleep) {
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
        // A flush or hand-over marker, or a result queued again after a failed send: due, whatever it is.
        queue.addLast(new Slot(item, true, nanoTime.getAsLong()));
        urgentWaiting++;
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
        return Optional.of(takeFirst());
    }

    /**
     * The oldest item if what waits is {@link #due}: at once if it is on entry, else after waiting up to {@code
     * waitNanos} (the consumer's tick), sooner when an item that wakes the consumer (a burst of {@link #WAKE_AT}, any
     * item but a result) makes it due; empty at once after {@link #wake()}, and empty when nothing is due by then. The
     * consumer takes the rest with {@code poll(0, …)}.
     */
    synchronized Optional<Object> pollWhenDue(long waitNanos) throws InterruptedException {
        long deadline = System.nanoTime() + waitNanos;
        long left = waitNanos;
        while (left > 0 && !due()) {
            if (wakePending) {
                wakePending = false;
                return Optional.empty();
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
            left = deadline - System.nanoTime();
        }
        return due() ? Optional.of(takeFirst()) : Optional.empty();
    }

    /** Something waits that the consumer should hand over now; not a result still within its hold. Any thread. */
    synchronized boolean due() {
        return !queue.isEmpty() && (urgentWaiting > 0 || queue.size() >= wakeAt()
                || nanoTime.getAsLong() - queue.peekFirst().since >= holdNanos);
    }

    /** {@link #WAKE_AT}, or the capacity if smaller: a full buffer of held results is due, not refusing others. */
    private int wakeAt() {
        return Math.min(WAKE_AT, capacity);
    }

    private Object takeFirst() {
        Slot slot = queue.pollFirst();
        urgentWaiting -= slot.urgent ? 1 : 0;
        if (slot.item instanceof HealthEvent event && replaceable.get(event.backendId()) == slot) {
            replaceable.remove(event.backendId());
        }
        notifyAll(); // room for offerOther(…, timeout)
        return slot.item;
    }

    /**
     * The oldest item, waiting for one without a timer: the next item offered, of any kind, wakes
     * the consumer, and so does {@link #wake()}; it waits at most {@code maxNanos}
     * ({@code Long.MAX_VALUE}: no limit). Empty when woken or timed out with nothing due: a routine result that woke
     * the consumer is left for {@link #pollWhenDue}, to wait for its hold as it would have had the consumer been
     * awake.
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
        return due() ? Optional.of(takeFirst()) : Optional.empty();
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
