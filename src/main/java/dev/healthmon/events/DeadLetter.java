package dev.healthmon.events;

/**
 * A registry record that could not be used, on its way to the dead-letter topic with its
 * original key and value bytes and the reason.
 *
 * @param backendId the id the record claimed (its key as text; untrusted, escape before logging)
 * @param value     the original value; null when the record is named only by its source coordinates
 */
public record DeadLetter(String backendId, byte[] key, byte[] value, String error, String sourceTopic,
                         int sourcePartition, long sourceOffset) {

    public static final String ERROR_HEADER = "healthmon.error";
    public static final String SOURCE_TOPIC_HEADER = "healthmon.source.topic";
    public static final String SOURCE_PARTITION_HEADER = "healthmon.source.partition";
    public static final String SOURCE_OFFSET_HEADER = "healthmon.source.offset";
    /** Length in bytes of the original value. */
    public static final String ORIGINAL_SIZE_HEADER = "healthmon.original.size";
    /** SHA-256 of the original value, lower-case hex. */
    public static final String ORIGINAL_SHA256_HEADER = "healthmon.original.sha256";
    /** Present ("true") when the value (and, if it was over 1 KiB, the key) was cut to fit the topic. */
    public static final String TRUNCATED_HEADER = "healthmon.truncated";
    /** Length in bytes of the original key, when the key was cut. */
    public static final String ORIGINAL_KEY_SIZE_HEADER = "healthmon.original.key.size";

    /** "topic-partition@offset" of the source record, for logs. */
    public String source() {
        return sourceTopic + "-" + sourcePartition + "@" + sourceOffset;
    }
}
