package dev.healthmon.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.healthmon.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * JSON for {@link HealthEvent}, as {@code schemas/health-event.v1.schema.json} says, through the
 * mapping the record declares ({@link Json}): absent optionals are omitted, times are ISO-8601 UTC.
 * Thread-safe.
 *
 * <p>Measured against the hand-written tree codec this replaced (issue #13's rule: keep it by hand if
 * the mapping encodes more than 10 % slower), in thread CPU time on the 2-core host, 2 × 31 interleaved
 * rounds ({@code EventCodecAbBench}, docs/BENCHMARKS.md): encode 0.91–1.10 µs against 1.37–1.68 µs,
 * 33–35 % less; decode 3.7–4.7 µs against 3.1–3.7 µs, 20–26 % more, because it read a tree first to
 * refuse any {@code schemaVersion} but 1 before binding; events as {@link #encode} writes them are now
 * bound in one pass ({@link #decode}).
 */
public final class HealthEventCodec {

    private final ObjectWriter writer;
    private final ObjectReader reader;
    private final ObjectReader onePass;

    /** How every event {@link #encode} writes starts. */
    private static final byte[] VERSION_1 = ("{\"schemaVersion\":" + HealthEvent.SCHEMA_VERSION + ",")
            .getBytes(StandardCharsets.US_ASCII);

    /** @param mapper the process's mapper ({@link Json#mapper()}); any other is used as a configured copy */
    public HealthEventCodec(ObjectMapper mapper) {
        ObjectMapper configured = Json.configured(mapper);
        this.writer = configured.writerFor(HealthEvent.class);
        this.reader = configured.readerFor(HealthEvent.class);
        this.onePass = reader.with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
    }

    public byte[] encode(HealthEvent e) {
        try {
            return writer.writeValueAsBytes(e);
        } catch (JsonProcessingException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * The event as its writer wrote it: when the bytes start as {@link #encode} starts them
     * ({@code {"schemaVersion":1,}), bound in one pass, refusing duplicate keys; anything else, and
     * anything that pass refuses, read as a tree first ({@link #decodeThroughTree}), so what is accepted
     * or refused, and the reason given, are the tree's. The tree was 30 % of an event's decoding in the
     * aggregator (JFR, docs/BENCHMARKS.md).
     *
     * @throws IllegalArgumentException when the bytes are not a version-1 HealthEvent
     */
    public HealthEvent decode(byte[] bytes) {
        if (startsWith(bytes, VERSION_1)) {
            try {
                return onePass.readValue(bytes);
            } catch (IOException ex) {
                // refused in one pass (a duplicate key too): the tree reads it and gives the reason
            }
        }
        return decodeThroughTree(bytes);
    }

    /** Reads a tree, refuses any {@code schemaVersion} but 1 (the last one given, if repeated), binds the tree. */
    HealthEvent decodeThroughTree(byte[] bytes) {
        JsonNode n;
        try {
            n = reader.readTree(bytes);
        } catch (IOException ex) {
            throw new IllegalArgumentException("not JSON: " + ex.getMessage(), ex);
        }
        if (n == null || n.path("schemaVersion").asInt() != HealthEvent.SCHEMA_VERSION) {
            throw new IllegalArgumentException("not a version-1 HealthEvent");
        }
        try {
            return reader.readValue(n);
        } catch (IOException ex) {
            throw new IllegalArgumentException("not a HealthEvent: " + Json.problem(ex), ex);
        }
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return bytes.length > prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }
}
