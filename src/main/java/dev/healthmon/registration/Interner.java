package dev.healthmon.registration;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Shares equal immutable values between backends. A fleet has thousands of backends and a handful
 * of distinct health-check settings; one shared {@link CheckSettings} (with its durations and
 * thresholds) and one {@link HealthCheckOverrides} instead of a copy each saves ~350 bytes per
 * backend (docs/BENCHMARKS.md). Only for records, whose equality is their values.
 *
 * <p>Bounded: once it holds {@code capacity} values it stops adding and hands values back
 * unshared, so a registry with unusually many distinct settings costs what it did without it.
 * Values of removed backends stay until then; at most {@code capacity} small records. Thread-safe.
 */
final class Interner<T> {

    private final ConcurrentHashMap<T, T> values = new ConcurrentHashMap<>();
    private final int capacity;

    Interner(int capacity) {
        this.capacity = capacity;
    }

    T intern(T value) {
        T shared = values.get(value);
        if (shared != null) {
            return shared;
        }
        if (values.size() >= capacity) {
            return value;
        }
        T raced = values.putIfAbsent(value, value);
        return raced != null ? raced : value;
    }

    int size() {
        return values.size();
    }
}
