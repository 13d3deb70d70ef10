/**
 * Kafka wiring shared by the processes: client settings, topic names, topic creation and
 * checks, partition-count watching, and the in-process broker of the demo and the tests.
 */
package dev.healthmon.kafka;
