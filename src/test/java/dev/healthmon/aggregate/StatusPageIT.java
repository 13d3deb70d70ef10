package dev.healthmon.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.status.Outcome;
import dev.healthmon.support.HeadlessChromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The status page in a real headless Chromium over the real query API ({@link StatusPageFixture}: states folded
 * as the aggregator folds them, no broker): each backend's last checks as coloured ticks with a latency
 * sparkline, its uptime over the hour and the day, a 2,000-character failure kept within the window, untrusted
 * names shown as text, and the filter reached and used from the keyboard. Leaves a screenshot in
 * {@code target/status-page-checks.png}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StatusPageIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** The page's colours (style.css) as the browser computes them. */
    private static final Map<String, String> COLOURS = Map.of("HEALTHY", "rgb(26, 127, 55)",
            "DEGRADED", "rgb(191, 135, 0)", "UNHEALTHY", "rgb(207, 34, 46)", "UNAUTHENTICATED", "rgb(130, 80, 223)");
    private static final Path SCREENSHOT = Path.of("target", "status-page-checks.png");

    private static StatusPageFixture fixture;
    private static HeadlessChromium chromium;

    @BeforeAll
    static void openThePage() throws Exception {
        Files.deleteIfExists(SCREENSHOT); // a screenshot left by an earlier run must not pass for this one's
        fixture = new StatusPageFixture();
        chromium = HeadlessChromium.open(fixture.url());
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> chromium.evaluate(
                "document.querySelectorAll('tr[data-backend-id]').length").asInt() == 5);
    }

    @AfterAll
    static void close() throws Exception {
        if (chromium != null) {
            chromium.close();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    /** The row of {@code id} as the page shows it. */
    private static JsonNode row(String id) throws Exception {
        String script = "(() => { const r = document.querySelector('tr[data-backend-id=\"' + " + MAPPER
                .writeValueAsString(id) + " + '\"]'); const ticks = [...r.querySelectorAll('.tick')];"
                + " const line = r.querySelector('svg.sparkline polyline');"
                + " return JSON.stringify({ticks: ticks.map(t => t.dataset.outcome),"
                + " colours: ticks.map(t => getComputedStyle(t).backgroundColor),"
                + " tickWidths: ticks.map(t => t.getBoundingClientRect().width),"
                + " points: line ? line.getAttribute('points').trim().split(/\\s+/).length : 0,"
                + " uptime: [...r.querySelectorAll('.uptime [data-window]')].map(d => d.textContent),"
                + " text: r.innerText}); })()";
        return MAPPER.readTree(chromium.evaluate(script).asText());
    }

    private static List<String> strings(JsonNode array) {
        List<String> strings = new ArrayList<>();
        array.forEach(s -> strings.add(s.asText()));
        return strings;
    }

    private static List<String> visibleRows() throws Exception {
        return strings(MAPPER.readTree(chromium.evaluate("JSON.stringify([...document.querySelectorAll("
                + "'tr[data-backend-id]')].map(r => r.dataset.backendId).sort())").asText()));
    }

    @Test
    void eachBackendShowsItsLastChecksAsTicksColouredByOutcomeAndALatencySparkline() throws Exception {
        List<String> expected = StatusPageFixture.outcomes(StatusPageFixture.API_RECENT).stream().map(Outcome::name)
                .toList();
        JsonNode api = row("api");

        assertThat(strings(api.get("ticks"))).as("one tick per check, oldest first").isEqualTo(expected);
        assertThat(strings(api.get("colours"))).isEqualTo(expected.stream().map(COLOURS::get).toList());
        assertThat(api.get("tickWidths")).allSatisfy(w -> assertThat(w.asDouble()).isGreaterThan(2));
        assertThat(api.get("points").asInt()).as("one sparkline point per check").isEqualTo(30);

        assertThat(strings(row("auth").get("colours"))).containsExactly(COLOURS.get("UNAUTHENTICATED"),
                COLOURS.get("UNAUTHENTICATED"), COLOURS.get("UNAUTHENTICATED"));
        assertThat(strings(row("search").get("ticks"))).containsExactly("HEALTHY", "DEGRADED", "DEGRADED",
                "DEGRADED");
        assertThat(row("newbie").get("ticks")).isEmpty();
        assertThat(row("newbie").get("text").asText()).contains("no checks yet");
    }

    @Test
    void uptimeOverTheHourAndTheDaySinceWhenAndTheReasonAreShown() throws Exception {
        JsonNode api = row("api");
        assertThat(strings(api.get("uptime"))).containsExactly("1 h 93.3 %", "24 h 70.0 %");
        assertThat(strings(row("newbie").get("uptime"))).containsExactly("1 h –", "24 h –");

        JsonNode search = row("search");
        assertThat(search.get("text").asText()).contains("DEGRADED").contains("SLOW").containsPattern("\\d+ min ago");
    }

    @Test
    void aTwoThousandCharacterFailureIsClippedWithTheWholeTextOnHoverAndTheTableFitsTheWindow() throws Exception {
        JsonNode layout = MAPPER.readTree(chromium.evaluate("(() => {"
                + " const f = document.querySelector('tr[data-backend-id=verbose] .failure');"
                + " const tables = [...document.querySelectorAll('table')];"
                + " return JSON.stringify({viewport: window.innerWidth,"
                + " page: document.documentElement.scrollWidth,"
                + " tables: Math.max(...tables.map(t => t.getBoundingClientRect().right)),"
                + " title: f.title, clipped: f.scrollHeight > f.clientHeight + 1,"
                + " failureHeight: f.getBoundingClientRect().height,"
                + " failureWidth: f.getBoundingClientRect().width}); })()").asText());

        assertThat(layout.get("tables").asDouble()).as("tables end within the window")
                .isLessThanOrEqualTo(layout.get("viewport").asDouble());
        assertThat(layout.get("page").asInt()).as("nothing scrolls sideways")
                .isLessThanOrEqualTo(layout.get("viewport").asInt());
        assertThat(layout.get("failureWidth").asDouble()).isLessThan(500);
        assertThat(layout.get("failureHeight").asDouble()).as("two lines at most").isLessThan(50);
        assertThat(layout.get("clipped").asBoolean()).as("the rest is clipped").isTrue();
        assertThat(layout.get("title").asText()).as("the whole text on hover")
                .isEqualTo("HTTP_STATUS: " + StatusPageFixture.LONG_MESSAGE);
    }

    @Test
    void untrustedTextsAreShownAsTextNeverAsMarkup() throws Exception {
        assertThat(row("verbose").get("text").asText()).contains(StatusPageFixture.HOSTILE_NAME);
        assertThat(chromium.evaluate("document.querySelectorAll('#groups img, #groups b, #groups script').length")
                .asInt()).isZero();
        assertThat(chromium.evaluate("window.pwned === undefined").asBoolean()).isTrue();
    }

    @Test
    void theFilterIsReachedWithTabOrSlashAndTypedInto() throws Exception {
        chromium.evaluate("document.activeElement.blur()");
        int tabs = 0;
        while (tabs < 5 && !"filter".equals(chromium.evaluate("document.activeElement.id").asText())) {
            chromium.press("Tab");
            tabs++;
        }
        assertThat(chromium.evaluate("document.activeElement.id").asText()).as("Tab reaches the filter").isEqualTo(
                "filter");
        chromium.type("verbose");
        assertThat(visibleRows()).containsExactly("verbose");
        chromium.press("Escape");
        assertThat(visibleRows()).as("Escape empties the filter").hasSize(5);

        chromium.evaluate("document.activeElement.blur()");
        chromium.press("/");
        assertThat(chromium.evaluate("document.activeElement.id").asText()).as("/ focuses the filter")
                .isEqualTo("filter");
        chromium.type("payments unauth");
        assertThat(visibleRows()).containsExactly("auth");
        assertThat(chromium.evaluate("document.getElementById('filter').value").asText())
                .as("the / that focused it is not typed").isEqualTo("payments unauth");

        chromium.press("Escape");
        chromium.evaluate("document.activeElement.blur()");
        chromium.screenshot(SCREENSHOT);
        byte[] png = Files.readAllBytes(SCREENSHOT);
        assertThat(png).as("a PNG written by this run").startsWith(0x89, 'P', 'N', 'G').hasSizeGreaterThan(1000);
    }
}
