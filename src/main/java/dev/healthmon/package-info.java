/**
 * healthmon: a Kafka-native health monitor. This package holds the monitor process's composition root:
 * {@link dev.healthmon.MonitorService} wires the registry consumer ({@code registry}), the check lifecycle
 * ({@code monitor}), the probes ({@code probe}) and the publisher ({@code events}) from a
 * {@link dev.healthmon.MonitorConfig}, starts them in dependency order and closes them in reverse.
 * The aggregator's root is {@code aggregate.AggregatorService}; the command line ({@code cli}) builds both.
 *
 * <p>Packages, lowest first (enforced by {@code ArchitectureTest}; docs/design.md §1.1): {@code status},
 * {@code target}, {@code secrets}, {@code kafka}, {@code http}, {@code json} (the one Jackson configuration of
 * the records) use no other healthmon package;
 * {@code registration} → {@code events} → {@code probe} → {@code monitor} → {@code registry}; {@code aggregate}
 * uses the contracts ({@code registration}, {@code events}, {@code status}) and the Kafka wiring only.
 */
package dev.healthmon;
