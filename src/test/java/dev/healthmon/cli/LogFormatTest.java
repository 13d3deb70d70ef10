package dev.healthmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.support.CliRun;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** --log-format json turns every log line into one JSON object a log shipper can read. */
class LogFormatTest {

    private final PrintStream originalErr = System.err;

    @AfterEach
    void restore() {
        System.setErr(originalErr);
        LogFormat.TEXT.apply();
    }

    private String logOneLine(LogFormat format) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        format.apply();
        LoggerFactory.getLogger("dev.healthmon.test").info("backend={} status {} -> {}", "api", "HEALTHY", "UNHEALTHY");
        return captured.toString(StandardCharsets.UTF_8).strip();
    }

    @Test
    void jsonFormatWritesOneParsableObjectPerLine() throws Exception {
        String line = logOneLine(LogFormat.JSON);

        assertThat(line.lines()).hasSize(1);
        JsonNode json = new ObjectMapper().readTree(line);
        assertThat(json.path("level").asText()).isEqualTo("INFO");
        assertThat(json.path("loggerName").asText()).isEqualTo("dev.healthmon.test");
        assertThat(json.path("formattedMessage").asText()).isEqualTo("backend=api status HEALTHY -> UNHEALTHY");
    }

    @Test
    void textFormatIsTheReadableDefault() {
        assertThat(logOneLine(LogFormat.TEXT)).contains("INFO")
                .contains("test - backend=api status HEALTHY -> UNHEALTHY");
    }

    @Test
    void unknownFormatIsRefusedNamingTheFlag() {
        CliRun run = CliRun.withEnvironment(Map.of(), "monitor", "--log-format", "xml", "--print-config");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--log-format: must be text or json");
    }
}
