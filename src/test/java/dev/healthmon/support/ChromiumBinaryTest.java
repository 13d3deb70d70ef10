package dev.healthmon.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

/** How the status-page test finds its browser, and what it does when there is none. */
class ChromiumBinaryTest {

    @TempDir
    Path tmp;
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream report = new PrintStream(printed, true, StandardCharsets.UTF_8);

    private Path executable(String dir, String name) throws IOException {
        Path file = Files.createDirectories(tmp.resolve(dir)).resolve(name);
        Files.writeString(file, "#!/bin/sh\n");
        assertThat(file.toFile().setExecutable(true)).isTrue();
        return file;
    }

    private String path(String... dirs) {
        StringBuilder path = new StringBuilder();
        for (String dir : dirs) {
            path.append(path.length() == 0 ? "" : File.pathSeparator).append(tmp.resolve(dir));
        }
        return path.toString();
    }

    @Test
    void findsChromiumBrowserOrGoogleChromeOnThePathWhenThereIsNoChromium() throws IOException {
        Path chrome = executable("opt", "google-chrome");
        Path chromiumBrowser = executable("bin", "chromium-browser");

        assertThat(ChromiumBinary.find(Map.of("PATH", path("empty", "opt", "bin")))).contains(chromiumBrowser);
        assertThat(ChromiumBinary.find(Map.of("PATH", path("opt")))).contains(chrome);
    }

    @Test
    void prefersChromiumAndIgnoresFilesThatAreNotExecutable() throws IOException {
        executable("a", "chromium-browser");
        Path chromium = executable("b", "chromium");
        Files.writeString(Files.createDirectories(tmp.resolve("c")).resolve("chromium"), "not executable");

        assertThat(ChromiumBinary.find(Map.of("PATH", path("c", "a", "b")))).contains(chromium);
    }

    @Test
    void chromeFromTheEnvironmentWinsAndAWrongOneIsAnErrorNotAFallback() throws IOException {
        Path chosen = executable("custom", "my-chrome");
        executable("bin", "chromium");

        assertThat(ChromiumBinary.find(Map.of("CHROME", chosen.toString(), "PATH", path("bin")))).contains(chosen);
        assertThatThrownBy(() -> ChromiumBinary.find(Map.of("CHROME", tmp.resolve("nothing").toString(),
                "PATH", path("bin")))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("CHROME=" + tmp.resolve("nothing")).hasMessageContaining("not an executable");
    }

    @Test
    void withoutABrowserTheTestIsSkippedSayingClearlyThatThePageWasNotTested() {
        assertThatThrownBy(() -> ChromiumBinary.require(Map.of("PATH", path("empty")), report))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("the status page was NOT tested in a browser")
                .hasMessageContaining("chromium, chromium-browser, google-chrome")
                .hasMessageContaining("apt-get install chromium");
        assertThat(printed.toString(StandardCharsets.UTF_8)).startsWith("SKIPPED: the status page was NOT tested");
    }

    @Test
    void underCiAMissingBrowserFailsTheTestInsteadOfSkippingIt() {
        assertThatThrownBy(() -> ChromiumBinary.require(Map.of("PATH", path("empty"), "CI", "true"), report))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the status page was NOT tested in a browser")
                .hasMessageContaining("CI=true");
        assertThat(printed.size()).as("nothing reported as skipped").isZero();
    }

    @Test
    void aBrowserOnThePathIsWhatTheTestRuns() throws IOException {
        Path chromium = executable("bin", "chromium");

        assertThat(ChromiumBinary.require(Map.of("PATH", path("bin"), "CI", "true"), report)).isEqualTo(chromium);
    }
}
