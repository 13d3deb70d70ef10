package dev.healthmon.aggregate;

import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.json.Json;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.Thresholds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * JSON of the aggregator's records. The published {@link BackendStatus} and {@link StatusTransition}
 * (as in {@code schemas/}) are mapped by the records' own annotations through {@link Json}. The store
 * values {@link TrackedBackend} and {@link StatusState} stay written by hand: their reader fills
 * defaults for fields that stores written by earlier versions lack ({@code longestIntervalMs},
 * {@code timeoutMs}, the applied event's {@code monitorId}, the recent {@code checks}), and
 * {@code StatusState} lays its {@link Flapping} out flat beside the view, which a mapping could only
 * express with creators and unwrapping longer than these lines. Thread-safe.
 */
public final class StatusJson {

    /** The fixed window of the versions that kept no timing per backend. */
    private static final Duration LEGACY_FENCE_WINDOW = Duration.ofMinutes(10);

    /** A check's outcome in the store; letters, not ordinals, so that reordering the enum cannot misread a store. */
    private static final Map<Outcome, String> OUTCOME_LETTERS = new EnumMap<>(Map.of(Outcome.HEALTHY, "H",
            Outcome.DEGRADED, "D", Outcome.UNHEALTHY, "U", Outcome.UNAUTHENTICATED, "A"));

    private final ObjectMapper mapper;
    private final ObjectReader statusReader;
    private final ObjectReader transitionReader;

    /** @param mapper the process's mapper ({@link Json#mapper()}); any other is used as a configured copy */
    public StatusJson(ObjectMapper mapper) {
        this.mapper = Json.configured(mapper);
        this.statusReader = this.mapper.readerFor(BackendStatus.class);
        this.transitionReader = this.mapper.readerFor(StatusTransition.class);
    }

    // ---- BackendStatus

    /** The status as the query API writes it in a page or alone. */
    public ObjectNode statusNode(BackendStatus s) {
        return mapper.valueToTree(s);
    }

    public byte[] encode(BackendStatus s) {
        return bytes(s);
    }

    /** @throws IllegalArgumentException when the bytes are not a BackendStatus */
    public BackendStatus decodeStatus(byte[] bytes) {
        return read(statusReader, bytes);
    }

    /** A status the query API wrote ({@link #statusNode}), e.g. an item of another instance's page. */
    BackendStatus status(JsonNode node) {
        return read(statusReader, node);
    }

    // ---- StatusTransition

    public ObjectNode transitionNode(StatusTransition t) {
        return mapper.valueToTree(t);
    }

    public byte[] encode(StatusTransition t) {
        return bytes(t);
    }

    /** @throws IllegalArgumentException when the bytes are not a StatusTransition */
    public StatusTransition decodeTransition(byte[] bytes) {
        return read(transitionReader, bytes);
    }

    StatusTransition transition(JsonNode node) {
        return read(transitionReader, node);
    }

    // ---- store values

    public byte[] encode(TrackedBackend b) {
        ObjectNode root = mapper.createObjectNode();
        root.put("id", b.id());
        root.put("name", b.name());
        putLabels(root, b.labels());
        root.put("partition", b.version().partition());
        root.put("offset", b.version().offset());
        root.put("unhealthyThreshold", b.thresholds().unhealthy());
        root.put("healthyThreshold", b.thresholds().healthy());
        root.put("longestIntervalMs", b.longestInterval().toMillis());
        root.put("timeoutMs", b.timeout().toMillis());
        root.put("checkingFingerprint", b.checkingFingerprint());
        return bytes(root);
    }

    public TrackedBackend decodeTracked(byte[] bytes) {
        JsonNode n = tree(bytes);
        return new TrackedBackend(text(n, "id"), text(n, "name"), labels(n),
                new RegistrationVersion(n.path("partition").asInt(), n.path("offset").asLong()),
                new Thresholds(n.path("unhealthyThreshold").asInt(), n.path("healthyThreshold").asInt()),
                // Stores written before the per-backend fence window kept no timing: 10 min, the old fixed window.
                Duration.ofMillis(n.path("longestIntervalMs").asLong(LEGACY_FENCE_WINDOW.toMillis())),
                Duration.ofMillis(n.path("timeoutMs").asLong(0)),
                text(n, "checkingFingerprint"));
    }

    public byte[] encode(StatusState s) {
        ObjectNode root = mapper.createObjectNode();
        root.set("view", statusNode(s.view()));
        s.applied().ifPresent(a -> {
            ObjectNode applied = root.putObject("applied");
            applied.put("monitorId", a.monitorId());
            applied.put("ownerEpoch", a.ownerEpoch());
            applied.put("registrationOffset", a.registrationOffset());
            applied.put("sequence", a.sequence());
            applied.put("checkedAt", a.checkedAt().toString());
        });
        ArrayNode recent = root.putArray("recent");
        s.flapping().recent().forEach(status -> recent.add(status.name()));
        root.put("flapping", s.flapping().flapping());
        ObjectNode availability = root.putObject("availability");
        availability.put("newestMs", s.availability().newestMs());
        putBuckets(availability.putArray("minutes"), s.availability().minutes());
        putBuckets(availability.putArray("quarters"), s.availability().quarters());
        ArrayNode history = root.putArray("history");
        s.history().forEach(t -> history.add(transitionNode(t)));
        putChecks(root.putArray("checks"), s.checks());
        return bytes(root);
    }

    public StatusState decodeState(byte[] bytes) {
        JsonNode n = tree(bytes);
        JsonNode a = n.get("applied");
        Optional<StatusState.Applied> applied = a == null ? Optional.empty() : Optional.of(new StatusState.Applied(
                a.path("monitorId").asText(""), a.path("ownerEpoch").asInt(), a.path("registrationOffset").asLong(),
                a.path("sequence").asLong(),
                Instant.parse(text(a, "checkedAt"))));
        List<HealthStatus> recent = new ArrayList<>();
        n.path("recent").forEach(s -> recent.add(HealthStatus.valueOf(s.asText())));
        JsonNode av = n.path("availability");
        List<StatusTransition> history = new ArrayList<>();
        n.path("history").forEach(t -> history.add(transition(t)));
        return new StatusState(status(n.path("view")), applied,
                new Flapping(recent, n.path("flapping").asBoolean()),
                new Availability(av.path("newestMs").asLong(), buckets(av.path("minutes")),
                        buckets(av.path("quarters"))),
                history, storedChecks(n.path("checks")));
    }

    // ---- recent checks

    /** One check as the query API shows it ({@code GET /api/checks}): readable, unlike the store's layout. */
    ObjectNode checkNode(RecentChecks.Check c) {
        return mapper.createObjectNode().put("at", c.at().toString()).put("outcome", c.outcome().name())
                .put("latencyMs", c.latencyMs());
    }

    /** The checks of an item another instance's {@code /api/checks} answered ({@link #checkNode} each). */
    RecentChecks checks(JsonNode array) {
        List<RecentChecks.Check> checks = new ArrayList<>();
        array.forEach(c -> checks.add(new RecentChecks.Check(Instant.parse(text(c, "at")),
                Outcome.valueOf(text(c, "outcome")), c.path("latencyMs").asLong())));
        return new RecentChecks(checks);
    }

    /**
     * In the store the checks are one flat array of triples {@code time, outcome letter, latencyMs}, the first time
     * in epoch milliseconds and each next one as milliseconds after the one before: 30 checks a minute apart take
     * about 420 bytes, against 690 as {@code [epochMillis, letter, latency]} arrays and 1,800 as objects with ISO
     * times, and the store value is rewritten on every event.
     */
    private static void putChecks(ArrayNode array, RecentChecks checks) {
        long previousMs = 0;
        for (RecentChecks.Check c : checks.checks()) {
            long ms = c.at().toEpochMilli();
            array.add(ms - previousMs).add(OUTCOME_LETTERS.get(c.outcome())).add(c.latencyMs());
            previousMs = ms;
        }
    }

    /** Stores written before the ticks existed have no {@code checks}: none, and they fill from the next event. */
    private static RecentChecks storedChecks(JsonNode array) {
        if (array.size() % 3 != 0) {
            throw new IllegalArgumentException("checks: " + array.size() + " values, not triples");
        }
        List<RecentChecks.Check> checks = new ArrayList<>();
        long ms = 0;
        for (int i = 0; i < array.size(); i += 3) {
            ms += array.get(i).asLong();
            checks.add(new RecentChecks.Check(Instant.ofEpochMilli(ms), outcome(array.get(i + 1).asText()),
                    array.get(i + 2).asLong()));
        }
        return new RecentChecks(checks);
    }

    private static Outcome outcome(String letter) {
        return OUTCOME_LETTERS.entrySet().stream().filter(e -> e.getValue().equals(letter)).map(Map.Entry::getKey)
                .findFirst().orElseThrow(() -> new IllegalArgumentException("checks: no outcome \"" + letter + "\""));
    }

    // ---- helpers

    private static void putBuckets(ArrayNode array, List<Availability.Bucket> buckets) {
        buckets.forEach(b -> array.addArray().add(b.startMs()).add(b.up()).add(b.total()));
    }

    private static List<Availability.Bucket> buckets(JsonNode array) {
        List<Availability.Bucket> buckets = new ArrayList<>();
        array.forEach(b -> buckets.add(new Availability.Bucket(b.get(0).asLong(), b.get(1).asInt(), b.get(2).asInt())));
        return buckets;
    }

    private static void putLabels(ObjectNode root, Map<String, String> labels) {
        ObjectNode node = root.putObject("labels");
        new TreeMap<>(labels).forEach(node::put);
    }

    private static Map<String, String> labels(JsonNode n) {
        Map<String, String> labels = new LinkedHashMap<>();
        n.path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        return labels;
    }

    private static String text(JsonNode parent, String field) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            throw new IllegalArgumentException(field + " is missing");
        }
        return node.asText();
    }

    private JsonNode tree(byte[] bytes) {
        try {
            return mapper.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
    }

    private byte[] bytes(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T read(ObjectReader reader, byte[] bytes) {
        try {
            return reader.readValue(bytes);
        } catch (StreamReadException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException(Json.problem(e), e);
        }
    }

    private static <T> T read(ObjectReader reader, JsonNode node) {
        try {
            return reader.readValue(node);
        } catch (IOException e) {
            throw new IllegalArgumentException(Json.problem(e), e);
        }
    }
}
