package dev.healthmon.aggregate;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * JSON of the aggregator's records, and the door to its store values. The published {@link
 * BackendStatus} and {@link StatusTransition} (as in {@code schemas/}) are mapped by the records' own
 * annotations through {@link Json}. The store values {@link TrackedBackend} and {@link StatusState}
 * are written in a binary format ({@link StatusStoreCodec}); the JSON that versions before it wrote is
 * still read here, by hand: that reader fills defaults for fields that stores written by earlier
 * versions lack ({@code longestIntervalMs}, {@code timeoutMs}, the applied event's {@code monitorId}),
 * and {@code StatusState} laid its {@link Flapping} out flat beside the view. Thread-safe.
 */
public final class StatusJson {

    /** The fixed window of the versions that kept no timing per backend. */
    static final Duration LEGACY_FENCE_WINDOW = Duration.ofMinutes(10);

    private final ObjectMapper mapper;
    private final ObjectReader statusReader;
    private final ObjectReader transitionReader;
    /** Writers bound to their type: the mapper looks the root serializer up on every call (JFR, BENCHMARKS.md). */
    private final ObjectWriter statusWriter;
    private final ObjectWriter transitionWriter;

    /** @param mapper the process's mapper ({@link Json#mapper()}); any other is used as a configured copy */
    public StatusJson(ObjectMapper mapper) {
        this.mapper = Json.configured(mapper);
        this.statusReader = this.mapper.readerFor(BackendStatus.class);
        this.transitionReader = this.mapper.readerFor(StatusTransition.class);
        this.statusWriter = this.mapper.writerFor(BackendStatus.class);
        this.transitionWriter = this.mapper.writerFor(StatusTransition.class);
    }

    // ---- BackendStatus

    /** The status as the query API writes it in a page or alone. */
    public ObjectNode statusNode(BackendStatus s) {
        return mapper.valueToTree(s);
    }

    public byte[] encode(BackendStatus s) {
        return bytes(statusWriter, s);
    }

    /** @throws IllegalArgumentException when the bytes are not a BackendStatus */
    public BackendStatus decodeStatus(byte[] bytes) {
        return read(statusReader, bytes);
    }

    /** A status as a JSON tree: the view in a store value an earlier version wrote as JSON. */
    BackendStatus status(JsonNode node) {
        return read(statusReader, node);
    }

    /** A status the query API wrote, read from its tokens (an item of another instance's page as it arrives). */
    BackendStatus status(JsonParser item) {
        return read(statusReader, item);
    }

    // ---- StatusTransition

    public ObjectNode transitionNode(StatusTransition t) {
        return mapper.valueToTree(t);
    }

    public byte[] encode(StatusTransition t) {
        return bytes(transitionWriter, t);
    }

    /** @throws IllegalArgumentException when the bytes are not a StatusTransition */
    public StatusTransition decodeTransition(byte[] bytes) {
        return read(transitionReader, bytes);
    }

    StatusTransition transition(JsonNode node) {
        return read(transitionReader, node);
    }

    StatusTransition transition(JsonParser item) {
        return read(transitionReader, item);
    }

    // ---- store values: written in the binary format (StatusStoreCodec); JSON of earlier versions still read

    /** The {@code registrations} store value, in the binary format ({@link StatusStoreCodec}). */
    public byte[] encode(TrackedBackend b) {
        return StatusStoreCodec.encode(b);
    }

    /**
     * Reads a {@code registrations} store value: binary, or JSON as versions before the binary format wrote it.
     *
     * @throws IllegalArgumentException whatever makes the value unreadable, in either format
     */
    public TrackedBackend decodeTracked(byte[] bytes) {
        return StatusStoreCodec.isBinary(bytes) ? StatusStoreCodec.decodeTracked(bytes) : legacy(bytes,
                this::legacyTracked);
    }

    /**
     * A JSON store value read by {@code reader}; any failure is an {@link IllegalArgumentException}, as the binary
     * codec's: valid JSON of the wrong shape ({@code {"view": null}}, a bucket {@code [1]}) failed with a
     * NullPointerException or an index out of bounds, which the store's readers take for a bug, so that one such value
     * stopped the stream thread after every restart and failed every query that read it.
     */
    private static <T> T legacy(byte[] bytes, Function<byte[], T> reader) {
        try {
            return reader.apply(bytes);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("a JSON store value of the wrong shape: " + e, e);
        }
    }

    private TrackedBackend legacyTracked(byte[] bytes) {
        JsonNode n = tree(bytes);
        return new TrackedBackend(text(n, "id"), text(n, "name"), labels(n),
                new RegistrationVersion(n.path("partition").asInt(), n.path("offset").asLong()),
                new Thresholds(n.path("unhealthyThreshold").asInt(), n.path("healthyThreshold").asInt()),
                // Stores written before the per-backend fence window kept no timing: 10 min, the old fixed window.
                Duration.ofMillis(n.path("longestIntervalMs").asLong(LEGACY_FENCE_WINDOW.toMillis())),
                Duration.ofMillis(n.path("timeoutMs").asLong(0)),
                text(n, "checkingFingerprint"));
    }

    /** The {@code statuses} store value, in the binary format ({@link StatusStoreCodec}). */
    public byte[] encode(StatusState s) {
        return StatusStoreCodec.encode(s);
    }

    /**
     * Reads a {@code statuses} store value: binary, or JSON as versions before the binary format wrote it.
     *
     * @throws IllegalArgumentException whatever makes the value unreadable, in either format
     */
    public StatusState decodeState(byte[] bytes) {
        return StatusStoreCodec.isBinary(bytes) ? StatusStoreCodec.decodeState(bytes) : legacy(bytes,
                this::legacyState);
    }

    private StatusState legacyState(byte[] bytes) {
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
                // No version that wrote JSON store values kept the recent checks: they fill from the next event.
                history, RecentChecks.NONE);
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

    /** An item of another instance's {@code /api/checks} page, read from its tokens: the backend's id and checks. */
    Map.Entry<String, RecentChecks> checksItem(JsonParser item) {
        JsonNode node;
        try {
            node = mapper.readTree(item);
        } catch (IOException e) {
            throw new IllegalArgumentException(Json.problem(e), e);
        }
        return Map.entry(node.path("id").asText(), checks(node.path("checks")));
    }

    // ---- helpers

    private static List<Availability.Bucket> buckets(JsonNode array) {
        List<Availability.Bucket> buckets = new ArrayList<>();
        array.forEach(b -> buckets.add(new Availability.Bucket(b.get(0).asLong(), b.get(1).asInt(), b.get(2).asInt())));
        return buckets;
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

    private static byte[] bytes(ObjectWriter writer, Object value) {
        try {
            return writer.writeValueAsBytes(value);
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

    private static <T> T read(ObjectReader reader, JsonParser parser) {
        try {
            return reader.readValue(parser);
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
