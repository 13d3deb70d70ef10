package dev.healthmon.registry;

/**
 * Lifecycle of one owned registry partition (docs/design.md §5.2). Legal transitions:
 * <pre>
 *   RESTORING ──position ≥ end snapshot──► ACTIVE
 *       │                                   │
 *       └────────revoked / lost─────────────┴──► REVOKED
 * </pre>
 * Checks run only while ACTIVE; REVOKED is final (a re-assigned partition restores afresh).
 */
enum PartitionPhase {
    RESTORING,
    ACTIVE,
    REVOKED;

    PartitionPhase to(PartitionPhase next) {
        boolean legal = switch (this) {
            case RESTORING -> next == ACTIVE || next == REVOKED;
            case ACTIVE -> next == REVOKED;
            case REVOKED -> false;
        };
        if (!legal) {
            throw new IllegalStateException("illegal partition transition " + this + " -> " + next);
        }
        return next;
    }
}
