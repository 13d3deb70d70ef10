package dev.healthmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The README's settings tables are the commands' real settings, defaults and meanings: they cannot drift. */
class SettingsTableTest {

    @ParameterizedTest
    @ValueSource(strings = {"monitor", "aggregate"})
    void readmeTableMatchesTheCommand(String command) throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        String start = "<!-- settings:" + command + " -->\n";
        String end = "\n<!-- /settings:" + command + " -->";
        assertThat(readme).contains(start).contains(end);
        String table = readme.substring(readme.indexOf(start) + start.length(), readme.indexOf(end));

        assertThat(table).as("README's %s table; regenerate it from SettingsTable.markdown(\"%s\")", command, command)
                .isEqualTo(SettingsTable.markdown(command));
    }
}
