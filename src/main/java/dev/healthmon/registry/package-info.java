/**
 * The monitor's Kafka side of ownership: {@link dev.healthmon.registry.RegistryConsumer} reads
 * {@code backend-registry} in the monitors' consumer group, restores each assigned partition before
 * starting its checks, stops them before a partition is handed back, and dead-letters invalid records
 * (docs/design.md §5).
 */
package dev.healthmon.registry;
