package dev.healthmon.events;

/**
 * A registry record that could not be used, on its way to the dead-letter topic with its
 * original key and value bytes and the reason.
 */
public record DeadLetter(byte[] key, byte[] value, String error, String sourceTopic, int sourcePartition,
                         long sourceOffset) {

    public static final String ERROR_HEADER = "healthmon.error";
    public static final String SOURCE_TOPIC_HEADER = "healthmon.source.topic";
    public static final String SOURCE_PARTITION_HEADER = "healthmon.source.partition";
    public static final String SOURCE_OFFSET_HEADER = "healthmon.source.offset";
}
