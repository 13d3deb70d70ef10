package dev.healthmon.kafka;

import java.util.Objects;

/** The names of the topics healthmon reads and writes (docs/design.md §2). */
public record Topics(String registry, String events, String registryDlq, String status, String transitions,
                     String eventsDlq) {

    public static final Topics DEFAULTS = new Topics("backend-registry", "health-events", "backend-registry-dlq",
            "backend-status", "health-transitions", "health-events-dlq");

    public Topics {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(events, "events");
        Objects.requireNonNull(registryDlq, "registryDlq");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(transitions, "transitions");
        Objects.requireNonNull(eventsDlq, "eventsDlq");
    }
}
