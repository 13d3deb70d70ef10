package dev.healthmon.aggregate;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A {@link StatusSource} of one instance holding {@code states} and no other, so "all" and "local" are the same: the
 * status page's fixed data, and the other instances of the query tests. {@code beforeRead} runs each time the
 * statuses are read (a test's gate, or nothing).
 */
record LocalStatuses(List<StatusState> states, Runnable beforeRead) implements StatusSource {

    LocalStatuses(List<StatusState> states) {
        this(states, () -> { });
    }

    @Override
    public void eachLocal(Consumer<StatusState> each) {
        beforeRead.run();
        states.stream().sorted(Comparator.comparing(s -> s.view().id())).forEach(each);
    }

    @Override
    public Optional<BackendStatus> local(String id) {
        return states.stream().map(StatusState::view).filter(s -> s.id().equals(id)).findFirst();
    }

    @Override
    public StatusFilter.Page page(StatusFilter filter) {
        return localPage(filter, filter.offset(), filter.limit());
    }

    @Override
    public StatusFilter.Summary summary() {
        return localSummary();
    }

    @Override
    public Optional<BackendStatus> one(String id) {
        return local(id);
    }

    @Override
    public List<StatusTransition> transitions(Instant since, int limit) {
        return localTransitions(since, limit);
    }

    @Override
    public Map<String, RecentChecks> checks(int limit) {
        return localChecks(limit);
    }
}
