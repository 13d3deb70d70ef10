package dev.healthmon.support;

import dev.healthmon.monitor.CheckScheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/** A {@link CheckScheduler} on a hand-driven clock: tasks run only inside {@link #advance}, in due order. */
public final class ManualScheduler implements CheckScheduler {

    private final class Task implements Cancellable {
        final Instant due;
        final long order;
        final Runnable body;
        boolean cancelled;

        Task(Instant due, long order, Runnable body) {
            this.due = due;
            this.order = order;
            this.body = body;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    private final PriorityQueue<Task> queue = new PriorityQueue<>(
            Comparator.comparing((Task t) -> t.due).thenComparingLong(t -> t.order));
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private long order;

    @Override
    public synchronized Cancellable schedule(Runnable task, Duration delay) {
        Task t = new Task(now.plus(delay.isNegative() ? Duration.ZERO : delay), order++, task);
        queue.add(t);
        return t;
    }

    @Override
    public Clock clock() {
        return new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now();
            }
        };
    }

    public synchronized Instant now() {
        return now;
    }

    /** Moves time forward, running every task that falls due (including ones scheduled meanwhile). */
    public void advance(Duration duration) {
        Instant target;
        synchronized (this) {
            target = now.plus(duration);
        }
        while (true) {
            Task next;
            synchronized (this) {
                next = queue.peek();
                if (next == null || next.due.isAfter(target)) {
                    now = target;
                    return;
                }
                queue.poll();
                now = next.due;
            }
            if (!next.cancelled) {
                next.body.run();
            }
        }
    }

    /** Due times of the live (not cancelled) tasks, soonest first. */
    public synchronized List<Instant> pending() {
        List<Instant> due = new ArrayList<>();
        queue.stream().filter(t -> !t.cancelled).sorted(Comparator.comparing((Task t) -> t.due)).forEach(t
                -> due.add(t.due));
        return due;
    }
}
