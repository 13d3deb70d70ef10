package dev.healthmon.corpus;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.networknt.schema.Schema;
import dev.healthmon.registration.DecodedRegistration;
import dev.healthmon.registration.RegistrationCodec;
import dev.healthmon.support.BadRegistrations;
import dev.healthmon.support.BadRegistrations.Entry;
import dev.healthmon.support.Schemas;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every record of the adversarial corpus ({@link BadRegistrations}) is dead-lettered by the very
 * decode the monitor's registry consumer runs, with a reason that names the rule, and the JSON
 * schema agrees wherever the value is JSON: it rejects the same value, or — for a rule a schema
 * cannot express (id = key, duplicate keys, trailing content, target policy, timeout &lt; interval,
 * secrets bound by the operator) — the entry says so, and the schema is shown to accept it.
 */
class BadRegistrationCorpusTest {

    private static final RegistrationCodec CODEC = BadRegistrations.codec();
    private static final Schema SCHEMA = Schemas.load("backend-registration.v1.schema.json");
    private static final ObjectMapper LENIENT = new ObjectMapper();

    static List<Entry> current() {
        return BadRegistrations.load(BadRegistrations.CURRENT);
    }

    @Test
    void theCorpusHasAtLeast150Entries() {
        assertThat(current()).hasSizeGreaterThanOrEqualTo(150);
        assertThat(current()).extracting(Entry::name).doesNotHaveDuplicates();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("current")
    void isDeadLetteredWithItsReasonAndTheSchemaAgrees(Entry entry) {
        assertDeadLetteredAndSchemaAgrees(entry);
    }

    private static void assertDeadLetteredAndSchemaAgrees(Entry entry) {
        DecodedRegistration decoded = CODEC.decode(entry.keyBytes(), entry.value());

        assertThat(decoded).as(entry.name() + ": decoded").isInstanceOf(DecodedRegistration.Invalid.class);
        String reason = ((DecodedRegistration.Invalid) decoded).error().getMessage();
        assertThat(reason).as(entry.name() + ": DLQ reason").contains(entry.expect());
        // The reason travels in a header of the dead letter and into logs and terminals: whatever the record holds,
        // it drives nothing there and stays short.
        assertThat(reason).as(entry.name() + ": DLQ reason").doesNotContainPattern("[\\p{Cc}\\u2028\\u2029]")
                .hasSizeLessThan(1_000);
        entry.mustNotContain().ifPresent(secret -> assertThat(reason).doesNotContain(secret));

        JsonNode json = parse(entry.value());
        if (entry.notJson()) {
            assertThat(json).as("the entry says it is not JSON").isNull();
        } else if (entry.schemaRejects()) {
            assertThat(json).as("parseable JSON").isNotNull();
            assertThat(SCHEMA.validate(json)).as(entry.name() + ": schema errors").isNotEmpty();
        } else {
            assertThat(entry.beyondSchema()).as(entry.name() + ": schema label " + entry.schema()).isTrue();
            assertThat(json).as("parseable JSON").isNotNull();
            assertThat(SCHEMA.validate(json)).as(entry.name()
                    + ": a rule the schema cannot express: the schema accepts it").isEmpty();
        }
    }

    /** The value as a lenient reader sees it (last duplicate wins, trailing content ignored); null when not JSON. */
    private static JsonNode parse(byte[] value) {
        try {
            JsonNode node = LENIENT.readTree(value);
            return node == null || node instanceof MissingNode ? null : node;
        } catch (IOException e) {
            return null;
        }
    }
}
