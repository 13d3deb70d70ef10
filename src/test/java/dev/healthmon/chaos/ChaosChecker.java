package dev.healthmon.chaos;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The chaos run's judge. It shares no code with the monitor or the aggregator: it reads
 * {@code backend-registry}, {@code health-events} and {@code backend-status} with its own
 * read_committed consumer, parses the JSON itself (field names from the schemas in
 * {@code schemas/}), folds the events its own way, and checks the properties documented in
 * {@code docs/chaos.md}. Every violation names the rule, the backend and the evidence.
 *
 * <p>Threading: one thread, one call at a time.
 */
public final class ChaosChecker {

    /** A time span in which no fault was injected, after everything had had time to settle. */
    public record Window(Instant from, Instant to, String after) {}

    /** What a monitor instance said about its publishing, from its last {@code /metrics} scrape. */
    public record MonitorCounters(long published, long coalesced, long dropped, long failed) {
        long unpublished() {
            return coalesced + dropped + failed;
        }
    }

    /**
     * What the driver knows about the run; the checker takes everything else from the topics.
     *
     * @param statusHeartbeat the aggregators' {@code --status-heartbeat-ms}: the event named by the last
     *                        {@code backend-status} is less than this older than the fold's last event (zero: it is
     *                        that event)
     * @param aggregatorApplicationId the aggregators' {@code --application-id}: their consumer group, whose committed
     *                        offsets on {@code health-events} show they consumed every event (rule 7)
     */
    public record Scenario(String bootstrapServers, String registryTopic, String eventsTopic, String statusTopic,
                           Instant chaosStart, Instant chaosEnd, List<Window> settled,
                           Map<String, MonitorCounters> counters, Set<String> answering,
                           Map<String, Instant> deregisteredAt, Duration gapBound, Duration statusHeartbeat,
                           String aggregatorApplicationId) {}

    public record Violation(String rule, String backend, String detail) {
        @Override
        public String toString() {
            return "rule=" + rule + " backend=" + backend + " " + detail;
        }
    }

    /** The outcome: violations and the figures docs/chaos.md reports. */
    public record Report(List<Violation> violations, long events, int backends, int runs, long sequenceGaps,
                         Duration longestGap, String longestGapBackend, int statusesCompared, int failoverExcused,
                         int settleWindows) {
        public String summary() {
            return "events=" + events + " backends=" + backends + " runs=" + runs + " sequenceGaps=" + sequenceGaps
                    + " longestGapMs=" + longestGap.toMillis() + " (" + longestGapBackend + ") statusesCompared="
                    + statusesCompared + " failoverExcused=" + failoverExcused + " settleWindows=" + settleWindows
                    + " violations=" + violations.size();
        }
    }

    /** One health event as the checker understands it; {@code offset} is its place in health-events. */
    record Event(String backend, int regPartition, long regOffset, long sequence, String monitor, long epoch,
                 Instant checkedAt, String outcome, String status, int partition, long offset) {
        String owner() {
            return monitor + "/epoch " + epoch + "/reg " + regPartition + ":" + regOffset;
        }

        String brief() {
            return "{" + owner() + " seq " + sequence + " at " + checkedAt + " outcome " + outcome + " status " + status
                    + " @" + partition + ":" + offset + "}";
        }
    }

    /** The registration in force, or null value for a deregistered backend. */
    record Registration(int partition, long offset, boolean deleted) {}

    /** A backend-status record as read: null {@code json} for a tombstone. */
    record Status(JsonNode json) {
        /** Whether this record is the status after {@code e}: it names e's owner, registration and check time. */
        boolean names(Event e) {
            return json != null && e.monitor().equals(json.path("checkedBy").asText())
                    && e.epoch() == json.path("ownerEpoch").asLong(-1)
                    && e.checkedAt().truncatedTo(ChronoUnit.MILLIS).equals(lastCheckedAt())
                    && json.path("registration").path("offset").asLong(-1) == e.regOffset()
                    && json.path("registration").path("partition").asInt(-1) == e.regPartition();
        }

        Instant lastCheckedAt() {
            return json.hasNonNull("lastCheckedAt")
                    ? Instant.parse(json.get("lastCheckedAt").asText()).truncatedTo(ChronoUnit.MILLIS) : null;
        }
    }

    private static final Comparator<Event> ACCEPTANCE = Comparator.comparingLong(Event::epoch)
            .thenComparingLong(Event::regOffset).thenComparingLong(Event::sequence);
    private static final Set<String> SUCCESS = Set.of("HEALTHY", "DEGRADED");

    private final ObjectMapper json = new ObjectMapper();
    private final Scenario scenario;

    public ChaosChecker(Scenario scenario) {
        this.scenario = scenario;
    }

    /** Rules 5 and 7 as the topics and the aggregators' offsets stand now. */
    private List<Violation> statusViolations(Map<String, Registration> registry, Map<String, List<Event>> byBackend,
            List<Event> events, int[] compared) throws InterruptedException {
        List<Violation> found = new ArrayList<>();
        statusIsTheFold(registry, byBackend, readStatuses(), found, compared);
        aggregatorConsumedEveryEvent(events, found);
        return found;
    }

    /**
     * Reads everything and checks all rules; the aggregator's rules (5, 6, 7) are re-read until they
     * hold or {@code statusDeadline} passes, since the aggregator folds asynchronously.
     */
    public Report check(Duration statusDeadline) throws InterruptedException {
        Map<String, Registration> registry = readRegistry();
        List<Event> events = readEvents();
        Map<String, List<Event>> byBackend = new TreeMap<>();
        events.forEach(e -> byBackend.computeIfAbsent(e.backend(), k -> new ArrayList<>()).add(e));

        List<Violation> violations = new ArrayList<>();
        long gaps = acknowledgedArePublished(events, violations);
        int runs = sequencesIncrease(byBackend, violations);
        oneCheckerAfterSettle(byBackend, violations);
        Map.Entry<String, Duration> longest = gapsWithinBound(byBackend, violations);

        int[] compared = new int[2];
        AtomicReference<List<Violation>> statusViolations = new AtomicReference<>(
                statusViolations(registry, byBackend, events, compared));
        Duration rereadEvery = Duration.ofSeconds(2);
        if (!statusViolations.get().isEmpty() && statusDeadline.compareTo(rereadEvery) > 0) {
            try {
                // The aggregator catches up on its own schedule: read and judge again until it has, or the deadline.
                await().atMost(statusDeadline).pollInSameThread().pollDelay(rereadEvery)
                        .pollInterval(rereadEvery).until(() -> {
                            statusViolations.set(statusViolations(registry, byBackend, events, compared));
                            return statusViolations.get().isEmpty();
                        });
            } catch (ConditionTimeoutException e) {
                // What the last reading found stands.
            }
        }
        violations.addAll(statusViolations.get());
        return new Report(violations, events.size(), byBackend.size(), runs, gaps, longest.getValue(),
                longest.getKey(), compared[0], compared[1], scenario.settled().size());
    }

    // ---- rule 1: every acknowledged event is in health-events -------------------------------

    /**
     * Per monitor instance: the events of it in the topic are at least as many as its publisher
     * counted acknowledged ({@code healthmon_events_published_total} at the last scrape before it
     * died or stopped); and every sequence number missing from its runs is accounted for by its
     * coalesced + dropped + failed counters. Returns the number of missing sequence numbers.
     */
    private long acknowledgedArePublished(List<Event> events, List<Violation> violations) {
        Map<String, Long> inTopic = new TreeMap<>();
        Map<String, List<Event>> byMonitorBackend = new LinkedHashMap<>();
        for (Event e : events) {
            inTopic.merge(e.monitor(), 1L, Long::sum);
            byMonitorBackend.computeIfAbsent(e.monitor() + "\u0000" + e.backend() + "\u0000" + e.regOffset(),
                    k -> new ArrayList<>()).add(e);
        }
        Map<String, Long> missing = new TreeMap<>();
        Map<String, String> example = new HashMap<>();
        for (List<Event> list : byMonitorBackend.values()) {
            list.sort(Comparator.comparingInt(Event::partition).thenComparingLong(Event::offset));
            Event previous = null;
            for (Event e : list) {
                long lost;
                if (previous == null || (e.epoch() != previous.epoch() && e.sequence() <= previous.sequence())) {
                    lost = e.sequence() - 1; // a run starts at 1
                } else {
                    lost = Math.max(0, e.sequence() - previous.sequence() - 1);
                }
                if (lost > 0) {
                    missing.merge(e.monitor(), lost, Long::sum);
                    example.putIfAbsent(e.monitor(), lost + " missing before " + e.brief()
                            + (previous == null ? "" : " after " + previous.brief()));
                }
                previous = e;
            }
        }
        for (Map.Entry<String, MonitorCounters> c : scenario.counters().entrySet()) {
            long found = inTopic.getOrDefault(c.getKey(), 0L);
            if (found < c.getValue().published()) {
                violations.add(new Violation("1-acknowledged-published", "*", "monitor " + c.getKey() + " counted "
                        + c.getValue().published() + " events acknowledged, health-events holds " + found));
            }
        }
        for (Map.Entry<String, Long> m : missing.entrySet()) {
            MonitorCounters c = scenario.counters().get(m.getKey());
            long explained = c == null ? 0 : c.unpublished();
            if (m.getValue() > explained) {
                violations.add(new Violation("1-acknowledged-published", "*", "monitor " + m.getKey() + ": "
                        + m.getValue() + " sequence numbers missing, its counters explain " + explained + " ("
                        + c + "); e.g. " + example.get(m.getKey())));
            }
        }
        return missing.values().stream().mapToLong(Long::longValue).sum();
    }

    // ---- rule 2: per backend and owner, sequences strictly increase --------------------------

    private int sequencesIncrease(Map<String, List<Event>> byBackend, List<Violation> violations) {
        int runs = 0;
        Map<String, String> epochOwner = new HashMap<>();
        for (Map.Entry<String, List<Event>> b : byBackend.entrySet()) {
            Map<String, Event> last = new HashMap<>();
            List<Event> inOrder = new ArrayList<>(b.getValue());
            inOrder.sort(Comparator.comparingInt(Event::partition).thenComparingLong(Event::offset));
            for (Event e : inOrder) {
                Event before = last.put(e.owner(), e);
                if (before == null) {
                    runs++;
                } else if (e.sequence() <= before.sequence()) {
                    violations.add(new Violation("2-sequence-increases", b.getKey(), before.brief() + " then "
                            + e.brief()));
                }
                String key = b.getKey() + "/" + e.epoch() + "/" + e.regOffset();
                String other = epochOwner.putIfAbsent(key, e.monitor());
                if (other != null && !other.equals(e.monitor())) {
                    violations.add(new Violation("2-sequence-increases", b.getKey(), "two monitors under one epoch: "
                            + other + " and " + e.brief()));
                    epochOwner.put(key, e.monitor());
                }
            }
        }
        return runs;
    }

    // ---- rule 3: after each settle, one checker per backend ----------------------------------

    private void oneCheckerAfterSettle(Map<String, List<Event>> byBackend, List<Violation> violations) {
        for (Window w : scenario.settled()) {
            for (Map.Entry<String, List<Event>> b : byBackend.entrySet()) {
                Map<String, List<Event>> who = new TreeMap<>();
                for (Event e : b.getValue()) {
                    if (!e.checkedAt().isBefore(w.from()) && e.checkedAt().isBefore(w.to())) {
                        who.computeIfAbsent(e.monitor(), k -> new ArrayList<>()).add(e);
                    }
                }
                if (who.size() > 1) {
                    StringBuilder evidence = new StringBuilder();
                    who.forEach((m, list) -> evidence.append(' ').append(m).append(": ").append(list.size())
                            .append(" events, first ").append(list.get(0).brief()));
                    violations.add(new Violation("3-one-checker-after-settle", b.getKey(), "window " + w.from() + ".."
                            + w.to() + " (after " + w.after() + "):" + evidence));
                }
            }
        }
    }

    // ---- rule 4: the longest gap between two checks of a live backend -------------------------

    private Map.Entry<String, Duration> gapsWithinBound(Map<String, List<Event>> byBackend,
                                                        List<Violation> violations) {
        String longestBackend = "-";
        Duration longest = Duration.ZERO;
        for (String id : new TreeSet<>(scenario.answering())) {
            Instant until = scenario.deregisteredAt().getOrDefault(id, scenario.chaosEnd());
            List<Instant> times = byBackend.getOrDefault(id, List.of()).stream().map(Event::checkedAt)
                    .filter(t -> !t.isBefore(scenario.chaosStart()) && t.isBefore(until)).sorted().toList();
            if (times.isEmpty() && Duration.between(scenario.chaosStart(), until).compareTo(scenario.gapBound()) <= 0) {
                continue; // deregistered before a gap could exceed the bound
            }
            if (times.isEmpty()) {
                violations.add(new Violation("4-gap-within-bound", id, "never checked between " + scenario.chaosStart()
                        + " and " + until));
                continue;
            }
            List<Instant> points = new ArrayList<>(times);
            points.add(until);
            for (int i = 1; i < points.size(); i++) {
                Duration gap = Duration.between(points.get(i - 1), points.get(i));
                if (gap.compareTo(longest) > 0) {
                    longest = gap;
                    longestBackend = id + " " + points.get(i - 1) + ".." + points.get(i);
                }
                if (gap.compareTo(scenario.gapBound()) > 0) {
                    violations.add(new Violation("4-gap-within-bound", id, "no check from " + points.get(i - 1) + " to "
                            + points.get(i) + " (" + gap.toMillis() + " ms > bound " + scenario.gapBound().toMillis()
                            + " ms)"));
                }
            }
        }
        return Map.entry(longestBackend, longest);
    }

    // ---- rules 5 and 6: backend-status carries the fold; no status for a deregistered one -----

    /**
     * The checker's fold: of the events of the registration in force, the one the aggregator must
     * end on is the greatest by (ownerEpoch, registration offset, sequence), and the events it applies
     * are those, in the partition's order, greater than every one before them. Two promises of
     * docs/design.md §8.9 are checked. (a) The last status record names an event of that last event's
     * owner and registration less than one status heartbeat older (with none: that event itself), and
     * carries the last event's status. (b) Every applied event whose status differs from the applied
     * event before it has a status record of its own: naming it and carrying its status; so does the
     * first applied event of the registration in force, which the aggregator always publishes (§8.9). A
     * different status is excused, in both, when the event's owner took over from another (a failover)
     * and has not yet seen a failure followed by a success, the one case docs/design.md §8.4 lets the
     * aggregator keep the status it had (counted as excused, not as a violation).
     */
    private void statusIsTheFold(Map<String, Registration> registry, Map<String, List<Event>> byBackend,
                                 Map<String, List<Status>> read, List<Violation> violations, int[] compared) {
        compared[0] = 0;
        compared[1] = 0;
        for (Map.Entry<String, Registration> r : registry.entrySet()) {
            String id = r.getKey();
            List<Status> records = read.getOrDefault(id, List.of());
            Status status = records.isEmpty() ? null : records.get(records.size() - 1);
            if (r.getValue().deleted()) {
                if (status != null && status.json() != null) {
                    violations.add(new Violation("6-no-status-when-deregistered", id, "backend-status still holds "
                            + status.json()));
                }
                continue;
            }
            List<Event> accepted = byBackend.getOrDefault(id, List.of()).stream()
                    .filter(e -> e.regPartition() == r.getValue().partition() && e.regOffset() == r.getValue().offset())
                    .toList();
            if (accepted.isEmpty()) {
                continue; // never checked under this registration: nothing to fold (rule 4 covers checking)
            }
            Event last = accepted.stream().max(ACCEPTANCE).orElseThrow();
            if (status == null || status.json() == null) {
                violations.add(new Violation("5-status-is-the-fold", id, "no backend-status; last accepted "
                        + last.brief()));
                continue;
            }
            compared[0]++;
            JsonNode s = status.json();
            Instant named = status.lastCheckedAt();
            // Strictly less than a heartbeat older: the named event opened the last one's period (periods of N ms
            // aligned on the epoch, by millisecond), or is the last one itself (no heartbeat).
            Instant lastAt = last.checkedAt().truncatedTo(ChronoUnit.MILLIS);
            Instant tooOld = lastAt.minus(scenario.statusHeartbeat());
            boolean recentEvent = accepted.stream().filter(e -> e.owner().equals(last.owner()))
                    .filter(e -> e.checkedAt().truncatedTo(ChronoUnit.MILLIS).isAfter(tooOld)
                            || e.checkedAt().truncatedTo(ChronoUnit.MILLIS).equals(lastAt))
                    .anyMatch(status::names);
            if (!recentEvent) {
                violations.add(new Violation("5-status-is-the-fold", id, "status applied checkedBy="
                        + s.path("checkedBy").asText() + " ownerEpoch=" + s.path("ownerEpoch").asText()
                        + " lastCheckedAt=" + named + " registration=" + s.path("registration")
                        + ", the fold ends on " + last.brief() + " (heartbeat " + scenario.statusHeartbeat().toMillis()
                        + " ms)"));
                continue;
            }
            String aggregated = s.path("status").asText();
            if (!aggregated.equals(last.status())) {
                if (tookOverWithoutFailureThenSuccess(accepted, last)) {
                    compared[1]++;
                } else {
                    violations.add(new Violation("5-status-is-the-fold", id, "status " + aggregated
                            + " but the last accepted event says " + last.status() + ": " + last.brief()));
                }
            }
            everyChangeHasItsRecord(id, accepted, records, violations);
        }
    }

    /**
     * Promise (b) of {@link #statusIsTheFold}: one violation per backend, at its first change without a record.
     * "Changed" compares the monitor's statuses, which the aggregator's differ from while the failover rule
     * excuses them; at the event where the excuse ends, the aggregator already holds the status the monitor now
     * reaches if the latest earlier record of that owner carries it (every change of the aggregator's is
     * published), and then nothing changes and nothing is published.
     */
    private static void everyChangeHasItsRecord(String id, List<Event> accepted, List<Status> records,
                                                List<Violation> violations) {
        List<Event> inOrder = new ArrayList<>(accepted);
        inOrder.sort(Comparator.comparingInt(Event::partition).thenComparingLong(Event::offset));
        Event previous = null;
        boolean previousExcused = false;
        for (Event e : inOrder) {
            if (previous != null && ACCEPTANCE.compare(e, previous) <= 0) {
                continue; // a zombie's or a duplicate: the aggregator drops it
            }
            boolean changed = previous == null || !previous.status().equals(e.status());
            boolean excused = tookOverWithoutFailureThenSuccess(accepted, e);
            boolean excuseEnds = previousExcused && !excused;
            previous = e;
            previousExcused = excused;
            if (!changed || excused) {
                continue;
            }
            if (excuseEnds && e.status().equals(latestEarlierRecordOfOwner(e, accepted, records))) {
                continue;
            }
            if (records.stream().noneMatch(s -> s.names(e) && e.status().equals(s.json().path("status").asText()))) {
                violations.add(new Violation("5-status-is-the-fold", id, "no backend-status record of the change to "
                        + e.status() + " at " + e.brief() + "; records naming it: " + records.stream()
                        .filter(s -> s.names(e)).map(s -> s.json().path("status").asText()).toList()));
                return;
            }
        }
    }

    /** The status of the last record naming an earlier event of {@code e}'s owner; null if there is none. */
    private static String latestEarlierRecordOfOwner(Event e, List<Event> accepted, List<Status> records) {
        List<Event> earlier = accepted.stream().filter(x -> x.owner().equals(e.owner()))
                .filter(x -> x.sequence() < e.sequence()).toList();
        String latest = null;
        for (Status s : records) {
            if (earlier.stream().anyMatch(s::names)) {
                latest = s.json().path("status").asText();
            }
        }
        return latest;
    }

    // ---- rule 7: the aggregators consumed every event -----------------------------------------

    /**
     * Rule 7: the aggregators' consumer group has committed, on every partition of {@code health-events},
     * beyond the partition's last event. With a status heartbeat the status records cannot show this: a task
     * stuck for the last heartbeat of a run, on a partition whose backends did not change, leaves records that
     * pass rule 5. Past the last data record rather than to the end offset, so a transaction marker after it
     * does not count.
     */
    private void aggregatorConsumedEveryEvent(List<Event> events, List<Violation> violations)
            throws InterruptedException {
        Map<Integer, Event> lastByPartition = new TreeMap<>();
        events.forEach(e -> lastByPartition.merge(e.partition(), e, (a, b) -> a.offset() >= b.offset() ? a : b));
        Map<TopicPartition, OffsetAndMetadata> committed;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                scenario.bootstrapServers()))) {
            committed = admin.listConsumerGroupOffsets(scenario.aggregatorApplicationId())
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not read the committed offsets of "
                    + scenario.aggregatorApplicationId(), e);
        }
        for (Map.Entry<Integer, Event> last : lastByPartition.entrySet()) {
            OffsetAndMetadata at = committed.get(new TopicPartition(scenario.eventsTopic(), last.getKey()));
            if (at == null || at.offset() <= last.getValue().offset()) {
                violations.add(new Violation("7-aggregator-consumed-every-event", "*", "application "
                        + scenario.aggregatorApplicationId() + " committed " + scenario.eventsTopic() + "-"
                        + last.getKey() + " up to " + (at == null ? "nothing" : "offset " + at.offset())
                        + ", its last event is " + last.getValue().brief()));
            }
        }
    }

    /**
     * The failover rule of docs/design.md §8.4: {@code last}'s owner took over from another owner and, up to
     * {@code last}, has not yet seen a failure followed by a success.
     */
    private static boolean tookOverWithoutFailureThenSuccess(List<Event> accepted, Event last) {
        List<Event> run = accepted.stream().filter(e -> e.owner().equals(last.owner()))
                .filter(e -> e.sequence() <= last.sequence())
                .sorted(Comparator.comparingLong(Event::sequence)).toList();
        boolean tookOver = accepted.stream().anyMatch(e -> ACCEPTANCE.compare(e, run.get(0)) < 0);
        boolean failed = false;
        for (Event e : run) {
            if (!SUCCESS.contains(e.outcome())) {
                failed = true;
            } else if (failed) {
                return false;
            }
        }
        return tookOver;
    }

    // ---- reading ---------------------------------------------------------------------------

    private Map<String, Registration> readRegistry() {
        Map<String, Registration> latest = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : readAll(scenario.registryTopic())) {
            latest.put(key(r), new Registration(r.partition(), r.offset(), r.value() == null));
        }
        return latest;
    }

    private List<Event> readEvents() {
        List<Event> events = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : readAll(scenario.eventsTopic())) {
            JsonNode e = parse(r);
            events.add(new Event(e.path("backendId").asText(), e.path("registration").path("partition").asInt(),
                    e.path("registration").path("offset").asLong(), e.path("sequence").asLong(),
                    e.path("monitorId").asText(), e.path("ownerEpoch").asLong(),
                    Instant.parse(e.path("checkedAt").asText()), e.path("outcome").asText(), e.path("status").asText(),
                    r.partition(), r.offset()));
        }
        return events;
    }

    /** Every backend's status records, in the order written (a backend's records share a partition). */
    private Map<String, List<Status>> readStatuses() {
        Map<String, List<Status>> all = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : readAll(scenario.statusTopic())) {
            all.computeIfAbsent(key(r), k -> new ArrayList<>()).add(new Status(r.value() == null ? null : parse(r)));
        }
        return all;
    }

    private JsonNode parse(ConsumerRecord<byte[], byte[]> r) {
        try {
            return json.readTree(r.value());
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable record " + r.topic() + "-" + r.partition() + "@" + r.offset(),
                    e);
        }
    }

    private static String key(ConsumerRecord<byte[], byte[]> r) {
        return new String(r.key(), StandardCharsets.UTF_8);
    }

    /** Every committed record of {@code topic}, up to its end (the last stable offset) when the read began. */
    private List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, scenario.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end " + end);
                }
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
        }
        return records;
    }
}
