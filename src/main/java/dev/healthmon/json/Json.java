package dev.healthmon.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ObjectMapper configuration of every record healthmon writes or reads as JSON
 * ({@code schemas/}): the records say their field names and order with annotations; this says
 * how values look:
 * <ul>
 *   <li>an absent {@code Optional}/{@code OptionalInt}/{@code OptionalLong}/{@code OptionalDouble}
 *       is omitted, never written as {@code null} (the schemas have no null fields);</li>
 *   <li>an {@code Instant} is ISO-8601 UTC text, {@code 2026-11-24T10:00:00.123Z}
 *       ({@link java.time.Instant#toString()}), not a number; that form is read by hand
 *       ({@link CanonicalInstants}), any other as the Java-time module reads it;</li>
 *   <li>map entries (labels) are written sorted by key, so equal records give equal bytes;</li>
 *   <li>reading, a field the record does not know is ignored (forward compatibility, as the
 *       schemas say).</li>
 * </ul>
 * A configured mapper is thread-safe; build one per process (composition root) and pass it on.
 */
public final class Json {

    /** How Jackson reports a missing {@code @JsonProperty(required = true)} component. */
    private static final Pattern MISSING = Pattern.compile("Missing required creator property '([^']+)'");

    private Json() {}

    /** A new mapper configured for healthmon's records. */
    public static ObjectMapper mapper() {
        return configure(new ObjectMapper());
    }

    /**
     * {@code mapper} if it is configured as {@link #mapper()} configures one, else a configured
     * copy of it: a codec given a plain {@code new ObjectMapper()} still writes the records as
     * {@code schemas/} says.
     */
    public static ObjectMapper configured(ObjectMapper mapper) {
        return isConfigured(mapper) ? mapper : configure(mapper.copy());
    }

    private static ObjectMapper configure(ObjectMapper mapper) {
        mapper.registerModule(new Jdk8Module())
                .registerModule(new JavaTimeModule())
                .registerModule(new CanonicalInstants()) // after the Java-time module, so it is asked first
                .setDefaultPropertyInclusion(JsonInclude.Include.NON_ABSENT)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                // What the schemas refuse: null for a number, a number for an enum, 7.9 or "7" for an integer.
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
        mapper.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        return mapper;
    }

    private static boolean isConfigured(ObjectMapper mapper) {
        return mapper.getRegisteredModuleIds().contains(new Jdk8Module().getTypeId())
                && mapper.getRegisteredModuleIds().contains(new JavaTimeModule().getTypeId())
                && mapper.getRegisteredModuleIds().contains(new CanonicalInstants().getTypeId())
                && !mapper.isEnabled(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                && mapper.isEnabled(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                && !mapper.isEnabled(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                && mapper.isEnabled(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                && mapper.isEnabled(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                && !mapper.isEnabled(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                && mapper.getSerializationConfig().getDefaultPropertyInclusion().getValueInclusion()
                        == JsonInclude.Include.NON_ABSENT;
    }

    /**
     * Why a record could not be read, in the words of the hand-written readers this mapping
     * replaced: {@code "checkedAt is missing"} for an absent or null required field (a record's
     * constructor refuses the null with the component's name), the record's own message for a
     * value it refuses, else {@code "field.path: "} and Jackson's message.
     */
    public static String problem(IOException e) {
        if (e instanceof ValueInstantiationException refused && refused.getCause() != null) {
            Throwable cause = refused.getCause();
            if (cause instanceof NullPointerException) {
                return (cause.getMessage() == null ? "a required field" : cause.getMessage()) + " is missing";
            }
            return cause.getMessage();
        }
        if (!(e instanceof JsonProcessingException p)) {
            return e.getMessage();
        }
        Matcher missing = MISSING.matcher(p.getOriginalMessage());
        if (missing.find()) {
            return missing.group(1) + " is missing";
        }
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            StringBuilder names = new StringBuilder();
            for (JsonMappingException.Reference r : m.getPath()) {
                String segment = r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]";
                names.append(names.isEmpty() || segment.startsWith("[") ? "" : ".").append(segment);
            }
            return names + ": " + p.getOriginalMessage();
        }
        return p.getOriginalMessage();
    }
}
