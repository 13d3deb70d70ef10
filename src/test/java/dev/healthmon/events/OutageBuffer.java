package dev.healthmon.events;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The publisher's real {@link CoalescingBuffer}, for tests in other packages, with the publisher counting as
 * behind from the start (as it is once an outage has lasted two ticks): what an outage leaves
 * of a monitor's results when Kafka comes back. Single-threaded use.
 */
public final class OutageBuffer {

    private final CoalescingBuffer buffer;

    public OutageBuffer(int capacity) {
        this.buffer = new CoalescingBuffer(capacity);
    }

    /** A result while Kafka is down; false if the buffer refused it (full): that result is lost. */
    public boolean offer(HealthEvent event) {
        return buffer.offer(event);
    }

    /** What the publisher sends once Kafka is back, in order. */
    public List<HealthEvent> drain() {
        List<HealthEvent> out = new ArrayList<>();
        try {
            for (Optional<Object> next = buffer.poll(0, TimeUnit.MILLISECONDS); next.isPresent();
                    next = buffer.poll(0, TimeUnit.MILLISECONDS)) {
                out.add((HealthEvent) next.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return out;
    }

    public long coalesced() {
        return buffer.coalesced();
    }
}
