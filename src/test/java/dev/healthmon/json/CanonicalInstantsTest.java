package dev.healthmon.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.time.Instant;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Instants read by hand in the canonical form, and exactly as the Java-time module reads them otherwise. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CanonicalInstantsTest {

    private static final long SEED = 16_05L;
    private final ObjectReader ours = Json.mapper().readerFor(Instant.class);
    private final ObjectReader module = new ObjectMapper().registerModule(new JavaTimeModule())
            .readerFor(Instant.class);

    @Test
    void readsWhatInstantToStringWritesToTheNanosecond() {
        Random random = new Random(SEED);
        for (int i = 0; i < 20_000; i++) {
            long second = random.nextLong(-62_167_219_200L, 253_402_300_800L); // years 0000-9999
            int nanos = switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant at = Instant.ofEpochSecond(second, nanos);
            assertThat(CanonicalInstants.parse(at.toString())).as("seed %d: %s", SEED, at).isEqualTo(at);
        }
    }

    @Test
    void anyTextIsReadOrRefusedAsTheJavaTimeModuleDoes() {
        Random random = new Random(SEED);
        String[] fixed = {"2026-02-29T10:00:00Z", "2024-02-29T10:00:00Z", "2026-11-24T24:00:00Z",
            "2026-11-24T23:59:60Z", "2026-11-24T10:00:00.Z", "2026-11-24T10:00:00.1234567890Z", "2026-11-24T10:00:00",
            "2026-11-24t10:00:00z", "2026-11-24T10:00:00+01:00", "+12026-11-24T10:00:00Z", "0000-01-01T00:00:00Z",
            " 2026-11-24T10:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-11-00T00:00:00Z",
            "2026-11-24T10:0a:00Z", "1764000000", ""};
        for (String text : fixed) {
            assertSameAsModule(text);
        }
        String alphabet = "0123456789-T:.Z+ z";
        for (int i = 0; i < 50_000; i++) {
            char[] c = Instant.ofEpochSecond(random.nextLong(0, 253_402_300_800L), random.nextInt(1_000_000_000))
                    .toString().toCharArray();
            c[random.nextInt(c.length)] = alphabet.charAt(random.nextInt(alphabet.length()));
            assertSameAsModule(new String(c));
        }
    }

    private void assertSameAsModule(String text) {
        Object expected = read(module, text);
        Object actual = read(ours, text);
        // the same instant, the same refusal (exception class), or both null (an empty text)
        assertThat(actual).as("seed %d: \"%s\"", SEED, text).isEqualTo(expected);
    }

    private static Object read(ObjectReader reader, String text) {
        try {
            return reader.readValue(TextNode.valueOf(text).toString());
        } catch (IOException e) {
            return e.getClass();
        }
    }
}
