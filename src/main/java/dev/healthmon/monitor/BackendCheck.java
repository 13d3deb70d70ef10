package dev.healthmon.monitor;

import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.probe.ProbeResult;
import dev.healthmon.probe.ProbeSession;
import dev.healthmon.registration.BackendRegistration;
import dev.healthmon.registration.CheckSettings;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.CircuitState;
import dev.healthmon.status.HealthPolicy;
import dev.healthmon.status.PolicyState;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic check of one backend, for one registration and one generation: it owns the
 * registration snapshot, its schedule, its in-flight probe and its policy state.
 *
 * <p><b>Threading.</b> {@link #start}, {@link #stop} and {@link #updateSnapshot} are called by
 * the {@link HealthMonitor}'s thread; the check itself runs on the scheduler thread and completes
 * on whatever thread completes the probe. Every transition takes this object's lock, which is
 * never held while a probe is started or waited on.
 *
 * <p><b>Fencing.</b> A result is published only while holding the lock and only if the check is
 * STARTED and the result belongs to the current attempt. {@link #stop()} takes the same lock, so
 * once it returns this check publishes nothing more: a late result from a stopped or replaced
 * check is dropped — neither success nor failure.
 *
 * <p><b>No overlap.</b> The next check is scheduled only when the previous one has completed
 * (fixed delay), and every check ends by {@code settings.timeout()}: a guard completes it as a
 * TIMEOUT and cancels the probe if the probe has not answered by then.
 */
final class BackendCheck implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(BackendCheck.class);

    // One object per backend: 100,000 of them on one monitor. The context's parts are reached through it rather
    // than copied into five fields of every check (docs/BENCHMARKS.md, one monitor at scale).
    private final long generation;
    private final CheckSettings settings;
    private final int ownerEpoch;
    private final CheckContext context;
    private final ProbeSession probe;

    // Guarded by this.
    private BackendRegistration registration;
    private RegistrationVersion version;
    private CheckState state = CheckState.NEW;
    private CheckScheduler.Cancellable nextCheck;
    private CompletableFuture<ProbeResult> inFlight;
    private CheckScheduler.Cancellable timeoutGuard;
    private long attempts;
    private long activeAttempt;
    private PolicyState policy = PolicyState.INITIAL;
    private CircuitState circuit = CircuitState.CLOSED;
    private long sequence;
    // When the pending check is due, as Instant's two fields: a due Instant and a closure capturing it per
    // schedule were 48 B a backend.
    private long dueEpochSecond;
    private int dueNano;

    BackendCheck(CheckContext context, long generation, BackendRegistration registration, CheckSettings settings,
                 RegistrationVersion version, int ownerEpoch) {
        this.context = context;
        this.generation = generation;
        this.registration = registration;
        this.settings = settings;
        this.version = version;
        this.ownerEpoch = ownerEpoch;
        this.probe = context.probe().openSession(settings);
    }

    synchronized void start(Duration firstDelay) {
        state = state.to(CheckState.STARTED);
        scheduleCheck(firstDelay);
    }

    /** Cancels the schedule and the in-flight probe; idempotent. Nothing is published after it returns. */
    synchronized void stop() {
        if (state == CheckState.STOPPED) {
            return;
        }
        state = state.to(CheckState.STOPPED);
        cancel(nextCheck);
        cancel(timeoutGuard);
        if (inFlight != null) {
            inFlight.cancel(true);
        }
        nextCheck = null;
        timeoutGuard = null;
        inFlight = null;
        activeAttempt = 0;
        probe.close(); // e.g. the backend's MCP session: it lives exactly as long as this check
    }

    /**
     * Swaps in a registration that differs only in descriptive fields (or only in its version); the schedule is kept.
     */
    synchronized void updateSnapshot(BackendRegistration newRegistration, RegistrationVersion newVersion) {
        if (!registration.checkedLike(newRegistration)) {
            throw new IllegalArgumentException("a change that affects checking needs a new check: "
                    + newRegistration.id());
        }
        this.registration = newRegistration;
        this.version = newVersion;
    }

    synchronized BackendRegistration registration() {
        return registration;
    }

    synchronized RegistrationVersion version() {
        return version;
    }

    long generation() {
        return generation;
    }

    synchronized PolicyState policy() {
        return policy;
    }

    /** Guarded by this. */
    private void scheduleCheck(Duration delay) {
        Instant due = context.scheduler().clock().instant().plus(delay);
        dueEpochSecond = due.getEpochSecond();
        dueNano = due.getNano();
        nextCheck = context.scheduler().schedule(this, delay);
    }

    /**
     * The scheduler's entry point: runs the pending check. The check is its own task, so a schedule allocates no
     * closure; at most one is pending (the next is scheduled when this one completes), so the due time it runs
     * for is the one {@link #scheduleCheck} stored.
     */
    @Override
    public void run() {
        CheckScheduler scheduler = context.scheduler();
        long attempt;
        Instant scheduledAt;
        BackendRegistration target;
        synchronized (this) {
            if (state != CheckState.STARTED || activeAttempt != 0) {
                return;
            }
            scheduledAt = Instant.ofEpochSecond(dueEpochSecond, dueNano);
            attempt = ++attempts;
            activeAttempt = attempt;
            context.metrics().started(Duration.between(scheduledAt, scheduler.clock().instant()));
            circuit = CircuitBreaker.beforeCheck(circuit);
            nextCheck = null;
            target = registration;
        }
        CompletableFuture<ProbeResult> result;
        try {
            result = probe.check(target);
        } catch (Throwable e) {
            // Class name only: an exception message may quote request data, secrets included.
            result = CompletableFuture.completedFuture(ProbeResult.unhealthy(Duration.ZERO,
                    Failure.of(FailureKind.INTERNAL, "probe failed: " + e.getClass().getSimpleName())));
        }
        CompletableFuture<ProbeResult> probeResult = result;
        CheckScheduler.Cancellable guard = scheduler.schedule(() -> {
            // Record the timeout first: cancelling completes the probe future, and that must not win as INTERNAL.
            complete(attempt, scheduledAt, ProbeResult.unhealthy(settings.timeout(), Failure.of(FailureKind.TIMEOUT,
                    "no answer within " + settings.timeout().toMillis() + " ms")));
            probeResult.cancel(true);
        }, settings.timeout());
        synchronized (this) {
            if (activeAttempt == attempt) {
                inFlight = probeResult;
                timeoutGuard = guard;
            } else {
                guard.cancel(); // stopped meanwhile, or the guard has already fired
            }
            if (state == CheckState.STOPPED) {
                probeResult.cancel(true);
            }
        }
        probeResult.whenComplete((r, error) -> complete(attempt, scheduledAt, r != null ? r
                : ProbeResult.unhealthy(Duration.ZERO, Failure.of(FailureKind.INTERNAL,
                        "probe failed: " + (error == null ? "no result" : error.getClass().getSimpleName())))));
    }

    private synchronized void complete(long attempt, Instant scheduledAt, ProbeResult result) {
        if (state != CheckState.STARTED || attempt != activeAttempt) {
            return; // fenced: stopped, replaced, or already completed by the timeout guard
        }
        activeAttempt = 0;
        inFlight = null;
        cancel(timeoutGuard);
        timeoutGuard = null;

        Duration nextDelay = settings.interval();
        try {
            PolicyState previous = policy;
            PolicyState next = HealthPolicy.next(previous, result.observation(), settings.thresholds());
            circuit = CircuitBreaker.afterCheck(circuit, context.circuitSettings(), settings.thresholds().unhealthy(),
                    result.observation().outcome().isSuccess(), next.consecutiveFailures());
            next = HealthPolicy.withCircuit(next, circuit);
            if (next.status() != previous.status()) {
                log.info("backend={} status {} -> {}{}", registration.id(), previous.status(), next.status(),
                        next.reason().map(r -> " (" + r + ")").orElse(""));
            }
            policy = next;
            sequence++;
            context.metrics().completed(settings.type(), result.observation().outcome(), result.latency());
            context.sink().publish(new HealthEvent(registration.id(), version, sequence, context.monitorId(),
                    ownerEpoch, scheduledAt, context.scheduler().clock().instant(), result.latency().toMillis(),
                    result.observation().outcome(), policy.status(), previous.status(), policy.reason(),
                    policy.consecutiveFailures(), policy.consecutiveSuccesses(), result.failure(), circuit,
                    result.mcp()));
            nextDelay = CircuitBreaker.nextDelay(circuit, context.circuitSettings(), CheckTiming.nextDelay(settings,
                    previous.status(), policy.status(), result.retryAfter(), context.random()));
        } finally {
            scheduleCheck(nextDelay); // whatever went wrong above, the backend stays checked
        }
    }

    private static void cancel(CheckScheduler.Cancellable task) {
        if (task != null) {
            task.cancel();
        }
    }
}
