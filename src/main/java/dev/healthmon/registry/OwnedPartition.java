package dev.healthmon.registry;

import java.util.HashMap;
import java.util.Map;

/**
 * One registry partition this instance owns: its phase, the end offset to restore up to, the
 * group epoch it was assigned in, and its table of the latest valid registration per backend.
 * Confined to the registry poll thread.
 */
final class OwnedPartition {

    /** The latest valid registration of one backend and where it was read. */
    record Entry(DecodedRegistration.Valid registration, RegistrationVersion version) {}

    static final long UNKNOWN = -1;

    final int partition;
    final int ownerEpoch;
    /** The end offset to restore up to; UNKNOWN until the poll loop has read it (the partition is paused until then). */
    long endSnapshot = UNKNOWN;
    /** Records below this offset were handled by an earlier owner: do not dead-letter them again. */
    long committedOffset = UNKNOWN;
    final Map<String, Entry> table = new HashMap<>();
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
}
