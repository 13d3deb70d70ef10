package dev.healthmon.support;

import java.io.File;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the browser the status-page test drives: {@code $CHROME} when set, else the first of
 * {@code chromium}, {@code chromium-browser}, {@code google-chrome} on {@code PATH}.
 *
 * <p>Where there is none the test cannot run. A developer's machine then gets a JUnit assumption
 * failure (the test is reported as skipped, with the reason also printed to stderr so that it shows in
 * Maven's output), because the README's test command must work with a JDK and Maven only. Under
 * {@code CI=true} (which {@code .ci/run} sets after installing Chromium) a missing browser is an
 * error, so CI never passes without the page having run in a real browser.
 */
public final class ChromiumBinary {

    /** Looked for on {@code PATH}, in this order. */
    static final List<String> NAMES = List.of("chromium", "chromium-browser", "google-chrome");

    private ChromiumBinary() {}

    /** The browser {@code environment} ({@code CHROME}, {@code PATH}) points at, if any. */
    static Optional<Path> find(Map<String, String> environment) {
        String chrome = environment.getOrDefault("CHROME", "").strip();
        if (!chrome.isEmpty()) {
            // Asked for by name: a wrong CHROME must not quietly fall back to another browser.
            Path named = executable(chrome).orElseThrow(() -> new IllegalStateException("CHROME=" + chrome
                    + " is not an executable file"));
            return Optional.of(named);
        }
        String path = environment.getOrDefault("PATH", "");
        return NAMES.stream().flatMap(name -> Stream.of(path.split(File.pathSeparator))
                .filter(dir -> !dir.isBlank()).map(dir -> dir + File.separator + name))
                .map(ChromiumBinary::executable).flatMap(Optional::stream).findFirst();
    }

    /**
     * The browser to run, or: under {@code CI=true} an {@link IllegalStateException}, elsewhere an aborted
     * (skipped) test, both saying that the status page was not tested in a browser and how to fix it; the
     * reason for a skip is also printed on {@code report}, as JUnit's own report of it is easy to miss.
     */
    public static Path require(Map<String, String> environment, PrintStream report) {
        Optional<Path> found = find(environment);
        if (found.isPresent()) {
            return found.get();
        }
        String reason = "the status page was NOT tested in a browser: no Chromium or Chrome found (looked for $CHROME, "
                + "then " + String.join(", ", NAMES) + " on PATH); install one (Debian: apt-get install chromium) "
                + "or set CHROME=/path/to/chrome";
        if ("true".equalsIgnoreCase(environment.getOrDefault("CI", "").strip())) {
            throw new IllegalStateException(reason + ". CI=true: CI must run this test (.ci/run installs Chromium)");
        }
        report.println("SKIPPED: " + reason);
        return Assumptions.abort(reason);
    }

    private static Optional<Path> executable(String file) {
        try {
            Path path = Path.of(file);
            return Files.isRegularFile(path) && Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }
}
