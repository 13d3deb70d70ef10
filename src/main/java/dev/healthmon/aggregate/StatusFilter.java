package dev.healthmon.aggregate;

import dev.healthmon.status.HealthStatus;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A {@code GET /api/status} query: which statuses (by status and by one label), and which page.
 * Pure; the API parses it from the query string.
 */
public record StatusFilter(Optional<HealthStatus> status, Optional<String> labelKey, Optional<String> labelValue,
                           int offset, int limit) {

    public static final int MAX_LIMIT = 1000;
    public static final StatusFilter ALL = new StatusFilter(Optional.empty(), Optional.empty(), Optional.empty(), 0,
            MAX_LIMIT);

    public StatusFilter {
        if (offset < 0) {
            throw new IllegalArgumentException("offset: must be >= 0, was " + offset);
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit: must be 1.." + MAX_LIMIT + ", was " + limit);
        }
    }

    /**
     * Parses {@code status=UNHEALTHY}, {@code label=team:payments}, {@code offset}, {@code limit}.
     *
     * @throws IllegalArgumentException naming the parameter at fault
     */
    public static StatusFilter parse(Map<String, String> query) {
        Optional<HealthStatus> status = Optional.ofNullable(query.get("status")).map(s -> {
            try {
                return HealthStatus.valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("status: must be one of UNKNOWN, HEALTHY, DEGRADED, UNHEALTHY, "
                        + "UNAUTHENTICATED; was \"" + s + "\"");
            }
        });
        Optional<String> key = Optional.empty();
        Optional<String> value = Optional.empty();
        String label = query.get("label");
        if (label != null) {
            int colon = label.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("label: must be key:value, was \"" + label + "\"");
            }
            key = Optional.of(label.substring(0, colon));
            value = Optional.of(label.substring(colon + 1));
        }
        return new StatusFilter(status, key, value, integer(query, "offset", 0), integer(query, "limit", 100));
    }

    private static int integer(Map<String, String> query, String name, int fallback) {
        String text = query.get(name);
        if (text == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": must be a whole number, was \"" + text + "\"");
        }
    }

    public boolean matches(BackendStatus s) {
        return status.map(wanted -> wanted == s.status()).orElse(true)
                && labelKey.map(k -> labelValue.get().equals(s.labels().get(k))).orElse(true);
    }

    /** One page of the matching statuses, sorted by id; {@code total} counts every match. */
    public record Page(List<BackendStatus> items, int total, int offset, int limit) {}

    public Page page(List<BackendStatus> statuses) {
        return page(statuses, offset, limit);
    }

    /**
     * The matching statuses from {@code offset}, at most {@code limit}, sorted by id; {@code total} counts every
     * match. Neither is bounded by {@link #MAX_LIMIT}: an instance asked for its part of a page answers the first
     * {@code offset + limit} of its own (docs/design.md §8.6).
     */
    public Page page(List<BackendStatus> statuses, int offset, int limit) {
        List<BackendStatus> matching = statuses.stream().filter(this::matches).toList();
        return slice(matching, matching.size(), offset, limit);
    }

    /**
     * This query's page of the pieces of several instances, each the first {@code offset + limit} of its own matches
     * by id ({@link #page(List, int, int)} from 0): the first {@code offset + limit} of all are among them.
     *
     * @param total every instance's total added
     */
    public Page merge(List<BackendStatus> pieces, int total) {
        return slice(pieces, total, offset, limit);
    }

    /** {@code statuses} sorted by id, from {@code offset}, at most {@code limit}. */
    private static Page slice(List<BackendStatus> statuses, int total, int offset, int limit) {
        List<BackendStatus> sorted = statuses.stream().sorted(Comparator.comparing(BackendStatus::id)).toList();
        int from = Math.min(offset, sorted.size());
        int to = (int) Math.min((long) from + limit, sorted.size());
        return new Page(sorted.subList(from, to), total, offset, limit);
    }

    /** How many statuses each instance answers for this page: the first {@code offset + limit} of its matches. */
    public int perInstance() {
        return (int) Math.min((long) offset + limit, Integer.MAX_VALUE);
    }

    /** Counts by status, overall and per value of every label key. */
    public record Summary(int total,
            Map<HealthStatus, Integer> byStatus, Map<String, Map<String, Map<HealthStatus, Integer>>> byLabel) {

        /**
         * The counts of both added: the summary of their statuses together (each instance summarises its own).
         *
         * @throws ArithmeticException when a count passes {@code Integer.MAX_VALUE} (another instance's forged counts)
         */
        public Summary plus(Summary other) {
            Map<HealthStatus, Integer> statuses = new TreeMap<>(byStatus);
            other.byStatus.forEach((status, count) -> statuses.merge(status, count, Math::addExact));
            Map<String, Map<String, Map<HealthStatus, Integer>>> labels = new TreeMap<>();
            for (Summary s : List.of(this, other)) {
                s.byLabel.forEach((key, values) -> values.forEach((value, counts) -> counts.forEach((status, count) ->
                        labels.computeIfAbsent(key, k -> new TreeMap<>()).computeIfAbsent(value, v -> new TreeMap<>())
                                .merge(status, count, Math::addExact))));
            }
            return new Summary(Math.addExact(total, other.total), statuses, labels);
        }
    }

    public static Summary summarize(List<BackendStatus> statuses) {
        return summarize(statuses::forEach);
    }

    /** The counts of the statuses {@code statuses} hands on, counted as they come (none is held). */
    public static Summary summarize(Consumer<Consumer<BackendStatus>> statuses) {
        Map<HealthStatus, Integer> byStatus = new TreeMap<>();
        for (HealthStatus s : HealthStatus.values()) {
            byStatus.put(s, 0);
        }
        Map<String, Map<String, Map<HealthStatus, Integer>>> byLabel = new TreeMap<>();
        int[] total = {0};
        statuses.accept(s -> {
            total[0]++;
            byStatus.merge(s.status(), 1, Integer::sum);
            s.labels().forEach((key, value) -> byLabel.computeIfAbsent(key, k -> new TreeMap<>())
                    .computeIfAbsent(value, v -> new TreeMap<>()).merge(s.status(), 1, Integer::sum));
        });
        return new Summary(total[0], byStatus, byLabel);
    }
}
