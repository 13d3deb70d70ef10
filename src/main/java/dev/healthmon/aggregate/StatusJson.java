package dev.healthmon.aggregate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Reason;
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
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * JSON of the aggregator's records: the published {@link BackendStatus} and
 * {@link StatusTransition} (as in {@code schemas/}), and the store values {@link TrackedBackend}
 * and {@link StatusState}. Thread-safe.
 */
public final class StatusJson {

    /** The fixed window of the versions that kept no timing per backend. */
    private static final Duration LEGACY_FENCE_WINDOW = Duration.ofMinutes(10);

    private final ObjectMapper mapper;

    public StatusJson(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    // ---- BackendStatus

    public ObjectNode statusNode(BackendStatus s) {
        ObjectNode root = mapper.createObjectNode();
        root.put("schemaVersion", BackendStatus.SCHEMA_VERSION);
        root.put("id", s.id());
        root.put("name", s.name());
        putLabels(root, s.labels());
        root.put("status", s.status().name());
        s.reason().ifPresent(r -> root.put("reason", r.name()));
        root.put("since", s.since().toString());
        s.lastCheckedAt().ifPresent(t -> root.put("lastCheckedAt", t.toString()));
        s.latencyMs().ifPresent(l -> root.put("latencyMs", l));
        root.put("consecutiveFailures", s.consecutiveFailures());
        root.put("consecutiveSuccesses", s.consecutiveSuccesses());
        root.put("flapping", s.flapping());
        ObjectNode availability = root.putObject("availability");
        s.availability().lastHour().ifPresent(v -> availability.put("lastHour", v));
        s.availability().lastDay().ifPresent(v -> availability.put("lastDay", v));
        s.lastFailure().ifPresent(f -> {
            ObjectNode failure = root.putObject("lastFailure");
            failure.put("kind", f.failure().kind().name());
            failure.put("message", f.failure().message());
            f.failure().httpStatus().ifPresent(code -> failure.put("httpStatus", code));
            failure.put("at", f.at().toString());
        });
        s.checkedBy().ifPresent(m -> root.put("checkedBy", m));
        s.ownerEpoch().ifPresent(e -> root.put("ownerEpoch", e));
        ObjectNode registration = root.putObject("registration");
        registration.put("partition", s.registration().partition());
        registration.put("offset", s.registration().offset());
        return root;
    }

    public byte[] encode(BackendStatus s) {
        return bytes(statusNode(s));
    }

    public BackendStatus decodeStatus(byte[] bytes) {
        return status(tree(bytes));
    }

    BackendStatus status(JsonNode n) {
        JsonNode availability = n.path("availability");
        JsonNode failure = n.get("lastFailure");
        return new BackendStatus(
                text(n, "id"), text(n, "name"), labels(n), HealthStatus.valueOf(text(n, "status")),
                optionalText(n, "reason").map(Reason::valueOf), Instant.parse(text(n, "since")),
                optionalText(n, "lastCheckedAt").map(Instant::parse),
                n.has("latencyMs") ? OptionalLong.of(n.get("latencyMs").asLong()) : OptionalLong.empty(),
                n.path("consecutiveFailures").asInt(), n.path("consecutiveSuccesses").asInt(),
                n.path("flapping").asBoolean(),
                new Availability.Figures(fraction(availability, "lastHour"), fraction(availability, "lastDay")),
                failure == null ? Optional.empty() : Optional.of(new BackendStatus.LastFailure(new Failure(
                        FailureKind.valueOf(text(failure, "kind")), text(failure, "message"),
                        failure.has("httpStatus") ? OptionalInt.of(failure.get("httpStatus").asInt())
                        : OptionalInt.empty()),
                        Instant.parse(text(failure, "at")))),
                optionalText(n, "checkedBy"),
                n.has("ownerEpoch") ? OptionalInt.of(n.get("ownerEpoch").asInt()) : OptionalInt.empty(),
                new RegistrationVersion(n.path("registration").path("partition").asInt(),
                        n.path("registration").path("offset").asLong()));
    }

    // ---- StatusTransition

    public ObjectNode transitionNode(StatusTransition t) {
        ObjectNode root = mapper.createObjectNode();
        root.put("schemaVersion", StatusTransition.SCHEMA_VERSION);
        root.put("backendId", t.backendId());
        root.put("name", t.name());
        putLabels(root, t.labels());
        root.put("kind", t.kind().name());
        root.put("from", t.from().name());
        root.put("to", t.to().name());
        t.reason().ifPresent(r -> root.put("reason", r.name()));
        root.put("at", t.at().toString());
        return root;
    }

    public byte[] encode(StatusTransition t) {
        return bytes(transitionNode(t));
    }

    public StatusTransition decodeTransition(byte[] bytes) {
        return transition(tree(bytes));
    }

    StatusTransition transition(JsonNode n) {
        return new StatusTransition(text(n, "backendId"), text(n, "name"), labels(n),
                StatusTransition.Kind.valueOf(text(n, "kind")), HealthStatus.valueOf(text(n, "from")),
                HealthStatus.valueOf(text(n, "to")), optionalText(n, "reason").map(Reason::valueOf),
                Instant.parse(text(n, "at")));
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
        return new StatusState(status(n.path("view")), applied, new Flapping(recent, n.path("flapping").asBoolean()),
                new Availability(av.path("newestMs").asLong(), buckets(av.path("minutes")),
                buckets(av.path("quarters"))),
                history);
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

    private static OptionalDouble fraction(JsonNode parent, String field) {
        return parent.has(field) ? OptionalDouble.of(parent.get(field).asDouble()) : OptionalDouble.empty();
    }

    private static String text(JsonNode parent, String field) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            throw new IllegalArgumentException(field + " is missing");
        }
        return node.asText();
    }

    private static Optional<String> optionalText(JsonNode parent, String field) {
        JsonNode node = parent.get(field);
        return node == null || node.isNull() ? Optional.empty() : Optional.of(node.asText());
    }

    private JsonNode tree(byte[] bytes) {
        try {
            return mapper.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
    }

    private byte[] bytes(JsonNode node) {
        try {
            return mapper.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
