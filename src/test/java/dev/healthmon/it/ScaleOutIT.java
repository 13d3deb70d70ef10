package dev.healthmon.it;

import static dev.healthmon.support.Registrations.bytes;
import static dev.healthmon.support.Registrations.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.MonitorConfig;
import dev.healthmon.MonitorService;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.Topics;
import dev.healthmon.monitor.CircuitBreakerSettings;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registry.RegistryWriter;
import dev.healthmon.support.CountingBackend;
import dev.healthmon.support.Figures;
import dev.healthmon.support.KafkaFixture;
import dev.healthmon.support.TopicTail;
import dev.healthmon.target.TargetPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 300 backends on 12 partitions, scaled 1 → 3 → 1 monitors (in-process: the point is the group,
 * not the process): every backend has exactly one checker once the group settles, shares are
 * fair, and no backend goes unchecked for long while instances come and go.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ScaleOutIT {

    private static final int BACKENDS = 300;
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static KafkaFixture fixture;
    private static KafkaSettings settings;
    private static CountingBackend backend;
    private final HealthEventCodec codec = new HealthEventCodec(new ObjectMapper());

    @BeforeAll
    static void start() throws Exception {
        fixture = KafkaFixture.start(12, Map.of("session.timeout.ms", "6000", "heartbeat.interval.ms", "1500"));
        settings = fixture.settings();
        backend = fixture.backend();
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
    }

    private static MonitorService monitor(String id) {
        return MonitorService.start(new MonitorConfig(settings, Topics.DEFAULTS, "scale-it", "classic", id,
                CheckDefaults.STANDARD, CircuitBreakerSettings.DEFAULTS, TargetPolicy.DEFAULT, Duration.ofSeconds(1),
                Duration.ofSeconds(10), 10_000), new SimpleMeterRegistry());
    }

    private Map<String, Set<String>> checkers(TopicTail tail, Instant from, Instant to) {
        Map<String, Set<String>> checkers = new HashMap<>();
        for (var r : tail.records()) {
            HealthEvent e = codec.decode(r.value());
            if (e.checkedAt().isAfter(from) && e.checkedAt().isBefore(to)) {
                checkers.computeIfAbsent(e.backendId(), k -> new HashSet<>()).add(e.monitorId());
            }
        }
        return checkers;
    }

    /** Waits until, over the last 3 s, every backend had exactly one checker and {@code monitors} monitors checked. */
    private Map<String, Set<String>> awaitSettled(TopicTail tail, int monitors) {
        Map<String, Set<String>> settled = new HashMap<>();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
            Instant now = Instant.now();
            Map<String, Set<String>> checkers = checkers(tail, now.minusSeconds(3), now);
            boolean ok = checkers.size() == BACKENDS && checkers.values().stream().allMatch(s -> s.size() == 1)
                    && checkers.values().stream().flatMap(Set::stream).distinct().count() == monitors;
            if (ok) {
                settled.clear();
                settled.putAll(checkers);
            }
            return ok;
        });
        return settled;
    }

    @Test
    void scalingOneToThreeAndBackKeepsEveryBackendCheckedByExactlyOneMonitor() throws Exception {
        List<MonitorService> monitors = new ArrayList<>();
        try (TopicTail tail = new TopicTail(settings, Topics.DEFAULTS.events());
             RegistryWriter writer = new RegistryWriter(settings, Topics.DEFAULTS.registry())) {
            monitors.add(monitor("scale-1"));
            for (int i = 0; i < BACKENDS; i++) {
                String id = "svc-" + i;
                writer.register(id, bytes(json(id, backend.url("/" + id), j -> ((ObjectNode) j.get("healthCheck"))
                        .put("intervalMs", INTERVAL.toMillis()).put("timeoutMs", 500))));
            }
            awaitSettled(tail, 1);
            Instant scaleOutAt = Instant.now();

            monitors.add(monitor("scale-2"));
            monitors.add(monitor("scale-3"));
            Map<String, Set<String>> spread = awaitSettled(tail, 3);
            Duration settleOut = Duration.between(scaleOutAt, Instant.now());
            Map<String, Long> shares = spread.values().stream().map(s -> s.iterator().next())
                    .collect(Collectors.groupingBy(m -> m, Collectors.counting()));
            assertThat(shares.values()).as("%s", shares).allSatisfy(n ->
                    assertThat(n).isBetween((long) (BACKENDS / 3 * 0.5), (long) (BACKENDS / 3 * 1.5)));

            Instant scaleInAt = Instant.now();
            monitors.remove(2).close();
            monitors.remove(1).close();
            awaitSettled(tail, 1);
            Duration settleIn = Duration.between(scaleInAt, Instant.now());

            Duration longestGap = longestGapPerBackend(tail, scaleOutAt);
            // At most one checker at any moment, during the rebalances too, not only once settled: a revoked
            // partition's checks stop before the revocation returns, and its new owner starts after it was
            // assigned. So, per backend, the spans of two ownerships (monitor, ownerEpoch) never overlap.
            tail.awaitCaughtUp(settings, Topics.DEFAULTS.events());
            List<String> overlaps = overlappingOwnerships(tail, scaleOutAt);
            assertThat(overlaps).as("backends checked by two monitors at once while scaling").isEmpty();
            Figures.record("scale 1→3→1, " + BACKENDS + " backends, 12 partitions, interval 1 s: shares " + shares
                    + "; settled (3 s of single ownership) " + settleOut.toMillis() + " ms after scale-out, "
                    + settleIn.toMillis() + " ms after scale-in; longest gap between two checks of one backend "
                    + longestGap.toMillis() + " ms (rebalance pause + interval)");
            // interval + jitter + a rebalance with restore: seconds, not a session timeout
            assertThat(longestGap).isLessThan(INTERVAL.plusSeconds(10));
        } finally {
            for (MonitorService m : monitors) {
                m.close();
            }
        }
    }

    /** One monitor's checks of one backend under one assignment (ownerEpoch): from its first to its last. */
    private record Ownership(String monitorId, int epoch, Instant first, Instant last) {
    }

    /** Per backend, each pair of ownerships by different monitors whose spans of checks overlap, described. */
    private List<String> overlappingOwnerships(TopicTail tail, Instant since) {
        Map<String, Map<String, Ownership>> byBackend = new HashMap<>();
        for (var r : tail.records()) {
            HealthEvent e = codec.decode(r.value());
            if (e.checkedAt().isAfter(since)) {
                byBackend.computeIfAbsent(e.backendId(), k -> new HashMap<>()).merge(
                        e.monitorId() + "@" + e.ownerEpoch(),
                        new Ownership(e.monitorId(), e.ownerEpoch(), e.checkedAt(), e.checkedAt()),
                        (a, b) -> new Ownership(a.monitorId(), a.epoch(),
                                a.first().isBefore(b.first()) ? a.first() : b.first(),
                                a.last().isAfter(b.last()) ? a.last() : b.last()));
            }
        }
        List<String> overlaps = new ArrayList<>();
        byBackend.forEach((backendId, ownerships) -> {
            List<Ownership> spans = new ArrayList<>(ownerships.values());
            for (Ownership a : spans) {
                for (Ownership b : spans) {
                    if (!a.monitorId().equals(b.monitorId()) && a.first().isBefore(b.first())
                            && a.last().isAfter(b.first())) {
                        overlaps.add(backendId + ": " + a + " still checking after " + b + " began");
                    }
                }
            }
        });
        return overlaps;
    }

    private Duration longestGapPerBackend(TopicTail tail, Instant since) {
        Map<String, List<Instant>> times = new HashMap<>();
        for (var r : tail.records()) {
            HealthEvent e = codec.decode(r.value());
            if (e.checkedAt().isAfter(since)) {
                times.computeIfAbsent(e.backendId(), k -> new ArrayList<>()).add(e.checkedAt());
            }
        }
        Duration longest = Duration.ZERO;
        for (List<Instant> t : times.values()) {
            t.sort(Comparator.naturalOrder());
            for (int i = 1; i < t.size(); i++) {
                Duration gap = Duration.between(t.get(i - 1), t.get(i));
                longest = gap.compareTo(longest) > 0 ? gap : longest;
            }
        }
        return longest;
    }
}
