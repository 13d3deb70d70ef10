package dev.healthmon.monitor;

import dev.healthmon.registration.BackendRegistration;
import dev.healthmon.registration.CheckSettings;
import dev.healthmon.registration.RegistrationVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * thread; {@code activeChecks} is confined to it and needs no lock. The first mutating call binds
 * the thread, and a call from any other thread throws. {@link #snapshot()} may be called from any
 * thread: it returns the immutable view last published by {@link #publishSnapshot()}.
 *
 * <p><b>Snapshot cost.</b> Publishing copies every check, O(backends): at 20,000 backends a copy
 * per registration record cost ~6 ms of the poll thread each. So the poll loop publishes at most
 * every {@link #SNAPSHOT_EVERY}; a finished partition restore (before the instance reports ready), a
 * revocation, close or {@link #snapshotNow()} publishes at once.
 */
public final class HealthMonitor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthMonitor.class);
    static final Duration SNAPSHOT_EVERY = Duration.ofSeconds(1);

    private final CheckContext context;

    // Confined to the owner thread.
    private final Map<String, BackendCheck> activeChecks = new HashMap<>();
    private Thread owner;
    private long generations;
    private boolean snapshotStale;
    private long nextSnapshotMillis = Long.MIN_VALUE;

    private volatile Map<String, ActiveCheck> snapshot = Map.of();

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
            snapshotStale = true;
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
        snapshotStale = true;
    }

    /** A tombstone: stops the backend's check, if this instance runs one, and forgets it. */
    public void remove(String backendId) {
        confined();
        BackendCheck check = activeChecks.remove(backendId);
        if (check != null) {
            check.stop();
            snapshotStale = true;
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
        snapshotStale |= !ids.isEmpty();
        return ids.size();
    }

    /** Stops every check; used on shutdown and self-fencing. */
    public void stopAll() {
        confined();
        activeChecks.values().forEach(BackendCheck::stop);
        snapshotStale |= !activeChecks.isEmpty();
        activeChecks.clear();
    }

    public int activeCount() {
        confined();
        return activeChecks.size();
    }

    /**
     * Makes the current checks visible to {@link #snapshot()} if they changed and the last
     * publication is {@link #SNAPSHOT_EVERY} old; cheap otherwise. For the poll loop's every turn.
     */
    public void publishSnapshot() {
        confined();
        if (snapshotStale && context.scheduler().clock().millis() >= nextSnapshotMillis) {
            publishSnapshotNow();
        }
    }

    /**
     * How long until {@link #publishSnapshot()} has something to do: zero or more while the checks
     * changed since the last publication, empty when they did not (nothing is due). For the poll
     * loop's timeout, so that a change is published on time without turning the loop for nothing.
     * Owner thread only.
     */
    public Optional<Duration> untilSnapshotDue() {
        confined();
        if (!snapshotStale) {
            return Optional.empty();
        }
        long now = context.scheduler().clock().millis();
        return Optional.of(nextSnapshotMillis <= now ? Duration.ZERO : Duration.ofMillis(nextSnapshotMillis - now));
    }

    /** Makes the current checks visible to {@link #snapshot()} now, if they changed. */
    public void publishSnapshotNow() {
        confined();
        if (!snapshotStale) {
            return;
        }
        @SuppressWarnings("unchecked")
        Map.Entry<String, ActiveCheck>[] view = new Map.Entry[activeChecks.size()];
        int i = 0;
        for (Map.Entry<String, BackendCheck> e : activeChecks.entrySet()) {
            BackendCheck c = e.getValue();
            view[i++] = Map.entry(e.getKey(), new ActiveCheck(e.getKey(), c.generation(), c.version(),
                    c.policy().status()));
        }
        // An immutable map keeps keys and values in one flat array (16 B an entry) where a HashMap keeps a
        // 32-byte node and a table slot (42 B): it lives as long as the checks, one entry per backend.
        snapshot = Map.ofEntries(view); // never written again; the volatile write publishes it
        snapshotStale = false;
        nextSnapshotMillis = context.scheduler().clock().millis() + SNAPSHOT_EVERY.toMillis();
    }

    /** Publishes and returns the current checks; owner thread only. */
    public Map<String, ActiveCheck> snapshotNow() {
        publishSnapshotNow();
        return snapshot;
    }

    /** The checks as of the last {@link #publishSnapshot()}; any thread. */
    public Map<String, ActiveCheck> snapshot() {
        return snapshot;
    }

    @Override
    public void close() {
        stopAll();
        publishSnapshotNow();
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
