package dev.healthmon.registration;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/**
 * The shipped {@code schemas/backend-registration.v1.schema.json} (on the classpath as
 * {@code /schemas/...}), applied to every registration at run time after {@link RegistrationCodec}'s own
 * checks: those come first because their reasons name the field and the rule in words (docs/formats.md),
 * and this one makes sure no record the published schema refuses is ever checked, whatever the Java rules
 * miss — the schema is the source of truth, not a copy that may drift (docs/design.md §10). Thread-safe.
 */
final class RegistrationSchema {

    static final String RESOURCE = "/schemas/backend-registration.v1.schema.json";
    /** The schema of this release. */
    static final RegistrationSchema SHIPPED = shipped();

    private final Schema schema;

    /** A schema read from {@code in} (JSON Schema 2020-12). */
    RegistrationSchema(InputStream in) {
        this.schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
    }

    private static RegistrationSchema shipped() {
        try (InputStream in = RegistrationSchema.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the classpath");
            }
            return new RegistrationSchema(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first rule of the schema that {@code root} breaks, as a refusal naming the field; empty if none. */
    Optional<InvalidRegistrationException> refusal(JsonNode root) {
        List<Error> errors = schema.validate(root);
        if (errors.isEmpty()) {
            return Optional.empty();
        }
        Error first = errors.get(0);
        String field = field(first.getInstanceLocation().toString());
        // The validator's words, without the offending value (it may be a pasted secret).
        String reason = "breaks the schema's \"" + first.getKeyword() + "\" rule ("
                + RegistrationSchema.RESOURCE.substring(1) + ")";
        return Optional.of(new InvalidRegistrationException(field, reason));
    }

    /** A JSON pointer ({@code /healthCheck/intervalMs}) as the codec names fields ({@code healthCheck.intervalMs}). */
    private static String field(String pointer) {
        if (pointer.isEmpty() || pointer.equals("/")) {
            return "$";
        }
        StringBuilder field = new StringBuilder();
        for (String segment : pointer.substring(1).split("/", -1)) {
            field.append(field.length() == 0 ? "" : ".").append(segment.replace("~1", "/").replace("~0", "~"));
        }
        return field.toString();
    }
}
