package dev.healthmon.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DeadLetterRecordsTest {

    private static final int LIMIT = 1_048_576;

    private static DeadLetter letter(byte[] key, byte[] value) {
        return new DeadLetter("api", key, value, "schemaVersion: must be 1", "backend-registry", 3, 42);
    }

    @Test
    void aLetterThatFitsKeepsItsKeyAndValueAsTheyCame() {
        byte[] value = "{\"id\":\"api\"}".getBytes(StandardCharsets.UTF_8);

        ProducerRecord<byte[], byte[]> record = DeadLetterRecords.toRecord(letter(key("api"), value), "dlq", LIMIT);

        assertThat(record.value()).isEqualTo(value);
        assertThat(record.key()).isEqualTo(key("api"));
        assertThat(header(record, DeadLetter.ORIGINAL_SIZE_HEADER)).isEqualTo(Integer.toString(value.length));
        assertThat(header(record, DeadLetter.ORIGINAL_SHA256_HEADER)).isEqualTo(sha256(value));
        assertThat(record.headers().lastHeader(DeadLetter.TRUNCATED_HEADER)).isNull();
    }

    @Test
    void anOversizedValueIsCutToAPrefixThatFitsWithItsSizeAndHashInHeaders() throws Exception {
        byte[] value = new byte[1_048_000];
        Arrays.fill(value, (byte) 'x');

        ProducerRecord<byte[], byte[]> record = DeadLetterRecords.toRecord(letter(key("api"), value), "dlq", LIMIT);

        assertThat(DeadLetterRecords.size(record.key(), record.value(), record.headers()))
                .isLessThanOrEqualTo(DeadLetterRecords.usable(LIMIT));
        assertThat(record.value().length).isLessThan(value.length).isGreaterThan(LIMIT / 2);
        assertThat(record.value()).isEqualTo(Arrays.copyOf(value, record.value().length));
        assertThat(header(record, DeadLetter.ORIGINAL_SIZE_HEADER)).isEqualTo("1048000");
        assertThat(header(record, DeadLetter.ORIGINAL_SHA256_HEADER)).isEqualTo(sha256(value));
        assertThat(header(record, DeadLetter.TRUNCATED_HEADER)).isEqualTo("true");
        assertThat(header(record, DeadLetter.SOURCE_PARTITION_HEADER)).isEqualTo("3");
        assertThat(header(record, DeadLetter.SOURCE_OFFSET_HEADER)).isEqualTo("42");
        assertThat(header(record, DeadLetter.ERROR_HEADER)).isEqualTo("schemaVersion: must be 1");
    }

    @Test
    void aHugeKeyIsCutTooSoThatTheRecordStillFits() {
        byte[] key = new byte[2_000_000];
        Arrays.fill(key, (byte) 'k');

        ProducerRecord<byte[], byte[]> record = DeadLetterRecords.toRecord(letter(key, new byte[10]), "dlq", LIMIT);

        assertThat(record.key()).hasSize(DeadLetterRecords.MAX_CUT_KEY);
        assertThat(header(record, DeadLetter.ORIGINAL_KEY_SIZE_HEADER)).isEqualTo("2000000");
        assertThat(DeadLetterRecords.size(record.key(), record.value(), record.headers()))
                .isLessThanOrEqualTo(DeadLetterRecords.usable(LIMIT));
    }

    @Test
    void theSmallerTopicLimitDecides() {
        assertThat(HealthEventPublisher.recordLimit(Map.of(), 100_000)).isEqualTo(100_000);
        assertThat(HealthEventPublisher.recordLimit(Map.of("max.request.size", "50000"), 100_000))
                .isEqualTo(50_000);
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static String sha256(byte[] value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
