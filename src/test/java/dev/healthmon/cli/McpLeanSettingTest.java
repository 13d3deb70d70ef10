package dev.healthmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@code --mcp-lean} and {@code HEALTHMON_MCP_LEAN} reach the monitor's configuration (design.md §10.28). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class McpLeanSettingTest {

    private static boolean mcpLean(Map<String, String> environment, String... args) {
        CommandLine.ParseResult parsed = HealthmonCli.commandLine(environment).parseArgs(args);
        MonitorCommand monitor = (MonitorCommand) parsed.subcommand().commandSpec().userObject();
        return monitor.config().mcpLean();
    }

    @Test
    void leanPathsAreOnByDefault() {
        assertThat(mcpLean(Map.of(), "monitor")).isTrue();
    }

    @Test
    void noMcpLeanFlagTurnsThemOff() {
        assertThat(mcpLean(Map.of(), "monitor", "--no-mcp-lean")).isFalse();
    }

    @Test
    void environmentTurnsThemOffAndTheFlagWins() {
        assertThat(mcpLean(Map.of("HEALTHMON_MCP_LEAN", "false"), "monitor")).isFalse();
        assertThat(mcpLean(Map.of("HEALTHMON_MCP_LEAN", "false"), "monitor", "--mcp-lean")).isTrue();
    }
}
