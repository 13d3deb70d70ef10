package dev.healthmon.monitor;

import dev.healthmon.registration.BackendRegistration;
import dev.healthmon.registration.CheckSettings;
import dev.healthmon.registration.RegistrationVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs exactly one {@link BackendCheck} per registered backend that this instance owns, and
 * reconciles them with registration changes (ToolHive's {@code UpdateBackends}, record by record):
 * <ul>
 *   <li>new id → start a check;
 *   <li>a change to url, transport, healthCheck or auth → stop the old check (fenced: it publishes
 *       nothing more) and start a new one with a new generation, sequence from 1 and fresh policy state;
 *   <li>a change to name or labels only, or a re-published identical value → swap the snapshot
 *       and its version, keep the schedule;
 *   <li>tombstone → stop and forget (nothing is remembered about removed backends).
 * </ul>
 *
 * <p><b>Threading.</b> Every mutating method must be called from one thread, the registry poll
 * thread: the first mutating call binds the thread, and a call from any other thread throws. The map
 * of checks is written only by that thread; it is a concurrent map so that {@link #snapshot()} and
 * {@link #activeCount()} may read it from any thread.
 *
 * <p><b>Snapshot cost.</b> {@link #snapshot()} copies every check, O(backends), on the caller's thread,
 * when asked (admin reads, tests). The poll thread used to publish such a copy once a second while
 * registrations changed: at 100,000 backends each copy held it 25–50 ms, and a registration arriving
 * meanwhile waited for it (docs/BENCHMARKS.md, one monitor at scale).
 */
public final class HealthMonitor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthMonitor.class);

    private final CheckContext context;

    // Written by the owner thread only; read by any (snapshot(), activeCount()).
    private final Map<String, BackendCheck> activeChecks = new ConcurrentHashMap<>();
    // Confined to the owner thread.
    private Thread owner;
    private long generations;

    public HealthMonitor(CheckContext context) {
        this.context = context;
    }

    public String monitorId() {
        return context.monitorId();
    }

    /**
     * Applies one valid registration of a partition this instance owns.
     *
     * @param ownerEpoch the group epoch under which the partition was assigned
     * @param mode       how soon a newly started check runs
     */
    public void upsert(BackendRegistration registration, CheckSettings settings, RegistrationVersion version,
                       int ownerEpoch, StartMode mode) {
        confined();
        String id = registration.id();
        BackendCheck existing = activeChecks.get(id);
        if (existing != null && existing.registration().checkedLike(registration)) {
            existing.updateSnapshot(registration, version);
            return;
        }
        if (existing != null) {
            existing.stop();
            log.info("backend={} restarting check: registration changed, url={}", id, registration.url());
        } else {
            log.info("backend={} starting check url={} type={} interval={}ms", id, registration.url(),
                    settings.type().wireName(), settings.interval().toMillis());
        }
        BackendCheck check = new BackendCheck(context, ++generations, registration, settings, version, ownerEpoch);
        activeChecks.put(id, check);
        check.start(firstDelay(id, settings, mode));
    }

    /** A tombstone: stops the backend's check, if this instance runs one, and forgets it. */
    public void remove(String backendId) {
        confined();
        BackendCheck check = activeChecks.remove(backendId);
        if (check != null) {
            check.stop();
            log.info("backend={} stopped check: deregistered", backendId);
        }
    }

    /**
     * Stops and forgets the backend's check only if it checks the registration read from
     * {@code partition}: a tombstone, or an older duplicate, in one partition must not stop the
     * check of a registration that lives in another (one id, one registration).
     */
    public void remove(String backendId, int partition) {
        confined();
        BackendCheck check = activeChecks.get(backendId);
        if (check != null && check.version().partition() == partition) {
            remove(backendId);
        }
    }

    /** Stops every check of one registry partition (revoked or lost); returns how many. */
    public int stopPartition(int partition) {
        confined();
        List<String> ids = new ArrayList<>();
        activeChecks.forEach((id, check) -> {
            if (check.version().partition() == partition) {
                ids.add(id);
            }
        });
        ids.forEach(id -> activeChecks.remove(id).stop());
        if (!ids.isEmpty()) {
            context.sink().handOver(); // before the partition's new owner publishes its first results
        }
        return ids.size();
    }

    /** Stops every check; used on shutdown and self-fencing. */
    public void stopAll() {
        confined();
        activeChecks.values().forEach(BackendCheck::stop);
        activeChecks.clear();
        context.sink().handOver();
    }

    /** How many checks run; any thread. */
    public int activeCount() {
        return activeChecks.size();
    }

    /**
     * A copy of the checks, taken now on the caller's thread; any thread. Weakly consistent: each
     * check as it is when read, and a check started or stopped during the copy may or may not be in it.
     */
    public Map<String, ActiveCheck> snapshot() {
        Map<String, ActiveCheck> view = new HashMap<>(activeChecks.size() * 4 / 3 + 1);
        activeChecks.forEach((id, c) -> view.put(id, new ActiveCheck(id, c.generation(), c.version(),
                c.policy().status())));
        return Collections.unmodifiableMap(view);
    }

    @Override
    public void close() {
        stopAll();
    }

    private Duration firstDelay(String id, CheckSettings settings, StartMode mode) {
        return mode == StartMode.BULK
                ? settings.initialDelay().plus(CheckTiming.phaseOffset(id, settings.interval()))
                : settings.initialDelay();
    }

    private void confined() {
        Thread current = Thread.currentThread();
        if (owner == null) {
            owner = current;
        } else if (owner != current) {
            throw new IllegalStateException("HealthMonitor is confined to thread " + owner.getName()
                    + ", called from " + current.getName());
        }
    }
}
