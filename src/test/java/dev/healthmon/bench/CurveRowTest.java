package dev.healthmon.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CurveRowTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A load run's figures as {@link LoadRun#measure} gives them, the parts a curve row reads. */
    private static ObjectNode figures(long scheduled, long achieved, long latenessP99) {
        ObjectNode f = MAPPER.createObjectNode().put("backends", 10_000).put("checksPerSecondScheduled", scheduled)
                .put("checksPerSecondAchieved", achieved).put("cpuMicrosPerCheck", 90).put("cpuPercentOfCore", 36.0)
                .put("hostReferenceEventEncodeNanos", 900);
        f.putObject("latenessMs").put("p50", 0).put("p99", latenessP99);
        return f;
    }

    @Test
    void keepsTheScheduleWhileAchievedRateAndLatenessHold() {
        assertThat(CurveRow.of(figures(4000, 3990, 12)).saturated()).isFalse();
    }

    @Test
    void saturatedWhenFewerChecksThanScheduledComplete() {
        assertThat(CurveRow.of(figures(8000, 7000, 12)).saturated()).isTrue();
    }

    @Test
    void saturatedWhenLatenessExplodesAtTheScheduledRate() {
        assertThat(CurveRow.of(figures(8000, 8000, 2_400)).saturated()).isTrue();
    }

    @Test
    void saturatedWhenMoreThanOnePercentOfTheWindowsChecksFailed() {
        ObjectNode ok = figures(8000, 8000, 170);
        ((ObjectNode) ok.get("latenessMs")).put("count", 160_000);
        ok.putObject("failedChecksInWindow").put("TIMEOUT", 1_000).put("TIMEOUT.example", "no answer within 2000 ms");
        ObjectNode failing = figures(8000, 8243, 172);
        ((ObjectNode) failing.get("latenessMs")).put("count", 150_875);
        failing.putObject("failedChecksInWindow").put("INTERNAL", 9_597).put("TIMEOUT", 32_532)
                .put("CONNECTION_REFUSED", 25_146).put("INTERNAL.example", "monitor out of file descriptors");

        assertThat(CurveRow.of(ok).saturated()).isFalse();
        assertThat(CurveRow.of(failing).saturated()).isTrue();
        assertThat(CurveRow.of(failing).markdown()).contains("| 44.6 % |");
    }

    @Test
    void pipelineAddsTheAggregatorsCostAndRatioIsBlackboxOverMonitor() {
        ObjectNode f = figures(1000, 1000, 3).put("aggregatorCpuMicrosPerCheck", 600);
        f.putObject("blackbox").put("cpuMicrosPerProbe", 900).put("probesPerSecondAnswered", 990)
                .putObject("probes").put("succeeded", 19_800);
        CurveRow row = CurveRow.of(f);
        assertThat(row.pipelineMicros()).hasValue(690);
        assertThat(row.ratio()).hasValue(10.0);
        assertThat(row.markdown()).contains("| 690 |", "990 (19,800 ok)", "10.0×", "kept");
    }

    @Test
    void showsNoAggregatorOrBlackboxFiguresWhereTheyWereNotMeasured() {
        CurveRow row = CurveRow.of(figures(100, 100, 1));
        assertThat(row.pipelineMicros()).isEmpty();
        assertThat(row.ratio()).isEmpty();
        assertThat(row.markdown()).contains("| — |");
    }

    @Test
    void plotsTheCurveAsAPngOfTheChartsSize(@TempDir Path dir) throws Exception {
        JsonNode low = figures(100, 100, 1).put("aggregatorCpuMicrosPerCheck", 700);
        JsonNode high = figures(4000, 4000, 4);
        Path png = dir.resolve("curve.png");
        CostCurveChart.write(List.of(CurveRow.of(low), CurveRow.of(high)), png);
        var image = ImageIO.read(png.toFile());
        assertThat(image).as("a PNG was written").isNotNull();
        assertThat(image.getWidth()).isEqualTo(CostCurveChart.WIDTH);
        assertThat(image.getHeight()).isEqualTo(CostCurveChart.HEIGHT);
    }
}
