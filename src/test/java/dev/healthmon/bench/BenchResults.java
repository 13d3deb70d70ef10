package dev.healthmon.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.utils.AppInfoParser;

/**
 * Writes one benchmark's figures to {@code target/bench/<name>.json} and {@code <name>.md} (a
 * figure/value table), each preceded by the machine they were measured on, and prints the table.
 */
final class BenchResults {

    private BenchResults() {}

    /** Cores, JVM, OS and Kafka version: figures mean little without them. */
    static Map<String, Object> machine() {
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        machine.put("kafka", AppInfoParser.getVersion());
        return machine;
    }

    static void write(String name, Map<String, ?> figures) throws Exception {
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("machine", machine());
        results.putAll(figures);
        Path dir = Files.createDirectories(Path.of("target", "bench"));
        Files.writeString(dir.resolve(name + ".json"),
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(results));
        StringBuilder md = new StringBuilder("| figure | value |\n|---|---|\n");
        results.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        Files.writeString(dir.resolve(name + ".md"), md.toString());
        System.out.println("\n" + name + " (" + dir.resolve(name + ".json") + "):\n" + md);
    }
}
