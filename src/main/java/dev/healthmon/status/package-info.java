/**
 * What a backend's health is and how it is decided: the statuses, reasons and outcomes of the
 * contract, and {@link dev.healthmon.status.HealthPolicy}, the one pure function both the monitor
 * and the aggregator apply (docs/design.md §4.4). Depends on nothing but the JDK.
 */
package dev.healthmon.status;
