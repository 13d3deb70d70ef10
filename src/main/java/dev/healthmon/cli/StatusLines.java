package dev.healthmon.cli;

import dev.healthmon.events.HealthEvent;
import dev.healthmon.status.UntrustedText;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the demo's live view says about each health event: a line when a backend's status (with its reason)
 * changes, and a line for the first failed check of a run of failures that has not changed the status yet —
 * a backend's first check, or the first after a success — so a failing backend shows at once, not only three
 * checks later. Every other check is silent: the table shows it. Never a line from a status to itself.
 *
 * <p>Confined to one thread (the view's); no clock of its own: the caller passes the time to print.
 */
final class StatusLines {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    static final int MAX_ID = 200;
    static final int MAX_MESSAGE = 300;

    private final Map<String, HealthEvent> latest = new TreeMap<>();

    /** Records {@code event} as its backend's latest; the line to print about it, if it deserves one. */
    Optional<String> next(HealthEvent event, LocalTime now) {
        HealthEvent before = latest.put(event.backendId(), event);
        // The first event seen of a backend names the status before it, without that status's reason.
        boolean changed = before == null ? event.previousStatus() != event.status()
                : !describe(before).equals(describe(event));
        if (changed) {
            return Optional.of(changeLine(now, before == null ? event.previousStatus().name() : describe(before),
                    event));
        }
        boolean firstFailure = !event.outcome().isSuccess() && (before == null || before.outcome().isSuccess());
        return firstFailure ? Optional.of(firstFailureLine(now, event)) : Optional.empty();
    }

    /** Every backend's latest event, by id. */
    Collection<HealthEvent> latest() {
        return Collections.unmodifiableCollection(latest.values());
    }

    /**
     * A status change. The id and the failure text come from the topic and the backend, so they are escaped:
     * neither may start a line of its own or drive the terminal.
     */
    static String changeLine(LocalTime now, String from, HealthEvent event) {
        return String.format("%s  %-14s %-15s -> %-15s %s", now.format(TIME), id(event), from, describe(event),
                failure(event)).stripTrailing();
    }

    /** A failed check that left the status as it was: no arrow, for nothing moved. */
    static String firstFailureLine(LocalTime now, HealthEvent event) {
        return String.format("%s  %-14s %-15s    %-15s %s", now.format(TIME), id(event), describe(event),
                "first failure", failure(event)).stripTrailing();
    }

    static String tableRow(HealthEvent e) {
        return String.format("%-14s %-33s %8d %6d  %s", id(e), describe(e), e.latencyMs(), e.consecutiveFailures(),
                e.failure().map(f -> f.kind().name()).orElse(""));
    }

    static String describe(HealthEvent e) {
        return e.status() + e.reason().map(r -> " (" + r + ")").orElse("");
    }

    private static String id(HealthEvent e) {
        return UntrustedText.escape(e.backendId(), MAX_ID);
    }

    private static String failure(HealthEvent e) {
        return e.failure().map(f -> f.kind() + ": " + UntrustedText.escape(f.message(), MAX_MESSAGE)).orElse("");
    }
}
