/**
 * The per-backend check lifecycle (after ToolHive's {@code pkg/vmcp/health}): a
 * {@link dev.healthmon.monitor.BackendCheck} per backend owns its schedule, snapshot, circuit
 * breaker and cancel; {@link dev.healthmon.monitor.HealthMonitor} starts, restarts and stops them as
 * registrations come and go, and fences a stopped check so that none of its results gets out
 * (docs/design.md §4, §6.1). Knows nothing of Kafka: results go to a {@code HealthEventSink}.
 */
package dev.healthmon.monitor;
