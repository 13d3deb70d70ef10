package dev.healthmon.monitor;

import static dev.healthmon.support.Registrations.json;
import static dev.healthmon.support.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.events.FailureKind;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventSink;
import dev.healthmon.probe.ProbeResult;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.CircuitState;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Observation;
import dev.healthmon.support.FakeProbe;
import dev.healthmon.support.ManualScheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class HealthMonitorTest {

    private static final int EPOCH = 7;
    private final ManualScheduler scheduler = new ManualScheduler();
    private final FakeProbe probe = new FakeProbe();
    private final List<HealthEvent> events = new CopyOnWriteArrayList<>();
    /** jitter source fixed at the middle of the range: intervals are exact. */
    private final HealthMonitor monitor = new HealthMonitor(CheckContext.of("m1", probe, scheduler, events::add)
            .withRandom(() -> 0.5));

    private void upsert(DecodedRegistration.Valid r, long offset) {
        monitor.upsert(r.registration(), r.settings(), new RegistrationVersion(0, offset), EPOCH, StartMode.NEW);
    }

    @Test
    void checksNewBackendAtOnceAndPublishesTheResult() {
        upsert(valid("a", "http://a.test/"), 10);
        scheduler.advance(Duration.ZERO);

        assertThat(probe.calls()).hasSize(1);
        probe.last().answer(Observation.healthy());

        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.backendId()).isEqualTo("a");
            assertThat(e.sequence()).isEqualTo(1);
            assertThat(e.registration()).isEqualTo(new RegistrationVersion(0, 10));
            assertThat(e.ownerEpoch()).isEqualTo(EPOCH);
            assertThat(e.monitorId()).isEqualTo("m1");
            assertThat(e.status()).isEqualTo(HealthStatus.HEALTHY);
            assertThat(e.previousStatus()).isEqualTo(HealthStatus.UNKNOWN);
        });
    }

    @Test
    void schedulesNextCheckOneIntervalAfterTheLastOneCompleted() {
        upsert(valid("a", "http://a.test/"), 1);
        scheduler.advance(Duration.ZERO);
        scheduler.advance(Duration.ofMillis(300)); // the probe takes 300 ms
        probe.last().answer(Observation.healthy());

        scheduler.advance(Duration.ofMillis(999));
        assertThat(probe.calls()).hasSize(1);
        scheduler.advance(Duration.ofMillis(1));
        assertThat(probe.calls()).hasSize(2);
    }

    @Test
    void restartsCheckWhenUrlChanges() {
        upsert(valid("a", "http://old.test/"), 1);
        scheduler.advance(Duration.ZERO);
        probe.last().answer(Observation.unhealthy());
        long oldGeneration = monitor.snapshot().get("a").generation();

        upsert(valid("a", "http://new.test/"), 2);
        scheduler.advance(Duration.ZERO);
        probe.last().answer(Observation.healthy());

        assertThat(probe.last().registration().url().toString()).isEqualTo("http://new.test/");
        HealthEvent afterChange = events.get(events.size() - 1);
        assertThat(afterChange.sequence()).as("sequence restarts with the new check").isEqualTo(1);
        assertThat(afterChange.previousStatus()).as("policy state resets").isEqualTo(HealthStatus.UNKNOWN);
        assertThat(afterChange.consecutiveFailures()).isZero();
        assertThat(afterChange.registration().offset()).isEqualTo(2);
        assertThat(monitor.snapshot().get("a").generation()).isGreaterThan(oldGeneration);
    }

    @Test
    void restartsCheckWhenHealthCheckSettingsOrAuthChange() {
        upsert(valid("a", "http://a.test/"), 1);
        long first = monitor.snapshot().get("a").generation();

        upsert(valid(json("a", "http://a.test/", j -> ((ObjectNode) j.get("healthCheck")).put("intervalMs", 2000))), 2);
        long second = monitor.snapshot().get("a").generation();
        upsert(valid(json("a", "http://a.test/", j -> {
            ((ObjectNode) j.get("healthCheck")).put("intervalMs", 2000);
            j.putObject("auth").put("type", "bearer").put("secretRef", "token");
        })), 3);
        long third = monitor.snapshot().get("a").generation();

        assertThat(second).isGreaterThan(first);
        assertThat(third).isGreaterThan(second);
    }

    @Test
    void keepsScheduleWhenOnlyNameOrLabelsChange() {
        upsert(valid("a", "http://a.test/"), 1);
        scheduler.advance(Duration.ZERO);
        probe.last().answer(Observation.healthy());
        long generation = monitor.snapshot().get("a").generation();
        List<Instant> pendingBefore = scheduler.pending();

        upsert(valid(json("a", "http://a.test/", j -> {
            j.put("name", "renamed");
            j.putObject("labels").put("team", "payments");
        })), 5);

        assertThat(monitor.snapshot().get("a").generation()).isEqualTo(generation);
        assertThat(scheduler.pending()).isEqualTo(pendingBefore);
        scheduler.advance(Duration.ofSeconds(1));
        probe.last().answer(Observation.healthy());
        HealthEvent next = events.get(events.size() - 1);
        assertThat(next.sequence()).as("same check lifetime").isEqualTo(2);
        assertThat(next.registration().offset()).as("events name the registration now in force").isEqualTo(5);
        assertThat(probe.last().registration().name()).isEqualTo("renamed");
    }

    @Test
    void identicalRegistrationChangesNothingButItsVersion() {
        upsert(valid("a", "http://a.test/"), 1);
        scheduler.advance(Duration.ZERO);
        long generation = monitor.snapshot().get("a").generation();

        upsert(valid("a", "http://a.test/"), 9);

        assertThat(probe.calls()).hasSize(1);
        assertThat(monitor.snapshot().get("a")).satisfies(c -> {
            assertThat(c.generation()).isEqualTo(generation);
            assertThat(c.version().offset()).isEqualTo(9);
        });
    }

    @Test
    void tombstoneStopsChecksAndForgetsTheBackend() {
        upsert(valid("a", "http://a.test/"), 1);
        scheduler.advance(Duration.ZERO);
        probe.last().answer(Observation.healthy());

        monitor.remove("a");
        scheduler.advance(Duration.ofMinutes(5));

        assertThat(probe.calls()).hasSize(1);
        assertThat(monitor.activeCount()).isZero();
        assertThat(events).hasSize(1);
    }

    @Test
    void probeSessionLivesExactlyAsLongAsItsCheck() {
        upsert(valid("a", "http://old.test/"), 1);
        assertThat(probe.openSessions()).isEqualTo(1);

        upsert(valid("a", "http://new.test/"), 2); // restart: the old check's session (e.g. MCP) must not linger
        assertThat(probe.sessionsOpened()).isEqualTo(2);
        assertThat(probe.openSessions()).isEqualTo(1);

        monitor.remove("a");
        assertThat(probe.openSessions()).isZero();
    }

    @Test
    void dropsResultOfCheckStoppedMidFlight() {
        upsert(valid("a", "http://a.test/"), 1);
        scheduler.advance(Duration.ZERO);
        FakeProbe.Call inFlight = probe.last();

        monitor.remove("a");
        inFlight.answer(Observation.healthy());

        assertThat(events).as("a stopped check publishes nothing").isEmpty();
        assertThat(inFlight.result()).as("the in-flight probe is cancelled").isCancelled();
    }

    @Test
    void dropsLateResultOfReplacedCheckSoOnlyTheNewUrlReports() {
        upsert(valid("a", "http://old.test/"), 1);
        scheduler.advance(Duration.ZERO);
        FakeProbe.Call old = probe.last();

        upsert(valid("a", "http://new.test/"), 2);
        old.result().complete(ProbeResult.success(Observation.healthy(), Duration.ofMillis(1)));
        scheduler.advance(Duration.ZERO);
        probe.last().answer(Observation.unhealthy());

        assertThat(events).singleElement().satisfies(e -> assertThat(e.registration().offset()).isEqualTo(2));
    }

    @Test
    void aChangedRegistrationCancelsAHalfOpenTrialAndChecksTheNewOneAtOnceWithAClosedCircuit() {
        upsert(valid("a", "http://old.test/"), 1); // interval 1 s; the circuit opens after 5 failures for 60 s
        for (int i = 0; i < 5; i++) {
            int before = probe.calls().size();
            for (int step = 0; probe.calls().size() == before; step++) {
                assertThat(step).as("a check within 10 s of simulated time").isLessThan(100);
                scheduler.advance(Duration.ofMillis(100));
            }
            probe.last().answer(Observation.unhealthy());
        }
        assertThat(events.get(events.size() - 1).circuit()).isEqualTo(CircuitState.OPEN);
        int callsWhenOpened = probe.calls().size();
        scheduler.advance(Duration.ofSeconds(60));
        assertThat(probe.calls()).as("the half-open trial is under way").hasSize(callsWhenOpened + 1);
        FakeProbe.Call trial = probe.last();
        int eventsBeforeChange = events.size();

        upsert(valid("a", "http://new.test/"), 2);
        trial.answer(Observation.healthy()); // too late: the check it belonged to is gone
        scheduler.advance(Duration.ZERO);

        assertThat(trial.result()).as("the trial's probe is cancelled").isCancelled();
        assertThat(probe.calls()).as("the new registration is checked at once, not after an open period")
                .hasSize(callsWhenOpened + 2);
        assertThat(probe.last().registration().url().toString()).isEqualTo("http://new.test/");
        probe.last().answer(Observation.unhealthy());
        assertThat(events.subList(eventsBeforeChange, events.size())).as("nothing from the cancelled trial")
                .singleElement().satisfies(e -> {
                    assertThat(e.registration().offset()).isEqualTo(2);
                    assertThat(e.sequence()).isEqualTo(1);
                    assertThat(e.circuit()).as("a new check starts with a closed circuit")
                            .isEqualTo(CircuitState.CLOSED);
                });
        scheduler.advance(Duration.ofSeconds(1));
        assertThat(probe.calls()).as("checked at its interval, the old open period forgotten")
                .hasSize(callsWhenOpened + 3);
    }

    @Test
    void neverRunsTwoChecksOfOneBackendAtOnce() {
        upsert(valid("a", "http://a.test/"), 1);
        // The probe never answers: only the timeout guard ends each check.
        for (int i = 0; i < 20; i++) {
            scheduler.advance(Duration.ofMillis(250));
        }
        assertThat(probe.maxConcurrent("a")).isEqualTo(1);
        assertThat(probe.calls().size()).as("one check per timeout + interval").isBetween(3, 4);
    }

    @Test
    void endsCheckByItsTimeoutWhenTheProbeNeverAnswers() {
        upsert(valid("a", "http://a.test/"), 1);
        scheduler.advance(Duration.ZERO);
        CompletableFuture<?> hanging = probe.last().result();

        scheduler.advance(Duration.ofMillis(500));

        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.failure()).hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.TIMEOUT));
            assertThat(Duration.between(e.scheduledAt(), e.checkedAt())).isEqualTo(Duration.ofMillis(500));
        });
        assertThat(hanging).isCancelled();
    }

    @Test
    void anEventNamesWhenItsCheckWasDueToTheNanosecondEvenWhenItStartedLate() {
        // The checks read a clock that runs `lag` ahead of the one the manual scheduler runs them on.
        AtomicReference<Duration> lag = new AtomicReference<>(Duration.ofNanos(123));
        CheckScheduler late = new CheckScheduler() {
            @Override
            public Cancellable schedule(Runnable task, Duration delay) {
                return scheduler.schedule(task, delay);
            }

            @Override
            public Clock clock() {
                return Clock.offset(scheduler.clock(), lag.get());
            }
        };
        HealthMonitor lateMonitor = new HealthMonitor(CheckContext.of("m1", probe, late, events::add)
                .withRandom(() -> 0.5));
        DecodedRegistration.Valid r = valid("a", "http://a.test/");
        lateMonitor.upsert(r.registration(), r.settings(), new RegistrationVersion(0, 1), EPOCH, StartMode.NEW);
        Instant due = scheduler.now().plusNanos(123);

        lag.set(Duration.ofMillis(7).plusNanos(123)); // the scheduler thread was 7 ms late
        scheduler.advance(Duration.ZERO);
        probe.last().answer(Observation.healthy());

        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.scheduledAt()).isEqualTo(due);
            assertThat(Duration.between(e.scheduledAt(), e.checkedAt())).isEqualTo(Duration.ofMillis(7));
        });
    }

    @Test
    void bulkStartSpreadsFirstChecksByPhaseOffset() {
        DecodedRegistration.Valid r = valid("spread-me", "http://a.test/");
        monitor.upsert(r.registration(), r.settings(), new RegistrationVersion(0, 1), EPOCH, StartMode.BULK);

        Duration expected = CheckTiming.phaseOffset("spread-me", Duration.ofSeconds(1));
        assertThat(scheduler.pending()).containsExactly(scheduler.now().plus(expected));
    }

    @Test
    void stopPartitionStopsOnlyThatPartitionsChecks() {
        DecodedRegistration.Valid a = valid("a", "http://a.test/");
        DecodedRegistration.Valid b = valid("b", "http://b.test/");
        monitor.upsert(a.registration(), a.settings(), new RegistrationVersion(0, 1), EPOCH, StartMode.NEW);
        monitor.upsert(b.registration(), b.settings(), new RegistrationVersion(1, 1), EPOCH, StartMode.NEW);

        assertThat(monitor.stopPartition(0)).isEqualTo(1);

        assertThat(monitor.snapshot()).containsOnlyKeys("b");
    }

    @Test
    void stoppingAPartitionsChecksHandsOverTheResultsTheyLeftWaitingBeforeTheNewOwnerPublishes() {
        AtomicInteger handOvers = new AtomicInteger();
        HealthMonitor stopping = new HealthMonitor(CheckContext.of("m1", probe, scheduler, new HealthEventSink() {
            @Override
            public void publish(HealthEvent event) {
                events.add(event);
            }

            @Override
            public void handOver() {
                handOvers.incrementAndGet();
            }
        }));
        DecodedRegistration.Valid a = valid("a", "http://a.test/");
        stopping.upsert(a.registration(), a.settings(), new RegistrationVersion(0, 1), EPOCH, StartMode.NEW);

        assertThat(stopping.stopPartition(1)).as("a partition it has no check of").isZero();
        assertThat(handOvers).hasValue(0);
        assertThat(stopping.stopPartition(0)).isOne();
        assertThat(handOvers).hasValue(1);
        stopping.stopAll();
        assertThat(handOvers).hasValue(2);
    }

    @Test
    void anotherThreadSeesTheChecksAsTheyAreWithoutThePollThreadPublishingACopy() throws Exception {
        upsert(valid("a", "http://a.test/"), 1);
        upsert(valid("b", "http://b.test/"), 2);
        monitor.remove("a");

        AtomicReference<Map<String, ActiveCheck>> seen = new AtomicReference<>();
        AtomicReference<Integer> count = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            seen.set(monitor.snapshot());
            count.set(monitor.activeCount());
        });
        reader.start();
        reader.join();

        assertThat(seen.get()).containsOnlyKeys("b");
        assertThat(seen.get().get("b").version()).isEqualTo(new RegistrationVersion(0, 2));
        assertThat(count.get()).isEqualTo(1);
    }

    @Test
    void refusesCallsFromAThreadOtherThanItsOwner() throws Exception {
        upsert(valid("a", "http://a.test/"), 1);
        AtomicReference<Throwable> error = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                monitor.remove("a");
            } catch (Throwable t) {
                error.set(t);
            }
        });
        other.start();
        other.join();

        assertThat(error.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("confined");
    }

    @Test
    void stoppedCheckCannotBeStartedAgain() {
        assertThatThrownBy(() -> CheckState.STOPPED.to(CheckState.STARTED)).isInstanceOf(IllegalStateException.class);
    }
}
