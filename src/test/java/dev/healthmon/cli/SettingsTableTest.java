package dev.healthmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The settings tables of docs/configuration.md are the commands' real settings, defaults and meanings: no drift. */
class SettingsTableTest {

    @ParameterizedTest
    @ValueSource(strings = {"monitor", "aggregate"})
    void configurationPageTableMatchesTheCommand(String command) throws Exception {
        String page = Files.readString(Path.of("docs", "configuration.md"));
        String start = "<!-- settings:" + command + " -->\n";
        String end = "\n<!-- /settings:" + command + " -->";
        assertThat(page).contains(start).contains(end);
        String table = page.substring(page.indexOf(start) + start.length(), page.indexOf(end));

        assertThat(table)
                .as("%s table of docs/configuration.md; regenerate: SettingsTable.markdown(\"%s\")", command, command)
                .isEqualTo(SettingsTable.markdown(command));
    }
}
