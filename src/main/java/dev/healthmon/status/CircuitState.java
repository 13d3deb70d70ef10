package dev.healthmon.status;

/**
 * State of a backend's circuit breaker. Events carry its state after their check, so only CLOSED
 * or OPEN: HALF_OPEN lasts from the start of the trial check to its result, which closes or
 * reopens the circuit before the event is published. Legal transitions:
 * <pre>
 *   CLOSED ──failures ≥ threshold──► OPEN ──trial starts──► HALF_OPEN ──success──► CLOSED
 *                                     ▲                        │
 *                                     └───────failure──────────┘
 * </pre>
 */
public enum CircuitState {
    CLOSED,
    OPEN,
    HALF_OPEN;

    public CircuitState to(CircuitState next) {
        boolean legal = switch (this) {
            case CLOSED -> next == OPEN;
            case OPEN -> next == HALF_OPEN;
            case HALF_OPEN -> next == CLOSED || next == OPEN;
        };
        if (!legal) {
            throw new IllegalStateException("illegal circuit transition " + this + " -> " + next);
        }
        return next;
    }
}
