package dev.healthmon.monitor;

import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The pending tasks of {@link ExecutorCheckScheduler}, ordered by due time, and the rule that batches them: the
 * tasks due by a wake-up are taken together, and a wake-up is planned {@code slack} after the earliest due time,
 * so that every task due within that slack of it runs in the same wake-up (docs/design.md §4.2). The slack is sized
 * by each wake-up's count ({@link BatchSlack}). A task never runs before it is due, and at most the slack then in
 * force after (plus the thread's own delay).
 *
 * <p>Why: at 4,000 checks/s a thread that woke for each due check woke 4,000 times a second, and handed each check
 * to the HTTP selector with a wake-up of its own (docs/BENCHMARKS.md, the load run). With 5 ms of slack it wakes
 * about 200 times a second and hands each batch over with one wake-up.
 *
 * <p><b>Threading.</b> Not thread-safe: {@link ExecutorCheckScheduler} holds its lock around every call. Time is
 * passed in as {@link System#nanoTime()}-style nanoseconds, so tests drive it by hand.
 *
 * <p>A binary heap on (due, order of scheduling), each task knowing its index, so a cancel removes it at once in
 * O(log n): a restart or a revocation leaves nothing behind.
 */
final class DueQueue {

    private final BatchSlack slack;
    /**
     * Tasks scheduled with no delay or a short time ahead, by the latest time each may run ({@link BatchSlack#capFor}):
     * only these few (new registrations' first checks, intervals or timeouts under 400 ms) get an object here. One
     * that has left the queue (taken or cancelled) is dropped when it comes to the head.
     */
    private final PriorityQueue<Capped> capped = new PriorityQueue<>((a, b) -> Long.signum(a.latest - b.latest));
    private Entry[] heap = new Entry[64];
    private int size;
    private long scheduled;

    /** A queue whose slack never changes. */
    DueQueue(long slackNanos) {
        this(BatchSlack.fixed(slackNanos));
    }

    DueQueue(BatchSlack slack) {
        this.slack = slack;
    }

    /** One pending task; its {@code index} is -1 once it has left the queue (taken or cancelled). */
    static class Entry {
        final long dueNanos;
        private final long order;
        private int index = -1;

        Entry(long dueNanos, long order) {
            this.dueNanos = dueNanos;
            this.order = order;
        }

        boolean queued() {
            return index >= 0;
        }
    }

    /** The next value for {@link Entry}'s {@code order}: tasks due at the same time run in the order scheduled. */
    long nextOrder() {
        return scheduled++;
    }

    /** Adds {@code entry}; returns whether it is now the earliest, so the wake-up planned may be too late. */
    boolean add(Entry entry) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        entry.index = size;
        heap[size++] = entry;
        siftUp(entry.index);
        return heap[0] == entry;
    }

    /**
     * Adds {@code entry}, scheduled {@code aheadNanos} before its due time: with no delay or a short time ahead, it
     * runs at most its {@link BatchSlack#capFor} late, whatever the slack. Returns whether it is now the earliest.
     */
    boolean add(Entry entry, long aheadNanos) {
        long cap = slack.capFor(aheadNanos);
        if (cap != Long.MAX_VALUE) {
            capped.add(new Capped(entry.dueNanos + cap, entry));
        }
        return add(entry);
    }

    private record Capped(long latest, Entry entry) {
    }

    /** Removes {@code entry} if it is still queued; returns whether it was. */
    boolean remove(Entry entry) {
        int i = entry.index;
        if (i < 0) {
            return false;
        }
        entry.index = -1;
        Entry last = heap[--size];
        heap[size] = null;
        if (i < size) {
            heap[i] = last;
            last.index = i;
            siftDown(i);
            if (heap[i] == last) {
                siftUp(i);
            }
        }
        if (size == 0) {
            capped.clear(); // the thread now sleeps without looking here: drop what would hold finished tasks
        }
        return true;
    }

    int size() {
        return size;
    }

    /**
     * When the thread should wake next: {@code slack} after the earliest due time, or sooner for a capped task. Only
     * while not empty.
     */
    long wakeAt() {
        long planned = plannedWake();
        Capped first = firstCapped();
        return first != null && first.latest - planned < 0 ? first.latest : planned;
    }

    /** The queued capped task that must run first, dropping those that left the queue; null if none. */
    private Capped firstCapped() {
        Capped first = capped.peek();
        while (first != null && !first.entry.queued()) {
            capped.poll();
            first = capped.peek();
        }
        return first;
    }

    private long plannedWake() {
        return heap[0].dueNanos + slack.nanos();
    }

    /** The slack the next wake-up is planned with. */
    long slackNanos() {
        return slack.nanos();
    }

    /**
     * Moves every task due by {@code now} to {@code batch}, earliest first (ties in the order scheduled), and
     * returns how many. Called when the thread wakes at (or after) {@link #wakeAt()}. The count of a wake-up at or
     * after its slack sizes the slack of the next; one made sooner, for a capped task, says nothing of the rate.
     */
    int takeDue(long now, List<Entry> batch) {
        boolean sized = size > 0 && now - plannedWake() >= 0;
        int taken = 0;
        while (size > 0 && heap[0].dueNanos - now <= 0) {
            Entry head = heap[0];
            remove(head);
            batch.add(head);
            taken++;
        }
        if (sized) {
            slack.taken(taken);
        }
        return taken;
    }

    private static boolean before(Entry a, Entry b) {
        long d = a.dueNanos - b.dueNanos;
        return d < 0 || d == 0 && a.order < b.order;
    }

    private void siftUp(int i) {
        Entry entry = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            Entry p = heap[parent];
            if (!before(entry, p)) {
                break;
            }
            heap[i] = p;
            p.index = i;
            i = parent;
        }
        heap[i] = entry;
        entry.index = i;
    }

    private void siftDown(int i) {
        Entry entry = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < size && before(heap[right], heap[child])) {
                child = right;
            }
            if (!before(heap[child], entry)) {
                break;
            }
            heap[i] = heap[child];
            heap[i].index = i;
            i = child;
        }
        heap[i] = entry;
        entry.index = i;
    }
}
