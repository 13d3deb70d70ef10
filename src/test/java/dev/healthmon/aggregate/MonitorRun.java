package dev.healthmon.aggregate;

import dev.healthmon.events.HealthEvent;
import dev.healthmon.monitor.CheckContext;
import dev.healthmon.monitor.HealthMonitor;
import dev.healthmon.monitor.StartMode;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.Observation;
import dev.healthmon.support.FakeProbe;
import dev.healthmon.support.ManualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Real monitors checking one backend on a hand-driven clock: each {@link #check} runs the next
 * scheduled check and answers it with the given observation, so the events are exactly what the
 * monitor's code (policy, counters, circuit breaker, sequence) publishes. {@link #failover} hands
 * the backend to a new monitor under the next epoch, as a rebalance does. Single-threaded.
 */
final class MonitorRun {

    private final ManualScheduler scheduler = new ManualScheduler();
    private final FakeProbe probe = new FakeProbe();
    private final List<HealthEvent> published = new ArrayList<>();
    private DecodedRegistration.Valid registration;
    private RegistrationVersion version;
    private HealthMonitor monitor;
    private int epoch;

    MonitorRun(DecodedRegistration.Valid registration, RegistrationVersion version, int epoch) {
        this.registration = registration;
        this.version = version;
        this.epoch = epoch;
        this.monitor = newMonitor();
        monitor.upsert(registration.registration(), registration.settings(), version, epoch, StartMode.NEW);
    }

    private HealthMonitor newMonitor() {
        return new HealthMonitor(CheckContext.of("monitor-" + epoch, probe, scheduler, published::add)
                .withRandom(() -> 0.5));
    }

    /** Runs the backend's next check, answers it with {@code observation}, and returns the event it published. */
    HealthEvent check(Observation observation) {
        int calls = probe.calls().size();
        while (probe.calls().size() == calls) {
            List<Instant> pending = scheduler.pending();
            scheduler.advance(pending.isEmpty() ? Duration.ofSeconds(1)
                    : Duration.between(scheduler.now(), pending.get(0)));
        }
        int before = published.size();
        probe.last().answer(observation);
        if (published.size() != before + 1) {
            throw new IllegalStateException("the check published " + (published.size() - before) + " events");
        }
        return published.get(before);
    }

    /** The owner loses the backend's partition and the next monitor gets it under the next epoch. */
    void failover() {
        monitor.stopPartition(version.partition());
        epoch++;
        monitor = newMonitor();
        monitor.upsert(registration.registration(), registration.settings(), version, epoch, StartMode.BULK);
    }

    /** A new registration record for the backend, applied by the current owner. */
    void reregister(DecodedRegistration.Valid newRegistration, RegistrationVersion newVersion) {
        registration = newRegistration;
        version = newVersion;
        monitor.upsert(registration.registration(), registration.settings(), version, epoch, StartMode.NEW);
    }
}
