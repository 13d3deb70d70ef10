package dev.healthmon.aggregate;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * What the query API ({@link StatusApi}) answers from: in the aggregator, every instance's {@code statuses}
 * store ({@link StatusQueries}); in the status page's browser test, a fixed set. "Local" methods answer from
 * this instance alone (the {@code scope=local} queries instances send each other); the others from all.
 * Implementations are thread-safe (the HTTP server calls them from its threads).
 */
interface StatusSource {

    /** The order of {@code /api/transitions}: newest first. */
    Comparator<StatusTransition> NEWEST_FIRST = Comparator.comparing(StatusTransition::at).reversed();

    /**
     * Hands this instance's statuses to {@code each} one at a time, by id ({@link String#compareTo}), as they are
     * read: none is held here once handed on, so what a local answer holds is what it keeps of them, not a copy of
     * every status (docs/design.md §8.6).
     */
    void eachLocal(Consumer<StatusState> each);

    Optional<BackendStatus> local(String id);

    /** The page {@code filter} asks for, from every instance. */
    StatusFilter.Page page(StatusFilter filter) throws IOException, InterruptedException;

    /** The counts of every instance's statuses. */
    StatusFilter.Summary summary() throws IOException, InterruptedException;

    /**
     * Hands {@code item} this instance's matches of {@code filter} from {@code offset}, at most {@code limit} (not
     * capped), by id, as they are read; returns how many match in all.
     */
    default int localPage(StatusFilter filter, int offset, int limit, Consumer<BackendStatus> item) {
        int[] matches = {0};
        eachLocal(state -> {
            BackendStatus status = state.view();
            if (filter.matches(status)) {
                if (matches[0] >= offset && matches[0] - offset < limit) {
                    item.accept(status);
                }
                matches[0]++;
            }
        });
        return matches[0];
    }

    /** This instance's matches of {@code filter} from {@code offset}, at most {@code limit} (not capped), by id. */
    default StatusFilter.Page localPage(StatusFilter filter, int offset, int limit) {
        List<BackendStatus> items = new ArrayList<>();
        int total = localPage(filter, offset, limit, items::add);
        return new StatusFilter.Page(items, total, offset, limit);
    }

    /** The counts of this instance's statuses. */
    default StatusFilter.Summary localSummary() {
        return StatusFilter.summarize(count -> eachLocal(state -> count.accept(state.view())));
    }

    Optional<BackendStatus> one(String id) throws IOException, InterruptedException;

    /** Transitions at or after {@code since}, newest first, at most {@code limit}. */
    List<StatusTransition> transitions(Instant since, int limit) throws IOException, InterruptedException;

    /**
     * This instance's transitions at or after {@code since}, newest first, at most {@code limit} (not capped: an
     * instance of the version before asks for all of them). Holds the newest {@code limit} as it reads, not every
     * status.
     */
    default List<StatusTransition> localTransitions(Instant since, int limit) {
        PriorityQueue<StatusTransition> newest = new PriorityQueue<>(NEWEST_FIRST.reversed());
        eachLocal(state -> state.history().stream().filter(t -> !t.at().isBefore(since)).forEach(t -> {
            newest.add(t);
            if (newest.size() > limit) {
                newest.poll(); // the oldest
            }
        }));
        return newest.stream().sorted(NEWEST_FIRST).toList();
    }

    /** The recent checks of the first {@code limit} backends by id (the order of {@code /api/status}'s pages). */
    Map<String, RecentChecks> checks(int limit) throws IOException, InterruptedException;

    default Map<String, RecentChecks> localChecks(int limit) {
        TreeMap<String, RecentChecks> checks = new TreeMap<>();
        eachLocal(s -> first(checks, limit).put(s.view().id(), s.checks()));
        return first(checks, limit);
    }

    /** The first {@code limit} entries of {@code byId}. */
    static TreeMap<String, RecentChecks> first(TreeMap<String, RecentChecks> byId, int limit) {
        while (byId.size() > limit) {
            byId.pollLastEntry();
        }
        return byId;
    }
}
