package dev.healthmon.aggregate;

import dev.healthmon.events.Failure;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Observation;
import dev.healthmon.status.PolicyState;
import dev.healthmon.status.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The aggregator's logic, as pure functions of (state, input): registrations in, events judged
 * and applied, transitions out. The Kafka Streams processors only load, call and store.
 */
public final class StatusFold {

    /** What became of an event. */
    public enum Verdict {
        APPLY,
        /** From a registration older than the one in force. */
        SUPERSEDED,
        /**
         * Not newer, by (ownerEpoch, registration offset, sequence), than what was applied: a zombie or a duplicate.
         */
        STALE
    }

    /**
     * The new state and the transitions to publish.
     *
     * @param basis for an applied event, how its status was found ({@link PolicyReplay}); empty for a registration
     */
    public record Update(StatusState state, List<StatusTransition> transitions, Optional<PolicyReplay.Basis> basis) {
        Update(StatusState state, List<StatusTransition> transitions) {
            this(state, transitions, Optional.empty());
        }
    }

    private StatusFold() {}

    /**
     * A valid registration was read at {@code at}. A new backend, or one whose checking fields
     * changed (a new target), starts UNKNOWN; a descriptive change keeps the status. The position
     * of the last applied event is kept in every case: a zombie that read the new registration
     * before the new owner restored must still lose to the new owner's epoch (docs/design.md §6.2).
     */
    public static Update registered(Optional<TrackedBackend> previous, Optional<StatusState> current,
                                    TrackedBackend backend, Instant at, AggregatorSettings settings) {
        if (previous.isPresent() && current.isPresent()
                && previous.get().checkingFingerprint().equals(backend.checkingFingerprint())) {
            StatusState s = current.get();
            return new Update(new StatusState(s.view().describedBy(backend), s.applied(), s.flapping(),
                    s.availability(), s.history(), s.checks()), List.of());
        }
        StatusState fresh = new StatusState(BackendStatus.unknown(backend, at), current.flatMap(StatusState::applied),
                Flapping.NONE, Availability.EMPTY, List.of(), RecentChecks.NONE);
        HealthStatus before = current.map(s -> s.view().status()).orElse(HealthStatus.UNKNOWN);
        if (before == HealthStatus.UNKNOWN) {
            return new Update(fresh, List.of());
        }
        StatusTransition reset = new StatusTransition(backend.id(), backend.name(), backend.labels(),
                StatusTransition.Kind.CHANGE, before, HealthStatus.UNKNOWN, Optional.empty(), at);
        return new Update(withHistory(fresh, List.of(reset), settings), List.of(reset));
    }

    /**
     * Fencing (docs/design.md §6): superseded registration first, then (ownerEpoch, registration offset,
     * sequence), epoch first. A lower epoch is taken for a recreated group (epochs restarted at 1)
     * only once the backend's stream has been quiet for its own fence window,
     * {@link TrackedBackend#fenceWindow}: a zombie of a backend checked once a day is fenced for a day.
     */
    public static Verdict judge(StatusState state, TrackedBackend backend, HealthEvent event, Duration sessionTimeout) {
        if (event.registration().offset() < backend.version().offset()) {
            return Verdict.SUPERSEDED;
        }
        if (state.applied().isEmpty()) {
            return Verdict.APPLY;
        }
        StatusState.Applied last = state.applied().get();
        int byEpoch = Integer.compare(event.ownerEpoch(), last.ownerEpoch());
        if (byEpoch < 0) {
            // A recreated group restarts its epochs at 1: accept a lower epoch once the stream has been quiet long
            // enough.
            boolean groupRecreated = Duration.between(last.checkedAt(), event.checkedAt())
                    .compareTo(backend.fenceWindow(sessionTimeout)) > 0;
            return groupRecreated ? Verdict.APPLY : Verdict.STALE;
        }
        if (byEpoch > 0) {
            return Verdict.APPLY;
        }
        int byOffset = Long.compare(event.registration().offset(), last.registrationOffset());
        if (byOffset != 0) {
            return byOffset > 0 ? Verdict.APPLY : Verdict.STALE;
        }
        return event.sequence() > last.sequence() ? Verdict.APPLY : Verdict.STALE;
    }

    /**
     * Applies an event {@link #judge} accepted: the monitor's policy applied to every check the
     * event stands for, including results the outage buffer coalesced or that were lost
     * ({@link PolicyReplay}); every status the backend went through is a transition.
     */
    public static Update apply(StatusState state, TrackedBackend backend, HealthEvent event,
    AggregatorSettings settings) {
        BackendStatus view = state.view();
        PolicyReplay.Replay replay = PolicyReplay.replay(state, event, backend.thresholds());
        PolicyState next = replay.state();
        List<StatusTransition> transitions = new ArrayList<>();
        Flapping flapping = state.flapping();
        HealthStatus from = view.status();
        boolean changed = false;
        for (PolicyReplay.Step step : replay.steps()) {
            Flapping after = flapping.next(step.status(), settings);
            boolean stepChanged = step.status() != from;
            StatusTransition.Kind kind = null;
            if (after.flapping() && !flapping.flapping()) {
                kind = StatusTransition.Kind.FLAPPING_STARTED;
            } else if (!after.flapping() && flapping.flapping()) {
                kind = StatusTransition.Kind.FLAPPING_ENDED;
            } else if (stepChanged && !after.flapping()) {
                kind = StatusTransition.Kind.CHANGE;
            }
            if (kind != null) {
                transitions.add(new StatusTransition(view.id(), view.name(), view.labels(), kind, from, step.status(),
                        step.reason(), event.checkedAt()));
            }
            changed |= stepChanged;
            from = step.status();
            flapping = after;
        }
        Availability availability = state.availability().record(event.checkedAt(), event.outcome().isSuccess());
        BackendStatus updated = new BackendStatus(view.id(), view.name(), view.labels(), next.status(), next.reason(),
                changed ? event.checkedAt() : view.since(), Optional.of(event.checkedAt()),
                OptionalLong.of(event.latencyMs()),
                next.consecutiveFailures(), next.consecutiveSuccesses(), flapping.flapping(), availability.figures(),
                event.failure().map(f -> new BackendStatus.LastFailure(f, event.checkedAt())).or(view::lastFailure),
                Optional.of(event.monitorId()), OptionalInt.of(event.ownerEpoch()), view.registration());
        StatusState.Applied applied = new StatusState.Applied(event.monitorId(), event.ownerEpoch(),
                event.registration().offset(), event.sequence(), event.checkedAt());
        RecentChecks checks = state.checks().add(
                new RecentChecks.Check(event.checkedAt(), event.outcome(), event.latencyMs()));
        StatusState after = new StatusState(updated, Optional.of(applied), flapping, availability, state.history(),
                checks);
        return new Update(withHistory(after, transitions, settings), transitions, Optional.of(replay.basis()));
    }

    /** The observation an event reports, rebuilt from its outcome (and, for DEGRADED, its failure). */
    static Observation observation(HealthEvent event) {
        return switch (event.outcome()) {
            case HEALTHY -> Observation.healthy();
            case DEGRADED -> Observation.degraded(event.failure().map(Failure::httpStatus)
                    .filter(status -> status.isPresent() && status.getAsInt() == 429).isPresent()
                    ? Reason.RATE_LIMITED : Reason.SLOW);
            case UNHEALTHY -> Observation.unhealthy();
            case UNAUTHENTICATED -> Observation.unauthenticated();
        };
    }

    private static StatusState withHistory(StatusState state, List<StatusTransition> added,
            AggregatorSettings settings) {
        if (added.isEmpty()) {
            return state;
        }
        List<StatusTransition> history = new ArrayList<>(state.history());
        history.addAll(added);
        // The oldest go in one step: a store value may hold far more than the setting keeps (it changed, or the
        // value is hostile), and removing them one at a time shifts the whole list each time.
        history.subList(0, Math.max(0, history.size() - settings.historyPerBackend())).clear();
        return new StatusState(state.view(), state.applied(), state.flapping(), state.availability(), history,
                state.checks());
    }
}
