package dev.healthmon.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The event codec through the Jackson mapping against the hand-written one it replaced
 * ({@link HandWrittenEventJson}), on {@link HotPathBenchmarks}' events, in thread CPU time and in
 * alternating rounds. JMH's scores are wall-clock time, which on the shared 2-core machine includes
 * the time other processes hold the cores and moved by ±50 % between iterations; CPU time of
 * interleaved rounds leaves that out, so the two codecs can be compared to a few per cent. Also
 * what validating a registration against the shipped schema would add to its decode.
 * Run: {@code mvn -B -o -Pbench test -Dtest=EventCodecAbBench}; figures in {@code target/bench/codec-ab.md}.
 */
class EventCodecAbBench {

    private static final int ROUNDS = 31;
    private static final int OPS_PER_ROUND = 20_000;

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void jacksonMappingAgainstTheHandWrittenCodec() throws Exception {
        HotPathBenchmarks b = new HotPathBenchmarks();
        b.setUp();
        Map<String, ToIntFunction<HotPathBenchmarks>> cases = new LinkedHashMap<>();
        cases.put("encodeEvent", h -> h.encodeEvent().length);
        cases.put("encodeEventByHand", h -> h.encodeEventByHand().length);
        cases.put("encodeFailedEvent", h -> h.encodeFailedEvent().length);
        cases.put("encodeFailedEventByHand", h -> h.encodeFailedEventByHand().length);
        cases.put("decodeEvent", h -> h.decodeEvent().consecutiveSuccesses());
        cases.put("decodeEventByHand", h -> h.decodeEventByHand().consecutiveSuccesses());
        cases.put("decodeFailedEvent", h -> h.decodeFailedEvent().consecutiveFailures());
        cases.put("decodeFailedEventByHand", h -> h.decodeFailedEventByHand().consecutiveFailures());
        cases.put("decodeRegistration", h -> h.decodeRegistration().hashCode());
        cases.put("validateRegistrationWithSchema", h -> h.validateRegistrationWithSchema().size());
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (int warmUp = 0; warmUp < 10; warmUp++) {
            for (ToIntFunction<HotPathBenchmarks> op : cases.values()) {
                for (int i = 0; i < OPS_PER_ROUND; i++) {
                    sink += op.applyAsInt(b);
                }
            }
        }
        Map<String, List<Double>> nanosPerOp = new LinkedHashMap<>();
        cases.keySet().forEach(name -> nanosPerOp.put(name, new ArrayList<>()));
        for (int round = 0; round < ROUNDS; round++) {
            for (Map.Entry<String, ToIntFunction<HotPathBenchmarks>> c : cases.entrySet()) {
                long start = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < OPS_PER_ROUND; i++) {
                    sink += c.getValue().applyAsInt(b);
                }
                nanosPerOp.get(c.getKey()).add((threads.getCurrentThreadCpuTime() - start) / (double) OPS_PER_ROUND);
            }
        }
        Map<String, String> figures = new LinkedHashMap<>();
        Map<String, Double> medians = new LinkedHashMap<>();
        nanosPerOp.forEach((name, values) -> {
            double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            medians.put(name, sorted[sorted.length / 2]);
            figures.put(name, String.format(Locale.ROOT, "%.0f ns/op CPU (median of %d rounds; quartiles %.0f-%.0f)",
                    sorted[sorted.length / 2], ROUNDS, sorted[sorted.length / 4], sorted[3 * sorted.length / 4]));
        });
        for (String name : List.of("encodeEvent", "encodeFailedEvent", "decodeEvent", "decodeFailedEvent")) {
            figures.put(name + " Jackson/hand", String.format(Locale.ROOT, "%+.1f %%",
                    100 * (medians.get(name) / medians.get(name + "ByHand") - 1)));
        }
        figures.put("schema validation / decodeRegistration", String.format(Locale.ROOT, "%+.1f %%",
                100 * medians.get("validateRegistrationWithSchema") / medians.get("decodeRegistration")));
        figures.put("checksum (keeps the work from being optimised away)", Long.toString(sink));
        BenchResults.write("codec-ab", figures);
    }
}
