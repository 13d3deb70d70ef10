package dev.healthmon.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.healthmon.status.CircuitState;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Outcome;
import dev.healthmon.support.HealthEvents;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class CoalescingBufferTest {

    private static HealthEvent event(String id, long sequence, HealthStatus from, HealthStatus to) {
        Instant at = Instant.parse("2026-11-24T10:00:00Z").plusSeconds(sequence);
        return HealthEvents.event(id).sequence(sequence).at(at)
                .outcome(to == HealthStatus.HEALTHY ? Outcome.HEALTHY : Outcome.UNHEALTHY).status(from, to)
                .counters(0, 0)
                .build();
    }

    private static List<Object> drain(CoalescingBuffer buffer) throws InterruptedException {
        List<Object> out = new ArrayList<>();
        for (Optional<Object> next = buffer.poll(0, TimeUnit.MILLISECONDS); next.isPresent();
                next = buffer.poll(0, TimeUnit.MILLISECONDS)) {
            out.add(next.get());
        }
        return out;
    }

    private static List<Long> sequences(List<Object> items, String id) {
        return items.stream().filter(i -> i instanceof HealthEvent e && e.backendId().equals(id))
                .map(i -> ((HealthEvent) i).sequence()).toList();
    }

    @Test
    void aSleepingConsumerHasNoTimerAndIsWokenByTheFirstResult() throws Exception {
        CoalescingBuffer buffer = new CoalescingBuffer(10);
        CompletableFuture<Optional<Object>> taken = consumerWaitingIn(() -> buffer.pollAsleep(Long.MAX_VALUE),
                Thread.State.WAITING);

        HealthEvent result = event("a", 1, HealthStatus.HEALTHY, HealthStatus.HEALTHY);
        buffer.offer(result); // one result, far below WAKE_AT: it wakes a sleeping consumer all the same

        assertThat(taken.get(5, TimeUnit.SECONDS)).contains(result);
    }

    @Test
    void aWakeBeforeTheSleepIsNotLostAndASleepEndsByItsLimit() throws Exception {
        CoalescingBuffer buffer = new CoalescingBuffer(10);
        buffer.wake(); // e.g. a dead letter queued just before the consumer went to sleep

        assertThat(buffer.pollAsleep(Long.MAX_VALUE)).isEmpty();
        assertThat(buffer.pollAsleep(TimeUnit.MILLISECONDS.toNanos(20))).as("the next dead letter's time").isEmpty();
    }

    @Test
    void deliversEveryResultWhenThePublisherKeepsUp() throws Exception {
        CoalescingBuffer buffer = new CoalescingBuffer(10);
        List<Object> delivered = new ArrayList<>();
        for (long s = 1; s <= 3; s++) {
            buffer.offer(event("a", s, HealthStatus.HEALTHY, HealthStatus.HEALTHY));
            delivered.addAll(drain(buffer));
        }
        assertThat(sequences(delivered, "a")).containsExactly(1L, 2L, 3L);
        assertThat(buffer.coalesced()).isZero();
    }

    @Test
    void underBackpressureKeepsEveryStatusChangeAndTheLatestResultInOrder() throws Exception {
        CoalescingBuffer buffer = new CoalescingBuffer(10);
        buffer.offer(event("a", 1, HealthStatus.HEALTHY, HealthStatus.HEALTHY));
        buffer.offer(event("a", 2, HealthStatus.HEALTHY, HealthStatus.HEALTHY));
        buffer.offer(event("a", 3, HealthStatus.HEALTHY, HealthStatus.UNHEALTHY)); // a change: kept
        buffer.offer(event("b", 1, HealthStatus.UNKNOWN, HealthStatus.HEALTHY));
        buffer.offer(event("a", 4, HealthStatus.UNHEALTHY, HealthStatus.UNHEALTHY));
        buffer.offer(event("a", 5, HealthStatus.UNHEALTHY, HealthStatus.UNHEALTHY)); // the latest: kept

        List<Object> delivered = drain(buffer);

        assertThat(sequences(delivered, "a")).containsExactly(3L, 5L);
        assertThat(sequences(delivered, "b")).containsExactly(1L);
        assertThat(buffer.coalesced()).isEqualTo(3);
    }

    @Test
    void whileTheConsumerKeepsUpNoResultIsReplacedAndOnceItIsBehindTheWaitingOneIs() throws Exception {
        AtomicLong nanos = new AtomicLong(0);
        CoalescingBuffer buffer = new CoalescingBuffer(10, 0, TimeUnit.MILLISECONDS.toNanos(50), nanos::get);
        buffer.offer(event("a", 1, HealthStatus.HEALTHY, HealthStatus.HEALTHY));
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(20)); // a backend checked every 20 ms, Kafka keeping up
        buffer.offer(event("a", 2, HealthStatus.HEALTHY, HealthStatus.HEALTHY));
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(30)); // the oldest has waited 50 ms: the consumer is behind
        buffer.offer(event("a", 3, HealthStatus.HEALTHY, HealthStatus.HEALTHY));

        assertThat(sequences(drain(buffer), "a")).containsExactly(1L, 3L);
        assertThat(buffer.coalesced()).isEqualTo(1);
    }

    @Test
    void aBackendCheckedMoreOftenThanTheTickDoesNotFillTheBufferWhileKafkaIsAway() throws Exception {
        AtomicLong nanos = new AtomicLong(0);
        CoalescingBuffer buffer = new CoalescingBuffer(10, 0, TimeUnit.MILLISECONDS.toNanos(50), nanos::get);
        for (long s = 1; s <= 100; s++) { // every 20 ms for 2 s, nothing taken
            assertThat(buffer.offer(event("a", s, HealthStatus.HEALTHY, HealthStatus.HEALTHY))).isTrue();
            nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(20));
        }
        assertThat(buffer.offer(event("b", 1, HealthStatus.HEALTHY, HealthStatus.UNHEALTHY)))
                .as("another backend's change still fits").isTrue();

        List<Object> delivered = drain(buffer);
        // 1 and 2 came while the oldest had waited under 50 ms; 3 did too, then took every later one's place.
        assertThat(sequences(delivered, "a")).containsExactly(1L, 2L, 100L);
        assertThat(sequences(delivered, "b")).containsExactly(1L);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS) // were the wake consumed, pollAsleep would wait forever
    void aWakeIsLeftForTheNextWaitByAPollThatDoesNotWait() throws Exception {
        CoalescingBuffer buffer = new CoalescingBuffer(10);
        buffer.wake();
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS)).isEmpty();
        assertThat(buffer.pollAsleep(Long.MAX_VALUE)).as("returns at once, not never").isEmpty();
    }

    @Test
    void aStatusChangeThatCameOnTimeIsNeverOvertakenByALaterResult() throws Exception {
        AtomicLong nanos = new AtomicLong(0);
        CoalescingBuffer buffer = new CoalescingBuffer(10, 0, TimeUnit.MILLISECONDS.toNanos(50), nanos::get);
        buffer.offer(event("a", 1, HealthStatus.HEALTHY, HealthStatus.HEALTHY));
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(10));
        buffer.offer(event("a", 2, HealthStatus.HEALTHY, HealthStatus.UNHEALTHY));
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(100)); // the first is late now, but a change follows it
        buffer.offer(event("a", 3, HealthStatus.UNHEALTHY, HealthStatus.UNHEALTHY));

        assertThat(sequences(drain(buffer), "a")).containsExactly(1L, 2L, 3L);
    }

    @Test
    void neverCoalescesOtherItemsAndRefusesWhatDoesNotFit() throws Exception {
        CoalescingBuffer buffer = new CoalescingBuffer(2);
        assertThat(buffer.offerOther("dead letter 1")).isTrue();
        assertThat(buffer.offer(event("a", 1, HealthStatus.HEALTHY, HealthStatus.HEALTHY))).isTrue();
        assertThat(buffer.offerOther("dead letter 2")).as("full").isFalse();
        assertThat(buffer.offer(event("a", 2, HealthStatus.HEALTHY,
                HealthStatus.HEALTHY))).as("coalesced, fits").isTrue();
        assertThat(buffer.offer(event("b", 1, HealthStatus.HEALTHY, HealthStatus.HEALTHY))).as("full").isFalse();

        assertThat(drain(buffer)).hasSize(2).first().isEqualTo("dead letter 1");
    }

    @Test
    void aSentResultIsNeverReplaced() throws Exception {
        CoalescingBuffer buffer = new CoalescingBuffer(10);
        buffer.offer(event("a", 1, HealthStatus.HEALTHY, HealthStatus.HEALTHY));
        drain(buffer);
        buffer.offer(event("a", 2, HealthStatus.HEALTHY, HealthStatus.HEALTHY));
        assertThat(sequences(drain(buffer), "a")).containsExactly(2L);
        assertThat(buffer.coalesced()).isZero();
    }

    @Test
    void onlyAResultThatConfirmsAKnownStatusWithItsOwnOutcomeIsRoutine() {
        assertThat(CoalescingBuffer.routine(event("a", 2, HealthStatus.HEALTHY, HealthStatus.HEALTHY))).isTrue();
        assertThat(CoalescingBuffer.routine(event("a", 2, HealthStatus.UNHEALTHY, HealthStatus.UNHEALTHY))).isTrue();
        assertThat(CoalescingBuffer.routine(HealthEvents.event("a").outcome(Outcome.UNAUTHENTICATED)
                .status(HealthStatus.UNAUTHENTICATED, HealthStatus.UNAUTHENTICATED).build())).isTrue();

        assertThat(CoalescingBuffer.routine(event("a", 2, HealthStatus.HEALTHY, HealthStatus.UNHEALTHY)))
                .as("a change").isFalse();
        assertThat(CoalescingBuffer.routine(event("a", 1, HealthStatus.UNKNOWN, HealthStatus.HEALTHY)))
                .as("a first result").isFalse();
        assertThat(CoalescingBuffer.routine(HealthEvents.event("a").outcome(Outcome.HEALTHY)
                .status(HealthStatus.UNKNOWN, HealthStatus.UNKNOWN).build())).as("no status yet").isFalse();
        assertThat(CoalescingBuffer.routine(HealthEvents.event("a").outcome(Outcome.UNHEALTHY)
                .status(HealthStatus.HEALTHY, HealthStatus.HEALTHY).build()))
                .as("a failure below the threshold").isFalse();
        assertThat(CoalescingBuffer.routine(HealthEvents.event("a").outcome(Outcome.HEALTHY)
                .status(HealthStatus.UNHEALTHY, HealthStatus.UNHEALTHY).build()))
                .as("a success below the threshold").isFalse();
        assertThat(CoalescingBuffer.routine(HealthEvents.event("a").outcome(Outcome.UNHEALTHY)
                .status(HealthStatus.UNHEALTHY, HealthStatus.UNHEALTHY).circuit(CircuitState.OPEN).build()))
                .as("the circuit opened").isFalse();
        assertThat(CoalescingBuffer.routine(HealthEvents.event("a").outcome(Outcome.DEGRADED)
                .status(HealthStatus.DEGRADED, HealthStatus.DEGRADED).build()))
                .as("still degraded, but maybe for another reason").isFalse();
    }

    @Test
    void aRoutineResultWakesASleepingConsumerButWaitsForItsHold() throws Exception {
        AtomicLong nanos = new AtomicLong(0);
        CoalescingBuffer buffer = new CoalescingBuffer(10, TimeUnit.SECONDS.toNanos(1), 0, nanos::get);
        CompletableFuture<Optional<Object>> taken = consumerWaitingIn(() -> buffer.pollAsleep(Long.MAX_VALUE),
                Thread.State.WAITING);

        buffer.offer(event("a", 2, HealthStatus.HEALTHY, HealthStatus.HEALTHY));

        assertThat(taken.get(5, TimeUnit.SECONDS)).as("woken, nothing handed over").isEmpty();
        assertThat(buffer.size()).isOne();
    }

    @Test
    void aFullBufferSmallerThanABurstIsDueRatherThanRefusingResults() throws Exception {
        CoalescingBuffer buffer = new CoalescingBuffer(3, TimeUnit.SECONDS.toNanos(1), 0, () -> 0L);
        for (long s = 1; s <= 3; s++) {
            buffer.offer(event("b" + s, 2, HealthStatus.HEALTHY, HealthStatus.HEALTHY));
        }
        assertThat(buffer.pollWhenDue(TimeUnit.MILLISECONDS.toNanos(1))).isPresent();
    }

    @Test
    void anItemThatIsNotAResultEndsAWaitForTheTickAtOnce() throws Exception {
        CoalescingBuffer buffer = new CoalescingBuffer(10, TimeUnit.SECONDS.toNanos(1), 0, () -> 0L);
        buffer.offer(event("a", 2, HealthStatus.HEALTHY, HealthStatus.HEALTHY)); // held: not due
        CompletableFuture<Optional<Object>> polled = consumerWaitingIn(
                () -> buffer.pollWhenDue(TimeUnit.SECONDS.toNanos(60)), Thread.State.TIMED_WAITING);

        buffer.offerOther("flush marker");

        await().atMost(Duration.ofSeconds(10)).until(polled::isDone); // not the minute
        assertThat(polled.join()).as("the held result leaves first, with the marker due behind it")
                .map(e -> ((HealthEvent) e).backendId()).contains("a");
    }

    @Test
    void routineResultsWaitForTheHoldAndNewsMakesEverythingWaitingDue() throws Exception {
        AtomicLong nanos = new AtomicLong(0);
        long hold = TimeUnit.SECONDS.toNanos(1);
        CoalescingBuffer buffer = new CoalescingBuffer(10, hold, TimeUnit.MILLISECONDS.toNanos(100), nanos::get);
        buffer.offer(event("a", 2, HealthStatus.HEALTHY, HealthStatus.HEALTHY));
        buffer.offer(event("b", 2, HealthStatus.HEALTHY, HealthStatus.HEALTHY));
        nanos.addAndGet(hold - 1);
        assertThat(buffer.pollWhenDue(TimeUnit.MILLISECONDS.toNanos(1))).as("just under the hold").isEmpty();
        nanos.addAndGet(1);
        assertThat(buffer.pollWhenDue(TimeUnit.MILLISECONDS.toNanos(1))).as("the oldest held for the hold")
                .map(e -> ((HealthEvent) e).backendId()).contains("a");
        assertThat(sequences(drain(buffer), "b")).containsExactly(2L);

        buffer.offer(event("a", 3, HealthStatus.HEALTHY, HealthStatus.HEALTHY));
        buffer.offer(event("c", 1, HealthStatus.UNKNOWN, HealthStatus.HEALTHY)); // news, with no time gone by
        List<Object> handedOver = new ArrayList<>();
        buffer.pollWhenDue(TimeUnit.MILLISECONDS.toNanos(1)).ifPresent(handedOver::add);
        handedOver.addAll(drain(buffer));
        assertThat(handedOver).as("the routine result leaves with the news, before it")
                .extracting(e -> ((HealthEvent) e).backendId()).containsExactly("a", "c");

        buffer.offer(event("a", 4, HealthStatus.HEALTHY, HealthStatus.HEALTHY));
        buffer.offerOther("flush marker");
        assertThat(buffer.pollWhenDue(TimeUnit.MILLISECONDS.toNanos(1))).as("anything but a result is due at once")
                .isPresent();
    }

    @Test
    void aRoutineResultQueuedAgainIsDueAndLeavesNothingDueBehindIt() throws Exception {
        AtomicLong nanos = new AtomicLong(0);
        CoalescingBuffer buffer = new CoalescingBuffer(10, TimeUnit.SECONDS.toNanos(1), 0, nanos::get);
        HealthEvent refused = event("a", 2, HealthStatus.HEALTHY, HealthStatus.HEALTHY);
        buffer.offerOther(refused); // Kafka refused it once: it has waited already

        assertThat(buffer.pollWhenDue(TimeUnit.MILLISECONDS.toNanos(1))).contains(refused);
        assertThat(buffer.pollWhenDue(TimeUnit.MILLISECONDS.toNanos(1))).as("nothing left").isEmpty();
        buffer.offer(event("a", 3, HealthStatus.HEALTHY, HealthStatus.HEALTHY));
        assertThat(buffer.due()).as("the next confirmation is held as any other").isFalse();
    }

    @Test
    void aResultHeldForTheHoldIsNotCoalescedButOneWaitingLongerThanTheHoldAndTwoTicksIs() throws Exception {
        AtomicLong nanos = new AtomicLong(0);
        long hold = TimeUnit.SECONDS.toNanos(1);
        CoalescingBuffer buffer = new CoalescingBuffer(100, hold, TimeUnit.MILLISECONDS.toNanos(100), nanos::get);
        for (long s = 1; s <= 11; s++) { // a healthy backend checked every 100 ms, nothing taken
            assertThat(buffer.offer(event("a", s, HealthStatus.HEALTHY, HealthStatus.HEALTHY))).isTrue();
            nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(100));
        }
        // 1.1 s after the first: the publisher is behind, and the next result takes the last one's place.
        buffer.offer(event("a", 12, HealthStatus.HEALTHY, HealthStatus.HEALTHY));

        assertThat(sequences(drain(buffer), "a")).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 12L);
        assertThat(buffer.coalesced()).isOne();
    }

    /** Starts a consumer waiting up to a minute for an item, and returns once it is waiting. */
    private static CompletableFuture<Optional<Object>> waitingConsumer(CoalescingBuffer buffer) {
        return consumerWaitingIn(() -> buffer.poll(60, TimeUnit.SECONDS), Thread.State.TIMED_WAITING);
    }

    /**
     * Starts a consumer thread calling {@code poll}, and returns once it waits in it ({@code state}: WAITING without
     * a timer, TIMED_WAITING with one).
     */
    private static CompletableFuture<Optional<Object>> consumerWaitingIn(Callable<Optional<Object>> poll,
            Thread.State state) {
        CompletableFuture<Optional<Object>> polled = new CompletableFuture<>();
        Thread consumer = new Thread(() -> {
            try {
                polled.complete(poll.call());
            } catch (Exception e) {
                polled.completeExceptionally(e);
            }
        });
        consumer.setDaemon(true);
        consumer.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.getState() == state);
        return polled;
    }

    private static void assertWokenBy(Consumer<CoalescingBuffer> offers) {
        CoalescingBuffer buffer = new CoalescingBuffer(10_000);
        CompletableFuture<Optional<Object>> polled = waitingConsumer(buffer);

        offers.accept(buffer);

        await().atMost(Duration.ofSeconds(10)).until(polled::isDone); // not the minute: it was woken
        assertThat(polled.join()).isPresent();
    }

    @Test
    void aWakeEndsAPublishersWaitForItsTickAtOnce() {
        CoalescingBuffer buffer = new CoalescingBuffer(10);
        CompletableFuture<Optional<Object>> polled = waitingConsumer(buffer);

        buffer.wake(); // a dead letter queued, or closing: not left until the tick ends

        await().atMost(Duration.ofSeconds(10)).until(polled::isDone); // not the minute
        assertThat(polled.join()).isEmpty();
    }

    @Test
    void aBurstOfResultsWakesAWaitingPublisher() {
        assertWokenBy(buffer -> {
            for (int i = 0; i < CoalescingBuffer.WAKE_AT; i++) {
                buffer.offer(event("b" + i, 1, HealthStatus.HEALTHY, HealthStatus.HEALTHY));
            }
        });
    }

    @Test
    void aDeadLetterWakesAWaitingPublisherAtOnce() {
        assertWokenBy(buffer -> buffer.offerOther("dead letter"));
    }
}
