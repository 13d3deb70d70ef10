package dev.healthmon.registration;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.healthmon.json.Json;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.status.UntrustedText;
import dev.healthmon.target.TargetPolicy;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns {@code backend-registry} records into {@link DecodedRegistration}s and registrations back
 * into JSON (written through the record's mapping, {@link BackendRegistration}). Decoding never
 * throws: every problem becomes {@link DecodedRegistration.Invalid} naming the field and why.
 * Fields the schema does not know are ignored, for forward compatibility. Thread-safe.
 *
 * <p>The rules are checked here in Java first, so that a dead-letter reason names the field and the rule in
 * words operators and the corpus tests rely on ({@code transport: must be one of streamable-http, sse, http;
 * was "stdio"}, {@code url: must not carry credentials}, a pasted secret never echoed), which a validator's
 * keyword messages do not give; then the record is validated against the shipped
 * {@code schemas/backend-registration.v1.schema.json} ({@link RegistrationSchema}), so nothing the schema
 * refuses is ever checked even where a Java rule is missing. That costs ~2.6 µs per decode (docs/BENCHMARKS.md),
 * paid once per registration record, never per check.
 */
public final class RegistrationCodec {

    public static final int SCHEMA_VERSION = 1;
    /** The largest value accepted; larger ones are dead-lettered (Kafka's default max is 1 MiB too). */
    public static final int MAX_VALUE_BYTES = 1024 * 1024;
    public static final Pattern ID_PATTERN = Pattern.compile("[A-Za-z0-9._-]{1,200}");
    private static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9._/-]{1,63}");
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}");
    /** Headers the HTTP clients set themselves, or that change the framing of the request. */
    private static final Set<String> RESTRICTED_HEADERS = Set.of("connection", "content-length",
            "expect", "host", "upgrade", "transfer-encoding", "te", "trailer", "keep-alive", "proxy-connection");
    private static final int MAX_LABELS = 64;
    /** The port of an authority (an IPv6 literal ends with ']', so its colons never match). */
    private static final Pattern PORT = Pattern.compile(":([0-9]+)$");
    /** Equal settings are shared between backends: see {@link Interner}. */
    private static final Interner<CheckSettings> SHARED_SETTINGS = new Interner<>(4096);
    private static final Interner<HealthCheckOverrides> SHARED_OVERRIDES = new Interner<>(4096);
    private static final int MAX_TEXT = 256;

    private final ObjectWriter writer;
    /**
     * Strict: a repeated key would let two readers of one record see two registrations (the schema
     * cannot say this), and content after the object is not part of any registration.
     */
    private final ObjectReader reader;
    private final CheckDefaults defaults;
    private final TargetPolicy targets;
    private final Optional<SecretCatalog> secrets;
    private final RegistrationSchema schema;

    public RegistrationCodec(ObjectMapper mapper, CheckDefaults defaults) {
        this(mapper, defaults, TargetPolicy.DEFAULT);
    }

    /** A codec that checks the schema only: {@code auth.secretRef} must be a secret's name, declared or not. */
    public RegistrationCodec(ObjectMapper mapper, CheckDefaults defaults, TargetPolicy targets) {
        this(mapper, defaults, targets, Optional.empty());
    }

    /**
     * The monitor's codec: also refuses a registration whose {@code auth.secretRef} is not declared in
     * {@code secrets}, or whose request URL is not within that secret's allowed targets.
     */
    public RegistrationCodec(ObjectMapper mapper, CheckDefaults defaults, TargetPolicy targets, SecretCatalog secrets) {
        this(mapper, defaults, targets, Optional.of(secrets));
    }

    private RegistrationCodec(ObjectMapper mapper, CheckDefaults defaults, TargetPolicy targets,
                              Optional<SecretCatalog> secrets) {
        this(mapper, defaults, targets, secrets, RegistrationSchema.SHIPPED);
    }

    /** With another schema than the shipped one: for tests that show the schema has the last word. */
    RegistrationCodec(ObjectMapper mapper, CheckDefaults defaults, TargetPolicy targets,
            Optional<SecretCatalog> secrets,
                      RegistrationSchema schema) {
        this.schema = schema;
        this.writer = Json.configured(mapper).writerFor(BackendRegistration.class);
        this.reader = mapper.reader().with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
        this.defaults = defaults;
        this.targets = targets;
        this.secrets = secrets;
    }

    /** Decodes one record. {@code key} and {@code value} are the raw bytes; a null value is a tombstone. */
    public DecodedRegistration decode(byte[] key, byte[] value) {
        String id = key == null ? "" : new String(key, StandardCharsets.UTF_8);
        try {
            if (key == null) {
                throw new InvalidRegistrationException("$key", "record has no key; the key must be the backend id");
            }
            if (value == null) {
                requireId("$key", id);
                return new DecodedRegistration.Tombstone(id);
            }
            if (value.length > MAX_VALUE_BYTES) {
                throw new InvalidRegistrationException("$", "value is " + value.length + " bytes, more than the "
                        + MAX_VALUE_BYTES + " allowed");
            }
            Parsed parsed = parse(value);
            BackendRegistration registration = parsed.registration();
            if (!registration.id().equals(id)) {
                throw new InvalidRegistrationException("id", "must equal the record key \"" + printable(id)
                        + "\", was \"" + registration.id() + "\"");
            }
            CheckSettings settings = SHARED_SETTINGS.intern(
                    CheckSettings.resolve(registration.healthCheck(), registration.transport(), defaults));
            // a path that makes no valid URL fails here, not on every check
            URI httpTarget = HttpTarget.of(registration.url(), settings.path());
            targets.refusalOfLiteral(registration.url()).ifPresent(reason -> {
                throw new InvalidRegistrationException("url", reason);
            });
            if (secrets.isPresent() && registration.auth().isPresent()) {
                // Judge the URL the probe will request with the secret: an http check appends healthCheck.path.
                URI requested = settings.type() == CheckType.HTTP ? httpTarget : registration.url();
                secrets.get().refusal(registration.auth().get().secretRef(), requested).ifPresent(reason -> {
                    throw new InvalidRegistrationException("auth.secretRef", reason);
                });
            }
            // Last, so that every rule above keeps its own words; the schema catches whatever they miss.
            schema.refusal(parsed.root()).ifPresent(refusal -> {
                throw refusal;
            });
            return new DecodedRegistration.Valid(registration, settings);
        } catch (InvalidRegistrationException e) {
            return new DecodedRegistration.Invalid(id, e);
        }
    }

    /** Parses and validates a value without a key, as {@code healthmon register} does before publishing. */
    public DecodedRegistration decodeValue(byte[] value) {
        try {
            BackendRegistration registration = parse(value).registration();
            return decode(registration.id().getBytes(StandardCharsets.UTF_8), value);
        } catch (InvalidRegistrationException e) {
            return new DecodedRegistration.Invalid("", e);
        }
    }

    private Parsed parse(byte[] value) {
        JsonNode root;
        try (JsonParser parser = reader.createParser(value)) {
            root = reader.readTree(parser);
            requireNothingAfter(parser);
        } catch (JsonProcessingException e) {
            if (e.getOriginalMessage().startsWith("Duplicate field")) {
                throw duplicateField(e);
            }
            throw new InvalidRegistrationException("$", "not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidRegistrationException("$", "not readable: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidRegistrationException("$", "must be a JSON object");
        }
        JsonNode version = root.get("schemaVersion");
        if (version == null || !version.isInt() || version.intValue() != SCHEMA_VERSION) {
            throw new InvalidRegistrationException("schemaVersion", "must be " + SCHEMA_VERSION + ", was " + version);
        }
        String id = requireId("id", text(root, "id", true).orElseThrow());
        String name = text(root, "name", false).orElse(id);
        if (characters(name) > MAX_TEXT) {
            throw new InvalidRegistrationException("name", "must be at most " + MAX_TEXT + " characters");
        }
        URI url = url(text(root, "url", true).orElseThrow());
        String transportName = text(root, "transport", true).orElseThrow();
        Transport transport = Transport.fromWire(transportName).orElseThrow(() -> new InvalidRegistrationException(
                "transport", "must be one of streamable-http, sse, http; was \"" + printable(transportName) + "\""));
        return new Parsed(root, new BackendRegistration(id, name, url, transport,
                healthCheck(root.get("healthCheck")), auth(root.get("auth")), labels(root.get("labels"))));
    }

    /** A value read: its JSON (for the schema) and what it says. */
    private record Parsed(JsonNode root, BackendRegistration registration) {}

    /** Whitespace may follow the value; anything else, a token or not, is refused. */
    private static void requireNothingAfter(JsonParser parser) throws IOException {
        boolean more;
        try {
            more = parser.nextToken() != null;
        } catch (JsonProcessingException e) {
            more = true;
        }
        if (more) {
            throw new InvalidRegistrationException("$", "trailing content after the JSON object");
        }
    }

    /** Names the repeated field by its JSON path, e.g. {@code healthCheck.timeoutMs}. */
    private static InvalidRegistrationException duplicateField(JsonProcessingException e) {
        String path = "$";
        if (e.getProcessor() instanceof JsonParser parser) {
            StringBuilder names = new StringBuilder();
            for (JsonStreamContext c = parser.getParsingContext(); c != null && !c.inRoot(); c = c.getParent()) {
                String segment = c.inArray() ? "[" + c.getCurrentIndex() + "]" : c.getCurrentName();
                if (segment != null) {
                    names.insert(0, names.isEmpty() || names.charAt(0) == '[' ? segment : segment + ".");
                }
            }
            path = names.isEmpty() ? "$" : printable(names.toString());
        }
        return new InvalidRegistrationException(path, "duplicate field: a key may appear once in an object");
    }

    private static String requireId(String field, String id) {
        if (!ID_PATTERN.matcher(id).matches()) {
            throw new InvalidRegistrationException(field, "must match [A-Za-z0-9._-]{1,200}, was \"" + printable(id)
                    + "\"");
        }
        return id;
    }

    private static URI url(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new InvalidRegistrationException("url", "not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new InvalidRegistrationException("url",
                    "scheme must be http or https, was \"" + printable(scheme) + "\"");
        }
        String authority = uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
        Matcher port = PORT.matcher(authority);
        if (port.find() && !validPort(port.group(1))) {
            // java.net.URI accepts any number of digits, and above 2^31 it finds no host at all.
            throw new InvalidRegistrationException("url", "port " + printable(port.group(1)) + " is outside 1-65535");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new InvalidRegistrationException("url", "must name a host");
        }
        if (uri.getRawUserInfo() != null) {
            throw new InvalidRegistrationException("url", "must not carry credentials; use auth.secretRef");
        }
        return uri;
    }

    private static boolean validPort(String digits) {
        String significant = digits.replaceFirst("^0+(?=.)", "");
        if (significant.length() > 5) {
            return false;
        }
        int port = Integer.parseInt(significant);
        return port >= 1 && port <= 65535;
    }

    private static HealthCheckOverrides healthCheck(JsonNode node) {
        if (node == null || node.isNull()) {
            return HealthCheckOverrides.NONE;
        }
        if (!node.isObject()) {
            throw new InvalidRegistrationException("healthCheck", "must be an object");
        }
        Optional<CheckType> type = text(node, "type", false, "healthCheck.").map(t -> CheckType.fromWire(t)
                .orElseThrow(() -> new InvalidRegistrationException("healthCheck.type",
                        "must be one of mcp, http, tcp; was \"" + printable(t) + "\"")));
        Optional<StatusRanges> expect = text(node, "expectStatus", false, "healthCheck.").map(s -> {
            try {
                return StatusRanges.parse(s);
            } catch (IllegalArgumentException e) {
                throw new InvalidRegistrationException("healthCheck.expectStatus", e.getMessage());
            }
        });
        return SHARED_OVERRIDES.intern(new HealthCheckOverrides(type,
                text(node, "path", false, "healthCheck.").filter(path -> !path.isEmpty()), expect, // "" is no path
                longField(node, "intervalMs"), longField(node, "timeoutMs"),
                intField(node, "unhealthyThreshold"), intField(node, "healthyThreshold"),
                longField(node, "degradedLatencyMs"), longField(node, "initialDelayMs"),
                intField(node, "jitterPercent"), longField(node, "unhealthyIntervalMs"),
                longField(node, "healthyEdgeIntervalMs"), longField(node, "unhealthyEdgeIntervalMs"),
                text(node, "mcpMethod", false, "healthCheck.").map(m -> McpMethod.fromWire(m)
                        .orElseThrow(() -> new InvalidRegistrationException("healthCheck.mcpMethod",
                                "must be ping or tools/list; was \"" + printable(m) + "\""))),
                text(node, "mcpSession", false, "healthCheck.").map(m -> McpSessionMode.fromWire(m)
                        .orElseThrow(() -> new InvalidRegistrationException("healthCheck.mcpSession",
                                "must be reuse or fresh; was \"" + printable(m) + "\"")))));
    }

    private static Optional<Long> longField(JsonNode parent, String field) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            throw new InvalidRegistrationException("healthCheck." + field, "must be a whole number, was " + node);
        }
        return Optional.of(node.longValue());
    }

    private static Optional<Integer> intField(JsonNode parent, String field) {
        return longField(parent, field).map(v -> {
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw new InvalidRegistrationException("healthCheck." + field, "is out of range: " + v);
            }
            return v.intValue();
        });
    }

    private static Optional<AuthSpec> auth(JsonNode node) {
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isObject()) {
            throw new InvalidRegistrationException("auth", "must be an object");
        }
        String typeName = text(node, "type", true, "auth.").orElseThrow();
        AuthSpec.Type type = switch (typeName) {
            case "bearer" -> AuthSpec.Type.BEARER;
            case "header" -> AuthSpec.Type.HEADER;
            default -> throw new InvalidRegistrationException("auth.type",
                    "must be bearer or header, was \"" + printable(typeName) + "\"");
        };
        String header = type == AuthSpec.Type.BEARER ? "Authorization"
                : text(node, "header", true, "auth.").orElseThrow();
        if (!HEADER_NAME.matcher(header).matches()) {
            throw new InvalidRegistrationException("auth.header", "is not a valid HTTP header name");
        }
        if (RESTRICTED_HEADERS.contains(header.toLowerCase(Locale.ROOT))) {
            throw new InvalidRegistrationException("auth.header",
                    header + " is set by the HTTP client and cannot carry a secret");
        }
        String ref = text(node, "secretRef", true, "auth.").orElseThrow();
        if (!SecretCatalog.NAME.matcher(ref).matches()) {
            // Do not echo the value: someone may have pasted the secret itself here.
            throw new InvalidRegistrationException("auth.secretRef", ref.startsWith("env:") || ref.startsWith("file:")
                    ? "must name a declared secret; env: and file: sources are declared only by the monitor's operator"
                    + " (monitor --secrets-file)"
                    : "must name a declared secret ([A-Za-z0-9._-]{1,100}); the secret itself never goes in the topic");
        }
        return Optional.of(new AuthSpec(type, header, ref));
    }

    private static Map<String, String> labels(JsonNode node) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new InvalidRegistrationException("labels", "must be an object of strings");
        }
        if (node.size() > MAX_LABELS) {
            throw new InvalidRegistrationException("labels", "at most " + MAX_LABELS + " labels, was " + node.size());
        }
        Map<String, String> labels = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            String field = "labels." + printable(entry.getKey());
            if (!LABEL_KEY.matcher(entry.getKey()).matches()) {
                throw new InvalidRegistrationException(field, "label names must match [A-Za-z0-9._/-]{1,63}");
            }
            if (!entry.getValue().isTextual() || characters(entry.getValue().textValue()) > MAX_TEXT) {
                throw new InvalidRegistrationException(field,
                        "must be a string of at most " + MAX_TEXT + " characters");
            }
            labels.put(entry.getKey(), entry.getValue().textValue());
        }
        return labels;
    }

    private static Optional<String> text(JsonNode parent, String field, boolean required) {
        return text(parent, field, required, "");
    }

    private static Optional<String> text(JsonNode parent, String field, boolean required, String prefix) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            if (required) {
                throw new InvalidRegistrationException(prefix + field, "is required");
            }
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw new InvalidRegistrationException(prefix + field, "must be a string");
        }
        return Optional.of(node.textValue());
    }

    /** Characters as the schema's maxLength counts them (code points): an emoji is one, not two UTF-16 units. */
    private static int characters(String s) {
        return s.codePointCount(0, s.length());
    }

    /** Text from the record, echoed in a reason: the reason goes to logs and terminals (see {@link UntrustedText}). */
    private static String printable(String s) {
        return UntrustedText.escape(s, 80);
    }

    /** The JSON value of a registration, as {@code healthmon register} publishes it (see the record). */
    public byte[] encode(BackendRegistration r) {
        try {
            return writer.writeValueAsBytes(r);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot happen for a registration's strings and numbers", e);
        }
    }
}
