package dev.healthmon.monitor;

/** How soon a newly started check runs for the first time. */
public enum StartMode {
    /** A backend registered (or changed) while we watch: first check after {@code initialDelay}. */
    NEW,
    /**
     * One of many started together (partition restored, start-up): first check after
     * {@code initialDelay} plus the backend's phase offset within the interval.
     */
    BULK
}
