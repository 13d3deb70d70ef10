package dev.healthmon.status;

/**
 * How many consecutive results move a backend between statuses.
 *
 * @param unhealthy consecutive failures before UNHEALTHY or UNAUTHENTICATED (ToolHive default 3)
 * @param healthy   consecutive successes after failures before HEALTHY again (default 2; the
 *                  successes before that report DEGRADED with reason RECOVERING)
 */
public record Thresholds(int unhealthy, int healthy) {

    public static final Thresholds DEFAULTS = new Thresholds(3, 2);

    public Thresholds {
        if (unhealthy < 1 || unhealthy > 100) {
            throw new IllegalArgumentException("unhealthyThreshold must be 1..100, was " + unhealthy);
        }
        if (healthy < 1 || healthy > 100) {
            throw new IllegalArgumentException("healthyThreshold must be 1..100, was " + healthy);
        }
    }
}
