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

    final int partition;
    final long endSnapshot;
    final int ownerEpoch;
    /** Records below this offset were handled by an earlier owner: do not dead-letter them again. */
    final long committedOffset;
    final Map<String, Entry> table = new HashMap<>();
    final long assignedAtNanos = System.nanoTime();
    PartitionPhase phase = PartitionPhase.RESTORING;

    OwnedPartition(int partition, long endSnapshot, int ownerEpoch, long committedOffset) {
        this.partition = partition;
        this.endSnapshot = endSnapshot;
        this.ownerEpoch = ownerEpoch;
        this.committedOffset = committedOffset;
    }

    void moveTo(PartitionPhase next) {
        phase = phase.to(next);
    }
}
