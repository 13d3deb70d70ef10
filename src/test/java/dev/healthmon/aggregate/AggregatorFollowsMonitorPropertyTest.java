package dev.healthmon.aggregate;

import static dev.healthmon.support.Registrations.json;
import static dev.healthmon.support.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.OutageBuffer;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.HealthPolicy;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Observation;
import dev.healthmon.status.PolicyState;
import dev.healthmon.status.Reason;
import dev.healthmon.status.Thresholds;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The aggregator's status is the monitor's policy applied to every check, whatever the outage
 * buffer coalesced, whatever was lost, across failovers (docs/design.md §8.3, {@link PolicyReplay}).
 *
 * <p>Random outcome sequences go through real monitors ({@link MonitorRun}: the monitor's own policy,
 * counters, circuit breaker and sequence), random outages through the publisher's real coalescing
 * buffer (small, so it also refuses), random single losses, failovers to a new owner and changes of
 * target. After each applied event the aggregator's status, reason and counters equal the event's
 * (the monitor's), except under the failover rule: in a new owner's check lifetime that took over a
 * status the aggregator already had, until that owner has seen a failure followed by a success. There
 * the aggregator never falls back to UNKNOWN while the monitor knows better, and when nothing was
 * lost it equals the policy applied to every check across owners.
 */
class AggregatorFollowsMonitorPropertyTest {

    private static final AggregatorSettings NO_FLAPPING = new AggregatorSettings(999, 1000, Duration.ofSeconds(10), 20);

    enum Kind { CHECK, OUTAGE_STARTS, OUTAGE_ENDS, LOSE_NEXT, FAILOVER, NEW_TARGET }

    enum Result {
        HEALTHY(Observation.healthy()),
        SLOW(Observation.degraded(Reason.SLOW)),
        UNHEALTHY(Observation.unhealthy()),
        UNAUTHENTICATED(Observation.unauthenticated());

        final Observation observation;

        Result(Observation observation) {
            this.observation = observation;
        }
    }

    /**
     * One step of a run; {@code flag}: at a failover or a new target, whether the old owner flushed its
     * buffer (SIGTERM) or lost it (kill -9).
     */
    record Action(Kind kind, Result result, boolean flag) {}

    /** Runs per build; {@code -Dhealthmon.property.runs=N} for a longer search. */
    private static final int RUNS = Integer.getInteger("healthmon.property.runs", 400);
    /** Every build tries the same runs, so a failure seen once is seen again; the message names its seed. */
    private static final long FIRST_SEED = 20261201L;

    /** A run: at most 80 steps, thresholds and a buffer as small as the monitor allows, all from {@code seed}. */
    private static void runSeed(long seed) {
        Random random = new Random(seed);
        int unhealthyThreshold = 1 + random.nextInt(4);
        int healthyThreshold = 1 + random.nextInt(3);
        int bufferCapacity = 1 + random.nextInt(4);
        List<Action> run = new ArrayList<>();
        for (int steps = 1 + random.nextInt(80); run.size() < steps; ) {
            run.add(new Action(pick(random, KIND_WEIGHTS, Kind.values()), pick(random, RESULT_WEIGHTS, Result.values()),
                    random.nextBoolean()));
        }
        try {
            new Simulation(unhealthyThreshold, healthyThreshold, bufferCapacity).run(run);
        } catch (AssertionError e) {
            throw new AssertionError("seed " + seed + " (unhealthyThreshold " + unhealthyThreshold
                    + ", healthyThreshold "
                    + healthyThreshold + ", buffer " + bufferCapacity + ", run " + run + "): " + e.getMessage(), e);
        }
    }

    /** Weights in the order of {@link Kind}: mostly checks, with every fault often enough to meet the others. */
    private static final int[] KIND_WEIGHTS = {30, 2, 2, 2, 2, 1};
    /**
     * In the order of {@link Result}: failures twice as likely as successes, to cross thresholds and open the circuit.
     */
    private static final int[] RESULT_WEIGHTS = {3, 1, 5, 1};

    private static <T> T pick(Random random, int[] weights, T[] values) {
        int ticket = random.nextInt(IntStream.of(weights).sum());
        for (int i = 0; ; i++) {
            ticket -= weights[i];
            if (ticket < 0) {
                return values[i];
            }
        }
    }

    @Test
    void aggregatorStatusEqualsTheMonitorsAfterEveryAppliedEvent() {
        for (long seed = FIRST_SEED; seed < FIRST_SEED + RUNS; seed++) {
            runSeed(seed);
        }
    }

    /** One backend, its monitors, the outage buffer and the aggregator's fold, stepped by a run. */
    private static final class Simulation {

        private final int unhealthy;
        private final int healthy;
        private final int bufferCapacity;
        private final Thresholds thresholds;
        private long offset;
        private TrackedBackend backend;
        private StatusState state;
        private MonitorRun monitor;
        private OutageBuffer outage;
        private boolean loseNext;

        // What the test knows about each event when it was checked.
        private final Map<HealthEvent, Expectation> expected = new HashMap<>();
        // Per target: whether anything was coalesced or lost, the policy over every check, the monitor's changes.
        private boolean lossy;
        private boolean dropped;
        private boolean failedOver;
        private PolicyState everyCheck;
        private final List<List<HealthStatus>> monitorChanges = new ArrayList<>();
        private final List<List<HealthStatus>> foldChanges = new ArrayList<>();
        // Per check lifetime: taken over from a status the aggregator had; a failure seen; then a success.
        private boolean tookOver;
        private boolean failureSeen;
        private boolean recoveredSince;

        private record Expectation(boolean exempt, boolean lossless, PolicyState everyCheck, int monitorChangesSoFar) {}

        Simulation(int unhealthy, int healthy, int bufferCapacity) {
            this.unhealthy = unhealthy;
            this.healthy = healthy;
            this.bufferCapacity = bufferCapacity;
            this.thresholds = new Thresholds(unhealthy, healthy);
        }

        void run(List<Action> actions) {
            DecodedRegistration.Valid first = registration(1000);
            register(first);
            monitor = new MonitorRun(first, new RegistrationVersion(0, offset), 1);
            for (Action action : actions) {
                switch (action.kind()) {
                    case CHECK -> check(action.result());
                    case OUTAGE_STARTS -> outage = outage != null ? outage : new OutageBuffer(bufferCapacity);
                    case OUTAGE_ENDS -> endOutage(true);
                    case LOSE_NEXT -> loseNext = true;
                    case FAILOVER -> {
                        endOutage(action.flag());
                        tookOver = !state.fresh();
                        failureSeen = false;
                        recoveredSince = false;
                        failedOver |= tookOver;
                        monitor.failover();
                    }
                    case NEW_TARGET -> {
                        endOutage(action.flag());
                        DecodedRegistration.Valid next = registration(action.flag() ? 1000 : 2000 + (int) offset);
                        register(next);
                        monitor.reregister(next, new RegistrationVersion(0, offset));
                    }
                }
            }
            endOutage(true);
        }

        private DecodedRegistration.Valid registration(int intervalMs) {
            ObjectNode node = json("api", "http://api.test/", j -> ((ObjectNode) j.get("healthCheck"))
                    .put("intervalMs", intervalMs).put("unhealthyThreshold", unhealthy)
                    .put("healthyThreshold", healthy));
            return valid(node);
        }

        private void register(DecodedRegistration.Valid registration) {
            TrackedBackend previous = backend;
            backend = TrackedBackend.of(registration.registration(), registration.settings(),
                    new RegistrationVersion(0, ++offset));
            state = StatusFold.registered(Optional.ofNullable(previous), Optional.ofNullable(state), backend,
                    Instant.parse("2026-01-01T00:00:00Z"), NO_FLAPPING).state();
            if (previous != null && previous.checkingFingerprint().equals(backend.checkingFingerprint())) {
                return; // only the version changed: the monitor's check, and all we know about it, go on
            }
            lossy = false;
            dropped = false;
            failedOver = false;
            tookOver = false;
            failureSeen = false;
            recoveredSince = false;
            everyCheck = PolicyState.INITIAL;
            monitorChanges.add(new ArrayList<>());
            foldChanges.add(new ArrayList<>());
        }

        private void check(Result result) {
            HealthEvent event = monitor.check(result.observation);
            boolean success = result.observation.outcome().isSuccess();
            recoveredSince |= success && failureSeen;
            failureSeen |= !success;
            everyCheck = HealthPolicy.withCircuit(HealthPolicy.next(everyCheck, result.observation, thresholds),
                    event.circuit());
            List<HealthStatus> changes = monitorChanges.get(monitorChanges.size() - 1);
            if (event.status() != event.previousStatus()) {
                changes.add(event.previousStatus());
                changes.add(event.status());
            }
            boolean lost = loseNext;
            loseNext = false;
            if (outage != null) {
                lossy = true;
                lost |= !outage.offer(event);
            }
            lossy |= lost;
            dropped |= lost;
            expected.put(event, new Expectation(tookOver && !recoveredSince, !lossy, everyCheck, changes.size()));
            if (!lost && outage == null) {
                deliver(event);
            }
        }

        private void endOutage(boolean flushed) {
            if (outage == null) {
                return;
            }
            List<HealthEvent> waiting = outage.drain();
            outage = null;
            if (flushed) {
                waiting.forEach(this::deliver);
            } else {
                lossy |= !waiting.isEmpty();
                dropped |= !waiting.isEmpty();
            }
        }

        private void deliver(HealthEvent event) {
            StatusFold.Verdict verdict = StatusFold.judge(state, backend, event, NO_FLAPPING.monitorSessionTimeout());
            if (verdict == StatusFold.Verdict.SUPERSEDED) {
                return; // a result of the previous target, published after the change
            }
            assertThat(verdict).as("epochs only grow here: nothing is stale").isEqualTo(StatusFold.Verdict.APPLY);
            StatusFold.Update update = StatusFold.apply(state, backend, event, NO_FLAPPING);
            state = update.state();
            update.transitions().forEach(t -> {
                foldChanges.get(foldChanges.size() - 1).add(t.from());
                foldChanges.get(foldChanges.size() - 1).add(t.to());
            });
            verify(event, expected.get(event));
        }

        private void verify(HealthEvent event, Expectation expectation) {
            BackendStatus view = state.view();
            PolicyState aggregator = new PolicyState(view.status(), view.reason(), view.consecutiveFailures(),
                    view.consecutiveSuccesses());
            PolicyState monitorState = new PolicyState(event.status(), event.reason(), event.consecutiveFailures(),
                    event.consecutiveSuccesses());
            String where = "after " + event;
            if (!expectation.exempt()) {
                assertThat(aggregator).as(where).isEqualTo(monitorState);
            } else {
                if (event.status() != HealthStatus.UNKNOWN) {
                    assertThat(aggregator.status()).as("no fall back to UNKNOWN at a failover, " + where)
                            .isNotEqualTo(HealthStatus.UNKNOWN);
                }
                if (expectation.lossless()) {
                    assertThat(aggregator).as("the policy over every check, " + where)
                            .isEqualTo(expectation.everyCheck());
                }
            }
            List<HealthStatus> folded = foldChanges.get(foldChanges.size() - 1);
            for (int i = 2; i < folded.size(); i += 2) {
                assertThat(folded.get(i)).as("transitions chain, " + where).isEqualTo(folded.get(i - 1));
            }
            if (!dropped && !failedOver) {
                List<HealthStatus> monitored = monitorChanges.get(monitorChanges.size() - 1)
                        .subList(0, expectation.monitorChangesSoFar());
                assertThat(folded).as("every change the monitor went through is a transition, " + where)
                        .isEqualTo(monitored);
            }
        }
    }
}
