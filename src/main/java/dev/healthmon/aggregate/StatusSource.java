package dev.healthmon.aggregate;

import java.io.IOException;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * What the query API ({@link StatusApi}) answers from: in the aggregator, every instance's {@code statuses}
 * store ({@link StatusQueries}); in the status page's browser test, a fixed set. "Local" methods answer from
 * this instance alone (the {@code scope=local} queries instances send each other); the others from all.
 * Implementations are thread-safe (the HTTP server calls them from its threads).
 */
interface StatusSource {

    /** The order of {@code /api/transitions}: newest first. */
    Comparator<StatusTransition> NEWEST_FIRST = Comparator.comparing(StatusTransition::at).reversed();

    /** Every status this instance holds. */
    List<StatusState> localStates();

    Optional<BackendStatus> local(String id);

    /**
     * Every status, from every instance, handed to {@code use}; its result is returned. What other instances
     * answered is held only until {@code use} returns ({@link PeerFanout}): keep what the answer needs, not the list.
     */
    <R> R all(Function<List<BackendStatus>, R> use) throws IOException, InterruptedException;

    /** The page {@code filter} asks for, from every instance. */
    default StatusFilter.Page page(StatusFilter filter) throws IOException, InterruptedException {
        return all(filter::page);
    }

    /** The counts of every instance's statuses. */
    default StatusFilter.Summary summary() throws IOException, InterruptedException {
        return all(StatusFilter::summarize);
    }

    /** This instance's matches of {@code filter} from {@code offset}, at most {@code limit} (not capped), by id. */
    default StatusFilter.Page localPage(StatusFilter filter, int offset, int limit) {
        return filter.page(localStates().stream().map(StatusState::view).toList(), offset, limit);
    }

    /** The counts of this instance's statuses. */
    default StatusFilter.Summary localSummary() {
        return StatusFilter.summarize(localStates().stream().map(StatusState::view).toList());
    }

    Optional<BackendStatus> one(String id) throws IOException, InterruptedException;

    /** Transitions at or after {@code since}, newest first, at most {@code limit}. */
    List<StatusTransition> transitions(Instant since, int limit) throws IOException, InterruptedException;

    /**
     * This instance's transitions at or after {@code since}, newest first, at most {@code limit} (not capped: an
     * instance of the version before asks for all of them).
     */
    default List<StatusTransition> localTransitions(Instant since, int limit) {
        return localStates().stream().flatMap(s -> s.history().stream()).filter(t -> !t.at().isBefore(since))
                .sorted(NEWEST_FIRST).limit(limit).toList();
    }

    /** The recent checks of the first {@code limit} backends by id (the order of {@code /api/status}'s pages). */
    Map<String, RecentChecks> checks(int limit) throws IOException, InterruptedException;

    default Map<String, RecentChecks> localChecks(int limit) {
        TreeMap<String, RecentChecks> checks = new TreeMap<>();
        localStates().forEach(s -> checks.put(s.view().id(), s.checks()));
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
