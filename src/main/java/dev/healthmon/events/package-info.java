/**
 * The health-event contract ({@code schemas/health-event.v1.schema.json}): one
 * {@link dev.healthmon.events.HealthEvent} per check, with its failure, its codec, the
 * publisher that sends events to {@code health-events} without letting one partition stall the others, and the
 * dead-letter records of both topics (docs/design.md §7).
 */
package dev.healthmon.events;
