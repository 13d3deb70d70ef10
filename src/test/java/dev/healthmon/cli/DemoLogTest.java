package dev.healthmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's log goes to its file, healthmon's errors alone to the terminal, and the terminal gets it all back
 * afterwards.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class DemoLogTest {

    private static final Logger KAFKA = LoggerFactory.getLogger("org.apache.kafka.streams.processor.internals.Demo");
    private static final Logger OURS = LoggerFactory.getLogger("dev.healthmon.monitor.Demo");

    private final PrintStream originalErr = System.err;
    private final ByteArrayOutputStream terminal = new ByteArrayOutputStream();

    @BeforeEach
    void captureTerminal() {
        System.setErr(new PrintStream(terminal, true, StandardCharsets.UTF_8));
        LogFormat.TEXT.apply(); // the console appender takes the captured stream when it restarts
    }

    @AfterEach
    void restore() {
        System.setErr(originalErr);
        LogFormat.TEXT.apply();
    }

    @Test
    void brokerLinesAndOurOwnGoToTheFileAndOnlyOurErrorsToTheTerminal(@TempDir Path folder) throws Exception {
        Path file = folder.resolve("demo.log");
        try (DemoLog log = DemoLog.toFile(file, LogFormat.TEXT)) {
            assertThat(log.file()).contains(file);
            KAFKA.warn("Using an OS temp directory in the state.dir property");
            OURS.info("backend=api starting check");
            KAFKA.error("Unable to start acceptor for HOST");
            OURS.error("aggregator stream thread failed");
        }

        assertThat(Files.readString(file)).contains("WARN", "Using an OS temp directory", "backend=api starting check",
                "Unable to start acceptor", "aggregator stream thread failed");
        assertThat(terminal.toString(StandardCharsets.UTF_8).lines()).singleElement().asString()
                .contains("ERROR", "aggregator stream thread failed");
    }

    @Test
    void closingGivesTheTerminalItsLogBack(@TempDir Path folder) throws Exception {
        Path file = folder.resolve("demo.log");
        try (DemoLog log = DemoLog.toFile(file, LogFormat.TEXT)) {
            OURS.info("while the demo runs");
        }
        OURS.info("after the demo");

        assertThat(terminal.toString(StandardCharsets.UTF_8)).contains("after the demo")
                .doesNotContain("while the demo runs");
        assertThat(Files.readString(file)).contains("while the demo runs").doesNotContain("after the demo");
    }

    @Test
    void verboseLeavesTheLogOnTheTerminal() {
        try (DemoLog log = DemoLog.onTerminal()) {
            assertThat(log.file()).isEmpty();
            KAFKA.warn("Using an OS temp directory in the state.dir property");
        }

        assertThat(terminal.toString(StandardCharsets.UTF_8)).contains("WARN", "Using an OS temp directory");
    }
}
