package dev.healthmon.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.healthmon.cli.HealthmonCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** The README's first command: the demo's five backends reach their expected statuses. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DemoIT {

    private static final Pattern TABLE_ROW = Pattern.compile("^(demo-\\S+)\\s+([A-Z]+(?: \\([A-Z_]+\\))?)\\s+\\d+\\s+\\d+", Pattern.MULTILINE);

    @Test
    void sampleBackendsReachTheirExpectedStatuses() {
        StringWriter output = new StringWriter();
        CommandLine cli = HealthmonCli.commandLine();
        cli.setOut(new PrintWriter(output, true));

        int exit = cli.execute("demo", "--duration-seconds", "20");

        String text = output.toString();
        assertThat(exit).as(text).isZero();
        assertThat(text).contains("Kafka bootstrap servers: ").contains("register --bootstrap-servers");
        assertThat(lastTableStatuses(text)).as(text).containsExactlyInAnyOrderEntriesOf(Map.of(
                "demo-healthy", "HEALTHY",
                "demo-slow", "DEGRADED (SLOW)",
                // five failures 2 s apart open the circuit well within the run
                "demo-failing", "UNHEALTHY (CIRCUIT_OPEN)",
                "demo-dead", "UNHEALTHY (CIRCUIT_OPEN)",
                "demo-auth", "UNAUTHENTICATED (AUTH_REQUIRED)"));
    }

    /** The statuses in the last table the live view printed. */
    private static Map<String, String> lastTableStatuses(String text) {
        Map<String, String> statuses = new java.util.HashMap<>();
        Matcher row = TABLE_ROW.matcher(text);
        while (row.find()) {
            statuses.put(row.group(1), row.group(2));
        }
        return statuses;
    }
}
