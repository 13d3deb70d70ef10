package dev.healthmon.bench;

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
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The cost curve as a PNG: CPU µs per check (log) against checks a second achieved (log), one line per backend
 * count for the monitor, the monitor with the aggregator, and blackbox_exporter per probe (at the probes it
 * answered a second).
 */
final class CostCurveChart {

    static final int WIDTH = 1000;
    static final int HEIGHT = 620;
    private static final double[] RATES_SHOWN = {50, 20_000};
    private static final double[] COST_SHOWN = {10, 10_000};

    private CostCurveChart() {}

    static void write(List<CurveRow> rows, Path png) throws Exception {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        Map<Integer, List<CurveRow>> byBackends = new TreeMap<>();
        rows.forEach(r -> byBackends.computeIfAbsent(r.backends(), b -> new ArrayList<>()).add(r));
        byBackends.forEach((backends, points) -> {
            String n = String.format("%,d backends", backends);
            add(data, renderer, "monitor, " + n, points.stream()
                    .filter(r -> r.achieved() > 0 && r.monitorMicros() > 0).toList(), r -> (double) r.achieved(),
                    r -> r.monitorMicros(), 1f);
            add(data, renderer, "monitor + aggregator, " + n, points.stream()
                    .filter(r -> r.achieved() > 0 && r.pipelineMicros().isPresent()).toList(),
                    r -> (double) r.achieved(), r -> r.pipelineMicros().getAsLong(), 6f);
            add(data, renderer, "blackbox_exporter per probe, " + n, points.stream()
                    .filter(r -> r.blackboxMicros().isPresent() && r.blackboxAnswered().getAsLong() > 0).toList(),
                    r -> (double) r.blackboxAnswered().getAsLong(), r -> r.blackboxMicros().getAsLong(), 2f);
        });
        LogAxis rate = new LogAxis("checks (probes) per second achieved");
        LogAxis cost = new LogAxis("CPU µs per check (probe)");
        for (LogAxis axis : List.of(rate, cost)) {
            // Plain numbers (100, 1,000) rather than powers of ten; fixed ranges so plots of two runs compare.
            axis.setNumberFormatOverride(new DecimalFormat("#,##0"));
            axis.setBase(10);
        }
        rate.setRange(RATES_SHOWN[0], RATES_SHOWN[1]);
        cost.setRange(COST_SHOWN[0], COST_SHOWN[1]);
        XYPlot plot = new XYPlot(data, rate, cost, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart("healthmon cost curve (2 cores) — monitor, monitor + aggregator, "
                + "blackbox_exporter", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
    }

    private static void add(XYSeriesCollection data, XYLineAndShapeRenderer renderer, String name,
            List<CurveRow> points, Function<CurveRow, Double> x, ToDoubleFunction<CurveRow> y, float dash) {
        if (points.isEmpty()) {
            return;
        }
        XYSeries series = new XYSeries(name);
        points.forEach(r -> series.add(x.apply(r).doubleValue(), y.applyAsDouble(r)));
        data.addSeries(series);
        int index = data.getSeriesCount() - 1;
        renderer.setSeriesStroke(index, new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f,
                dash == 1f ? null : new float[] {dash * 2, dash * 2}, 0f));
    }
}
