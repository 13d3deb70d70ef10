package dev.healthmon.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.registration.CheckDefaults;
import dev.healthmon.registration.RegistrationCodec;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.target.TargetPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The adversarial registration corpus, {@code src/test/resources/corpus/bad-registrations*.json}:
 * one JSON object per entry and line, each a record that must be dead-lettered with a reason that
 * contains {@code expect}. An entry's value is {@code value} (text, UTF-8), {@code valueBase64}
 * (bytes that are not text), or {@code valueRepeat} ({@code prefix + fill × times + suffix}, for
 * values too large to keep in the file). {@code schema} says what the JSON schema does with it:
 * {@code rejects}, {@code not JSON} (nothing to validate), or {@code beyond schema: <rule>} for
 * a rule JSON Schema cannot express (the schema accepts such a value; the codec alone refuses it).
 */
public final class BadRegistrations {

    /** The corpus: every entry must be dead-lettered. */
    public static final String CURRENT = "corpus/bad-registrations.json";

    /**
     * The target policy the corpus is judged under: the defaults plus loopback and 10/8 denied, as
     * an operator who runs {@code monitor --deny-target-cidr 127.0.0.0/8 --deny-target-cidr 10.0.0.0/8}.
     * Good backends next to the corpus therefore listen on {@code [::1]}.
     */
    public static final TargetPolicy POLICY = TargetPolicy.of(List.of("127.0.0.0/8", "10.0.0.0/8"), List.of());

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One bad record; {@code key} empty for a record without key. */
    public record Entry(String name, Optional<String> key, byte[] value, String expect, String schema,
                        Optional<String> mustNotContain) {

        public byte[] keyBytes() {
            return key.map(k -> k.getBytes(StandardCharsets.UTF_8)).orElse(null);
        }

        public boolean schemaRejects() {
            return schema.equals("rejects");
        }

        public boolean notJson() {
            return schema.equals("not JSON");
        }

        public boolean beyondSchema() {
            return schema.startsWith("beyond schema: ");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private BadRegistrations() {}

    /**
     * What the corpus's operator declared: one secret, {@code corpus-token}, that may go to
     * {@code backend.test} only.
     */
    public static final SecretCatalog SECRETS = DeclaredSecrets.catalog(
            DeclaredSecrets.to("corpus-token", "env:CORPUS_TOKEN", "http://backend.test:8080/"));

    /** The codec exactly as the monitor's registry consumer builds it, under {@link #POLICY} and {@link #SECRETS}. */
    public static RegistrationCodec codec() {
        return new RegistrationCodec(new ObjectMapper(), CheckDefaults.STANDARD, POLICY, SECRETS);
    }

    public static List<Entry> load(String resource) {
        try (InputStream in = BadRegistrations.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no test resource " + resource);
            }
            List<Entry> entries = new ArrayList<>();
            for (JsonNode e : JSON.readTree(in)) {
                entries.add(new Entry(e.get("name").textValue(),
                        e.hasNonNull("key") ? Optional.of(e.get("key").textValue()) : Optional.empty(),
                        value(e), e.get("expect").textValue(), e.get("schema").textValue(),
                        Optional.ofNullable(e.get("mustNotContain")).map(JsonNode::textValue)));
            }
            return entries;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource, e);
        }
    }

    private static byte[] value(JsonNode e) {
        if (e.has("valueBase64")) {
            return Base64.getDecoder().decode(e.get("valueBase64").textValue());
        }
        if (e.has("valueRepeat")) {
            JsonNode r = e.get("valueRepeat");
            return (r.path("prefix").asText() + r.get("repeat").textValue().repeat(r.get("times").intValue())
                    + r.path("suffix").asText()).getBytes(StandardCharsets.UTF_8);
        }
        return e.get("value").textValue().getBytes(StandardCharsets.UTF_8);
    }
}
