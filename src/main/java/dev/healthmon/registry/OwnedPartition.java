package dev.healthmon.registry;

import dev.healthmon.registration.BackendRegistration;
import dev.healthmon.registration.CheckSettings;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.registration.RegistrationVersion;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One registry partition this instance owns: its phase, the end offset to restore up to, the
 * group epoch it was assigned in, its table of the latest valid registration per backend, and the
 * ids whose latest record here is a tombstone.
 *
 * <p><b>Threading.</b> Confined to the registry poll thread, except {@link #pendingDeadLetters}:
 * the publisher's acknowledgement removes entries from it on a Kafka client thread, so it is a
 * concurrent map; only the poll thread adds to it and reads its minimum.
 */
final class OwnedPartition {

    /**
     * The latest valid registration of one backend, its check settings, where it was read, and its record
     * timestamp. The registration and its settings are held here directly, not as the decoder's
     * {@link DecodedRegistration.Valid}: one table entry per backend, and the wrapper was 24 B of each.
     */
    record Entry(BackendRegistration registration, CheckSettings settings, RegistrationVersion version,
            long timestamp) {

        Entry(DecodedRegistration.Valid valid, RegistrationVersion version, long timestamp) {
            this(valid.registration(), valid.settings(), version, timestamp);
        }

        Claim claim() {
            return new Claim(timestamp, version.partition(), version.offset(), false);
        }
    }

    static final long UNKNOWN = -1;

    final int partition;
    final int ownerEpoch;
    /**
     * The end offset to restore up to; UNKNOWN until the poll loop has read it (the partition is paused until then).
     */
    long endSnapshot = UNKNOWN;
    /** Records below this offset were handled by an earlier owner: do not dead-letter them again. */
    long committedOffset = UNKNOWN;
    final Map<String, Entry> table = new HashMap<>();
    /** Ids whose registration here was deleted by a tombstone, and that tombstone (for the one-registration rule). */
    final Map<String, Claim> deletedAt = new HashMap<>();
    /** Dead letters sent for records of this partition and not yet acknowledged: token → source offset. */
    final Map<Object, Long> pendingDeadLetters = new ConcurrentHashMap<>();
    final long assignedAtNanos = System.nanoTime();
    PartitionPhase phase = PartitionPhase.RESTORING;

    OwnedPartition(int partition, int ownerEpoch) {
        this.partition = partition;
        this.ownerEpoch = ownerEpoch;
    }

    boolean snapshotTaken() {
        return endSnapshot != UNKNOWN;
    }

    void moveTo(PartitionPhase next) {
        phase = phase.to(next);
    }

    /** The lowest source offset whose dead letter is not acknowledged yet: commits must stay at or below it. */
    OptionalLong lowestUnacknowledgedDeadLetter() {
        return pendingDeadLetters.values().stream().mapToLong(Long::longValue).min();
    }
}
