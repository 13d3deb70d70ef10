package dev.healthmon.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time and wake-ups of every OS thread of this process (or of another, by pid), from {@code /proc/<pid>/task/*}:
 * the JVM's own threads (GC, JIT, "VM Periodic Task Thread") included, which {@code ThreadMXBean} does
 * not list. Grouped by thread name (Linux keeps its first 15 characters) with numbers stripped.
 * Empty where there is no {@code /proc} (not Linux).
 *
 * <p>A wake-up is counted as a context switch ({@code voluntary_ctxt_switches +
 * nonvoluntary_ctxt_switches}): a thread that sleeps on a timer and wakes 200 times a second
 * shows 200 a second even when it finds nothing to do, which is what a fixed cost looks like.
 */
final class OsThreadStats {

    /** CPU nanoseconds and context switches of one group of threads. */
    record Usage(long cpuNanos, long switches) {
        Usage plus(Usage other) {
            return new Usage(cpuNanos + other.cpuNanos, switches + other.switches);
        }

        Usage minus(Usage other) {
            return new Usage(cpuNanos - other.cpuNanos, switches - other.switches);
        }
    }

    private OsThreadStats() {}

    /**
     * Now, by thread: keys are {@code <name, numbers stripped>/<tid>}; threads that ended are not in it. Compare two
     * samples with {@link #delta}: summed by name before the difference, a thread that ended in between (the load
     * run's earlier points leave idle client threads that time out) took its whole life's CPU and wake-ups away
     * from its group, and the figures went negative.
     */
    static Map<String, Usage> sample() {
        return sample("self");
    }

    /** The same as {@link #sample()} for the process {@code pid} ("self" for this one); empty once it has ended. */
    static Map<String, Usage> sample(String pid) {
        Map<String, Usage> groups = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", pid, "task"))) {
            for (Path task : tasks) {
                try {
                    String name = Files.readString(task.resolve("comm")).trim().replaceAll("-?\\d+", "");
                    long cpu = Long.parseLong(Files.readString(task.resolve("schedstat")).trim().split("\\s+")[0]);
                    long switches = 0;
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.contains("ctxt_switches:")) {
                            switches += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                    groups.put(name + "/" + task.getFileName(), new Usage(cpu, switches));
                } catch (IOException | RuntimeException ended) {
                    // the thread ended while being read
                }
            }
        } catch (IOException noProc) {
            return Map.of();
        }
        return groups;
    }

    /**
     * What each thread group used between two samples: per thread, {@code after} minus {@code before} (a thread
     * started in between counts from zero, one that ended counts nothing), then summed by name.
     */
    static Map<String, Usage> delta(Map<String, Usage> before, Map<String, Usage> after) {
        Map<String, Usage> groups = new HashMap<>();
        after.forEach((thread, usage) -> groups.merge(thread.substring(0, thread.lastIndexOf('/')),
                usage.minus(before.getOrDefault(thread, new Usage(0, 0))), Usage::plus));
        return groups;
    }

    /**
     * Per thread group between two samples: percent of one core and wake-ups per second, the groups
     * above {@code minPercent} or {@code minWakeups}, busiest first.
     */
    static Map<String, String> between(Map<String, Usage> before, Map<String, Usage> after, double seconds,
                                       double minPercent, double minWakeups) {
        Map<String, String> rows = new LinkedHashMap<>();
        delta(before, after).entrySet().stream()
                .filter(e -> percent(e.getValue(), seconds) >= minPercent || e.getValue().switches() / seconds
                        >= minWakeups)
                .sorted((a, b) -> Long.compare(b.getValue().cpuNanos(), a.getValue().cpuNanos()))
                .forEach(e -> rows.put(e.getKey(), String.format("%.2f %% of a core, %.1f wake-ups/s",
                        percent(e.getValue(), seconds), e.getValue().switches() / seconds)));
        return rows;
    }

    /**
     * CPU nanoseconds of every group in {@code delta} (from {@link #delta}) but the JIT compiler's threads
     * ({@code C1 CompilerThre}, {@code C2 CompilerThre}, named {@code C CompilerThre} once numbers are stripped): what
     * a process spent on its work once its code is compiled. The compiler works through its queue asynchronously,
     * so its time lands in whatever runs while it catches up, not in what asked for the compilation.
     */
    static long cpuNanosWithoutJit(Map<String, Usage> delta) {
        return delta.entrySet().stream().filter(e -> !e.getKey().contains("CompilerThre"))
                .mapToLong(e -> e.getValue().cpuNanos()).sum();
    }

    private static double percent(Usage usage, double seconds) {
        return usage.cpuNanos() / 1e9 / seconds * 100;
    }
}
