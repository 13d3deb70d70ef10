package dev.healthmon.monitor;

/**
 * Lifecycle of one {@link BackendCheck}. Legal transitions:
 * <pre>
 *   NEW ──start()──► STARTED ──stop()──► STOPPED
 *    └──────────────stop()──────────────────┘
 * </pre>
 * STOPPED is final: a changed registration gets a new check, never a restarted one.
 */
enum CheckState {
    NEW,
    STARTED,
    STOPPED;

    CheckState to(CheckState next) {
        boolean legal = switch (this) {
            case NEW -> next == STARTED || next == STOPPED;
            case STARTED -> next == STOPPED;
            case STOPPED -> false;
        };
        if (!legal) {
            throw new IllegalStateException("illegal check transition " + this + " -> " + next);
        }
        return next;
    }
}
