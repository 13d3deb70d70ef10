package dev.healthmon.http;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code /readyz} answers: ready, or not ready with every reason an operator needs to act on
 * (a partition still restoring, Kafka not taking results, a topic missing a partition).
 *
 * @param reasons empty when ready; otherwise one line each, no line breaks
 */
public record Readiness(List<String> reasons) {

    public static final Readiness READY = new Readiness(List.of());

    public Readiness {
        reasons = List.copyOf(reasons);
    }

    public static Readiness notReady(String reason) {
        return new Readiness(List.of(reason));
    }

    /** {@link #READY} when {@code ready}, else not ready for {@code reason}. */
    public static Readiness when(boolean ready, String reason) {
        return ready ? READY : notReady(reason);
    }

    public boolean ready() {
        return reasons.isEmpty();
    }

    /** Ready only when both are; the reasons of both. */
    public Readiness and(Readiness other) {
        if (other.ready()) {
            return this;
        }
        if (ready()) {
            return other;
        }
        List<String> all = new ArrayList<>(reasons);
        all.addAll(other.reasons);
        return new Readiness(all);
    }
}
