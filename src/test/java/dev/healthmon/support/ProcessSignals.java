package dev.healthmon.support;

import java.io.IOException;

/** Signals for the test's child processes (monitors, aggregators) that {@link Process} does not send itself. */
final class ProcessSignals {

    private ProcessSignals() {}

    /** {@code kill -NAME pid}, e.g. {@code STOP} or {@code CONT}; throws if kill fails. */
    static void send(Process process, String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }
}
