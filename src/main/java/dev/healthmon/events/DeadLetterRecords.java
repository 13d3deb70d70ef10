package dev.healthmon.events;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Turns a {@link DeadLetter} into a record the dead-letter topic accepts. A letter that fits is
 * sent as it came (original key and value). One that does not — a value near 1 MB, or a
 * compressed record that is many MB once decompressed, as the consumer hands it to us — keeps its
 * headers and is cut: the key to its first {@link #MAX_CUT_KEY} bytes if it is longer, the value to
 * the first bytes that still fit. The headers then carry the original size and SHA-256, and the
 * source coordinates say where the whole record can be read while the registry keeps it.
 *
 * <p>"Fits" is judged on the producer's own upper bound (uncompressed: the producer refuses a record
 * whose uncompressed estimate exceeds {@code max.request.size}, whatever the compression) against
 * {@code limit}, the smaller of {@code max.request.size} and the topic's {@code max.message.bytes},
 * minus a margin: the broker checks the compressed batch, and lz4 makes incompressible data up to
 * 1/255 larger. Stateless and thread-safe.
 */
public final class DeadLetterRecords {

    /** A cut key keeps this many bytes: enough to recognise it, small enough to leave room for the value. */
    static final int MAX_CUT_KEY = 1024;
    /** The error text in the header is capped: it may quote untrusted input. */
    static final int MAX_ERROR_CHARS = 2000;
    /** Record batch header (61 bytes) plus a record's varint fields, rounded up. */
    private static final int RECORD_OVERHEAD = 128;
    /** Per header: its varint lengths. */
    private static final int HEADER_OVERHEAD = 10;
    private static final int SAFETY = 512;

    private DeadLetterRecords() {}

    /** The bytes a record may take for {@code limit} (the smaller of the producer's and the topic's limit). */
    static int usable(int limit) {
        return Math.max(0, limit - limit / 128 - SAFETY);
    }

    /** The record for {@code letter} on {@code topic}, cut if needed so that it fits {@code limit} bytes. */
    public static ProducerRecord<byte[], byte[]> toRecord(DeadLetter letter, String topic, int limit) {
        RecordHeaders headers = new RecordHeaders();
        String error = letter.error().length() > MAX_ERROR_CHARS
                ? letter.error().substring(0, MAX_ERROR_CHARS) + "…" : letter.error();
        add(headers, DeadLetter.ERROR_HEADER, error);
        add(headers, DeadLetter.SOURCE_TOPIC_HEADER, letter.sourceTopic());
        add(headers, DeadLetter.SOURCE_PARTITION_HEADER, Integer.toString(letter.sourcePartition()));
        add(headers, DeadLetter.SOURCE_OFFSET_HEADER, Long.toString(letter.sourceOffset()));
        byte[] value = letter.value();
        if (value != null) {
            add(headers, DeadLetter.ORIGINAL_SIZE_HEADER, Integer.toString(value.length));
            add(headers, DeadLetter.ORIGINAL_SHA256_HEADER, sha256Hex(value));
        }
        return shrink(new ProducerRecord<>(topic, null, letter.key(), value, headers), limit);
    }

    /**
     * {@code record} itself if it fits {@code limit}, else a copy cut to fit: the key to
     * {@link #MAX_CUT_KEY} bytes if longer, the value to the first bytes that fit. Headers stay, so
     * the original size and hash still describe the original value.
     */
    static ProducerRecord<byte[], byte[]> shrink(ProducerRecord<byte[], byte[]> record, int limit) {
        byte[] key = record.key();
        byte[] value = record.value();
        int usable = usable(limit);
        if (size(key, value, record.headers()) <= usable) {
            return record;
        }
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        if (headers.lastHeader(DeadLetter.TRUNCATED_HEADER) == null) {
            add(headers, DeadLetter.TRUNCATED_HEADER, "true");
        }
        if (key != null && key.length > MAX_CUT_KEY) {
            add(headers, DeadLetter.ORIGINAL_KEY_SIZE_HEADER, Integer.toString(key.length));
            key = Arrays.copyOf(key, MAX_CUT_KEY);
        }
        byte[] cut = null;
        if (value != null) {
            int room = Math.max(0, usable - size(key, new byte[0], headers));
            cut = Arrays.copyOf(value, Math.min(value.length, room));
        }
        return new ProducerRecord<>(record.topic(), null, key, cut, headers);
    }

    /** An upper bound of the record's uncompressed size in a batch of its own. */
    static int size(byte[] key, byte[] value, Iterable<Header> headers) {
        long size = RECORD_OVERHEAD + (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
        for (Header header : headers) {
            size += HEADER_OVERHEAD + header.key().getBytes(StandardCharsets.UTF_8).length + header.value().length;
        }
        return (int) Math.min(Integer.MAX_VALUE, size);
    }

    static String sha256Hex(byte[] value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static void add(RecordHeaders headers, String name, String value) {
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
