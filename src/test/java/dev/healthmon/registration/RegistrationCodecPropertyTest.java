package dev.healthmon.registration;

import static dev.healthmon.support.Registrations.CODEC;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import dev.healthmon.registration.GeneratedRegistrations.Judge;
import dev.healthmon.registration.GeneratedRegistrations.Mutation;
import dev.healthmon.support.Registrations;
import dev.healthmon.support.Schemas;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Properties of {@link RegistrationCodec} on seeded generated records ({@link GeneratedRegistrations}):
 * what it decodes it encodes back to the same registration, and it accepts exactly what
 * {@code schemas/backend-registration.v1.schema.json} accepts — except for the rules a schema cannot
 * state, which are checked here one by one: the codec alone refuses them.
 *
 * <p>Every build tries the same seeds; a failure names its seed and record.
 * {@code -Dhealthmon.property.runs=N} searches longer.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegistrationCodecPropertyTest {

    private static final int RUNS = Integer.getInteger("healthmon.property.runs", 400) * 2;
    private static final long FIRST_SEED = 20261201L;
    private static final Schema SCHEMA = Schemas.load("backend-registration.v1.schema.json");

    @Test
    void aDecodedRegistrationEncodesBackToTheSameRegistration() {
        for (long seed = FIRST_SEED; seed < FIRST_SEED + RUNS; seed++) {
            ObjectNode record = GeneratedRegistrations.valid(new Random(seed));
            String context = "seed " + seed + ", record " + record;
            DecodedRegistration first = decode(record);
            assertThat(first).as(context).isInstanceOf(DecodedRegistration.Valid.class);
            DecodedRegistration.Valid valid = (DecodedRegistration.Valid) first;

            byte[] encoded = CODEC.encode(valid.registration());
            DecodedRegistration again = CODEC.decode(key(record), encoded);
            assertThat(again).as(context + ", encoded " + new String(encoded, StandardCharsets.UTF_8))
                    .isEqualTo(valid);
            assertThat(Schemas.validate(SCHEMA, encoded)).as(context).isEmpty();
        }
    }

    @Test
    void codecAndSchemaAcceptTheSameGeneratedRecords() {
        Map<String, String> disagreements = new TreeMap<>();
        for (long seed = FIRST_SEED; seed < FIRST_SEED + RUNS; seed++) {
            Random random = new Random(seed);
            ObjectNode record = GeneratedRegistrations.valid(random);
            assertThat(SCHEMA.validate(record)).as("seed " + seed + ": the schema refuses " + record).isEmpty();
            assertThat(decode(record)).as("seed " + seed + ": the codec refuses " + record)
                    .isInstanceOf(DecodedRegistration.Valid.class);
            judge(seed, GeneratedRegistrations.mutate(random, record), disagreements);
        }
        assertThat(disagreements).as(String.join("\n", disagreements.values())).isEmpty();
    }

    /** See {@link GeneratedRegistrations#unsettled}: fails until the contract says which of the two is right. */
    @Test
    void anOptionalFieldSetToNullOrAnEmptyPathIsJudgedAsAbsentByCodecAndSchemaAlike() {
        // Serializers write absent optional values as null (Jackson's default); the codec reads them as
        // absent, and the schema says the same (decided with issue #14).
        for (long seed = FIRST_SEED; seed < FIRST_SEED + RUNS / 4; seed++) {
            Random random = new Random(seed);
            Mutation spelled = GeneratedRegistrations.absentSpelledOtherwise(random,
                    GeneratedRegistrations.valid(random));
            ObjectNode absent = spelled.record().deepCopy();
            String[] path = spelled.field().split("\\.");
            (path.length == 1 ? absent : (ObjectNode) absent.get(path[0])).remove(path[path.length - 1]);
            String where = "seed " + seed + ": " + spelled.record();

            assertThat(String.valueOf(decode(spelled.record()))).as("codec, " + where)
                    .isEqualTo(String.valueOf(decode(absent)));
            assertThat(SCHEMA.validate(spelled.record()).isEmpty()).as("schema, " + where)
                    .isEqualTo(SCHEMA.validate(absent).isEmpty());
        }
    }

    /** Records a disagreement once per kind of mutation, with its first seed: one run shows them all. */
    private static void judge(long seed, Mutation mutation, Map<String, String> disagreements) {
        boolean schemaAccepts = SCHEMA.validate(mutation.record()).isEmpty();
        DecodedRegistration decoded = decode(mutation.record());
        String codecSays = decoded instanceof DecodedRegistration.Invalid invalid
                ? "refuses (" + invalid.error().field() + ": " + invalid.error().problem() + ")" : "accepts";
        boolean codecRefusesNamingTheField = decoded instanceof DecodedRegistration.Invalid invalid
                && invalid.error().field().startsWith(mutation.field());
        if (!codecRefusesNamingTheField || schemaAccepts != (mutation.judge() == Judge.CODEC_ONLY)) {
            disagreements.putIfAbsent(mutation.description(), "seed " + seed + ": codec " + codecSays + ", schema "
                    + (schemaAccepts ? "accepts" : "refuses") + ", expected " + mutation.judge() + " to refuse "
                    + mutation.field() + ": " + mutation.record());
        }
    }

    /** JSON parsing rules (one key once, nothing after the object) and the key: no schema sees them. */
    @Test
    void duplicateKeysTrailingContentAndAnIdOtherThanTheKeyAreRefusedByTheCodecAlone() {
        for (long seed = FIRST_SEED; seed < FIRST_SEED + RUNS / 4; seed++) {
            Random random = new Random(seed);
            ObjectNode record = GeneratedRegistrations.valid(random);
            String json = record.toString();
            String context = "seed " + seed + ", record " + json;

            String duplicated = "{\"transport\":\"http\"," + json.substring(1);
            assertThat(refusal(key(record), duplicated)).as(context).startsWith("transport: duplicate field");

            String trailing = json + (random.nextBoolean() ? " {}" : random.nextBoolean() ? "x" : "\n1");
            assertThat(refusal(key(record), trailing)).as(context).contains("trailing content");

            String otherKey = key(record).length > 1 ? "other-" + record.get("id").asText() : "z";
            assertThat(refusal(otherKey.getBytes(StandardCharsets.UTF_8), json)).as(context)
                    .startsWith("id: must equal the record key");
            assertThat(Schemas.validate(SCHEMA, trailing.substring(0, json.length()).getBytes(StandardCharsets.UTF_8)))
                    .as(context).isEmpty();
        }
    }

    private static String refusal(byte[] key, String value) {
        DecodedRegistration decoded = CODEC.decode(key, value.getBytes(StandardCharsets.UTF_8));
        assertThat(decoded).as(value).isInstanceOf(DecodedRegistration.Invalid.class);
        InvalidRegistrationException error = ((DecodedRegistration.Invalid) decoded).error();
        return error.field() + ": " + error.problem();
    }

    private static DecodedRegistration decode(ObjectNode record) {
        return CODEC.decode(key(record), Registrations.bytes(record));
    }

    /** The record's id as its key, as a producer writes it; "k" when there is no textual id. */
    private static byte[] key(JsonNode record) {
        JsonNode id = record.get("id");
        return (id != null && id.isTextual() ? id.textValue() : "k").getBytes(StandardCharsets.UTF_8);
    }
}
