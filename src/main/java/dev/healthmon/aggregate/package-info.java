/**
 * The aggregator: a Kafka Streams application that folds {@code health-events} into each backend's
 * current status ({@code backend-status}), its transitions ({@code health-transitions}), a query API
 * and a status page. {@link dev.healthmon.aggregate.AggregatorService} is its composition root
 * (docs/design.md §8).
 */
package dev.healthmon.aggregate;
