package dev.healthmon.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.BasicStroke;
import java.awt.Color;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The cost curve as a PNG: CPU µs per check (log) against checks a second (log), one colour per backend count, for
 * the monitor, the monitor with the aggregator, and blackbox_exporter per probe. Not thread-safe (JFreeChart).
 */
final class CostCurveChart {

    static final int WIDTH = 1000;
    static final int HEIGHT = 620;
    private static final double[] RATES_SHOWN = {50, 20_000};
    private static final Color[] COLOURS = {new Color(0xD62728), new Color(0x1F77B4), new Color(0x2CA02C),
        new Color(0x9467BD)};
    private static final double[] COST_SHOWN = {10, 10_000};

    private CostCurveChart() {}

    /** Plots {@code target/bench/cost-curve.json} again: arguments are that file and the PNG to write. */
    public static void main(String[] args) throws Exception {
        JsonNode all = new ObjectMapper().readTree(Path.of(args[0]).toFile());
        List<CurveRow> rows = new ArrayList<>();
        all.fields().forEachRemaining(e -> {
            if (!e.getKey().equals("machine")) {
                rows.add(CurveRow.of(e.getValue()));
            }
        });
        write(rows, Path.of(args[1]));
    }

    /**
     * One colour per backend count; the monitor solid, monitor + aggregator dashed, both at the checks a second
     * scheduled, saturated points left out (the table has them: their cost is of fewer checks than scheduled);
     * blackbox_exporter dotted, at the probes a second it answered.
     */
    static void write(List<CurveRow> rows, Path png) throws Exception {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        Map<Integer, List<CurveRow>> byBackends = new TreeMap<>();
        rows.forEach(r -> byBackends.computeIfAbsent(r.backends(), b -> new ArrayList<>()).add(r));
        int colour = 0;
        for (Map.Entry<Integer, List<CurveRow>> e : byBackends.entrySet()) {
            String n = String.format("%,d backends", e.getKey());
            List<CurveRow> kept = e.getValue().stream().filter(r -> !r.saturated() && r.monitorMicros() > 0)
                    .toList();
            Color paint = COLOURS[colour++ % COLOURS.length];
            add(data, renderer, "monitor, " + n, kept, r -> (double) r.scheduled(), r -> r.monitorMicros(), null,
                    paint);
            add(data, renderer, "monitor + aggregator, " + n, kept.stream()
                    .filter(r -> r.pipelineMicros().isPresent()).toList(), r -> (double) r.scheduled(),
                    r -> r.pipelineMicros().getAsLong(), new float[] {10f, 6f}, paint);
            add(data, renderer, "blackbox_exporter per probe, " + n, e.getValue().stream()
                    .filter(r -> r.blackboxMicros().isPresent() && r.blackboxAnswered().getAsLong() > 0).toList(),
                    r -> (double) r.blackboxAnswered().getAsLong(), r -> r.blackboxMicros().getAsLong(),
                    new float[] {2f, 4f}, paint);
        }
        LogAxis rate = new LogAxis("checks a second scheduled (blackbox_exporter: probes a second answered)");
        LogAxis cost = new LogAxis("CPU µs per check (per probe)");
        for (LogAxis axis : List.of(rate, cost)) {
            // Plain numbers at each power of ten, minor lines between, fixed ranges so plots of two runs compare.
            axis.setNumberFormatOverride(new DecimalFormat("#,##0"));
            axis.setBase(10);
            axis.setTickUnit(new NumberTickUnit(1));
            axis.setMinorTickCount(9);
            axis.setMinorTickMarksVisible(true);
        }
        rate.setRange(RATES_SHOWN[0], RATES_SHOWN[1]);
        cost.setRange(COST_SHOWN[0], COST_SHOWN[1]);
        XYPlot plot = new XYPlot(data, rate, cost, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setDomainMinorGridlinesVisible(true);
        plot.setRangeMinorGridlinesVisible(true);
        JFreeChart chart = new JFreeChart("healthmon cost curve (2 cores) — monitor, monitor + aggregator, "
                + "blackbox_exporter", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
    }

    private static void add(XYSeriesCollection data, XYLineAndShapeRenderer renderer, String name,
            List<CurveRow> points, Function<CurveRow, Double> x, ToDoubleFunction<CurveRow> y, float[] dash,
            Color paint) {
        if (points.isEmpty()) {
            return;
        }
        XYSeries series = new XYSeries(name);
        points.forEach(r -> series.add(x.apply(r).doubleValue(), y.applyAsDouble(r)));
        data.addSeries(series);
        int index = data.getSeriesCount() - 1;
        renderer.setSeriesPaint(index, paint);
        renderer.setSeriesStroke(index, new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f, dash,
                0f));
    }
}
