package dev.healthmon.aggregate;

import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.Thresholds;
import java.time.Duration;
import java.util.Objects;

/**
 * What the fold needs of a backend's registration to judge and apply its events ({@link StatusFold}):
 * the version in force, the thresholds and the timing of its fence window. Kept in the status store
 * value beside the view ({@link StatusState#terms}), so an event reads one store value, not the
 * registration's too (docs/design.md §8.1); a copy of {@link TrackedBackend}'s, written with it.
 *
 * @param longestInterval as {@link TrackedBackend#longestInterval}
 * @param timeout         as {@link TrackedBackend#timeout}
 */
public record FoldTerms(RegistrationVersion version, Thresholds thresholds, Duration longestInterval,
                        Duration timeout) {

    public FoldTerms {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(thresholds, "thresholds");
        Objects.requireNonNull(longestInterval, "longestInterval");
        Objects.requireNonNull(timeout, "timeout");
    }

    /** As {@link TrackedBackend#fenceWindow}. */
    public Duration fenceWindow(Duration sessionTimeout) {
        return sessionTimeout.plus(longestInterval).plus(timeout);
    }
}
