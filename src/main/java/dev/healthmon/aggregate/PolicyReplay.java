package dev.healthmon.aggregate;

import dev.healthmon.events.HealthEvent;
import dev.healthmon.status.HealthPolicy;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Observation;
import dev.healthmon.status.PolicyState;
import dev.healthmon.status.Reason;
import dev.healthmon.status.Thresholds;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The statuses one event takes a backend through, as far as the aggregator can know them: the
 * monitor's policy applied to every check (docs/design.md §8.3), even when the outage buffer coalesced
 * results or some were lost. Pure functions.
 *
 * <p>The rule. Let {@code k} be the number of results the event stands for: {@code sequence} minus
 * the last applied one when it continues the same check lifetime (same monitor, same epoch, same
 * registration target), else its whole {@code sequence} (a new target, or a new owner after a
 * failover: its sequence restarted at 1). Let {@code run} be the event's
 * {@code consecutiveFailures} (or {@code consecutiveSuccesses} for a success).
 * <ul>
 *   <li>{@code k = 1}: the policy from the aggregator's own state ({@link Basis#FOLLOWS}).
 *   <li>{@code run ≥ k}: every missing result was of the event's kind, and only the kind of the last
 *       one decides the status: the policy once per result from the aggregator's own state
 *       ({@link Basis#EXTENDED}).
 *   <li>{@code run < k}: the run began among the missing results: the monitor's status, reason and
 *       counters are taken ({@link Basis#ADOPTED}); if the monitor's status before this result
 *       ({@code previousStatus}) is not the aggregator's, the monitor went through it, and it is
 *       reported as a step too.
 * </ul>
 * Within one check lifetime this reproduces the monitor's state exactly. At a failover the new
 * owner starts from UNKNOWN with no counters, the aggregator does not: it goes on from its own state
 * (so a failover neither resets a status nor restarts a recovery), and takes the new owner's state
 * only once that one has seen a run change among results the aggregator did not get. From the
 * first failure-then-success in the new owner's results on, both agree again.
 */
final class PolicyReplay {

    /** How the new state was found; every basis but FOLLOWS trusts the monitor's counters. */
    enum Basis { FOLLOWS, EXTENDED, ADOPTED }

    /** One status the backend went through; the reason is empty for a status only known from {@code previousStatus}. */
    record Step(HealthStatus status, Optional<Reason> reason) {
        Step {
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * @param results how many check results the event stands for
     * @param steps   the status after each result the aggregator could replay, the last one the new state's
     */
    record Replay(Basis basis, long results, List<Step> steps, PolicyState state) {
        Replay {
            steps = List.copyOf(steps);
        }
    }

    private PolicyReplay() {}

    static Replay replay(StatusState state, HealthEvent event, Thresholds thresholds) {
        long results = results(state, event);
        PolicyState own = state.policy();
        Observation observation = StatusFold.observation(event);
        int run = observation.outcome().isSuccess() ? event.consecutiveSuccesses() : event.consecutiveFailures();
        if (results > 1 && run < results) {
            Optional<Replay> adopted = adopt(own, event, results);
            if (adopted.isPresent()) {
                return adopted.get();
            }
        }
        // Once a run is longer than both thresholds the status no longer changes; only the counter grows.
        long replayed = Math.min(results, Math.max(thresholds.unhealthy(), thresholds.healthy()) + 1L);
        List<Step> steps = new ArrayList<>();
        PolicyState next = own;
        for (long i = 0; i < replayed; i++) {
            next = HealthPolicy.next(next, observation, thresholds);
            steps.add(new Step(next.status(), next.reason()));
        }
        long rest = results - replayed;
        next = new PolicyState(next.status(), next.reason(), grow(next.consecutiveFailures(), rest),
                grow(next.consecutiveSuccesses(), rest));
        next = HealthPolicy.withCircuit(next, event.circuit());
        steps.set(steps.size() - 1, new Step(next.status(), next.reason()));
        return new Replay(results == 1 ? Basis.FOLLOWS : Basis.EXTENDED, results, steps, next);
    }

    /**
     * How many results the event stands for: counted from the last applied event when it continues
     * that check lifetime, else from the start of its own (sequence 1).
     */
    static long results(StatusState state, HealthEvent event) {
        return state.applied()
                .filter(last -> !state.fresh() && last.monitorId().equals(event.monitorId())
                        && last.ownerEpoch() == event.ownerEpoch() && event.sequence() > last.sequence())
                .map(last -> event.sequence() - last.sequence())
                .orElse(event.sequence());
    }

    private static Optional<Replay> adopt(PolicyState own, HealthEvent event, long results) {
        if (event.status() == HealthStatus.DEGRADED && event.reason().isEmpty()) {
            return Optional.empty(); // not a monitor's event (DEGRADED always has a reason): nothing to trust
        }
        PolicyState monitor = new PolicyState(event.status(), event.reason(), event.consecutiveFailures(),
                event.consecutiveSuccesses());
        List<Step> steps = new ArrayList<>();
        if (event.previousStatus() != own.status() && event.previousStatus() != HealthStatus.UNKNOWN) {
            steps.add(new Step(event.previousStatus(), Optional.empty()));
        }
        steps.add(new Step(monitor.status(), monitor.reason()));
        return Optional.of(new Replay(Basis.ADOPTED, results, steps, monitor));
    }

    private static int grow(int counter, long by) {
        return counter == 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, counter + by);
    }
}
