package dev.healthmon.aggregate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.json.Json;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What another aggregator's answer costs the instance that asked (docs/design.md §8.6, docs/BENCHMARKS.md): the
 * heap its records hold per byte of its JSON, against the JSON tree the queries built before, and how fast it is
 * decoded as it arrives ({@link PeerItems}, 16 KiB chunks as the HTTP client hands them over). Two answers: statuses
 * as instances write them, and a hostile one packing 2,000 tiny labels into each status. One JVM, no broker, no
 * sockets: {@code flock /work/heavy.lock mvn -B -o -Pbench test -Dtest=PeerAnswerBench}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PeerAnswerBench {

    private static final ObjectMapper MAPPER = Json.mapper();
    private static final StatusJson JSON = new StatusJson(MAPPER);
    private static final int CHUNK = 16 * 1024;
    /** What a measurement keeps reachable while the heap is read. */
    private static Object kept;

    @Test
    void heapAndSpeedOfAPeersAnswer() throws Exception {
        System.out.printf("%-12s %12s %8s %16s %18s %14s%n", "answer", "JSON bytes", "items", "records / JSON",
                "old tree / JSON", "decode MB/s");
        report("statuses", page(20_000, 0));
        report("tiny labels", page(500, 2_000));
    }

    private static void report(String name, byte[] body) throws Exception {
        double best = 0;
        for (int run = 0; run < 8; run++) { // the first runs warm the JIT up; the best is the steady state
            long start = System.nanoTime();
            decode(body);
            best = Math.max(best, body.length / ((System.nanoTime() - start) / 1e3));
        }
        long before = usedHeap();
        kept = decode(body);
        long records = usedHeap() - before;
        int items = ((List<?>) kept).size();
        kept = null;
        before = usedHeap();
        kept = MAPPER.readTree(body);
        long tree = usedHeap() - before;
        kept = null;
        System.out.printf("%-12s %12d %8d %15.2f× %17.2f× %14.0f%n", name, body.length, items,
                records / (double) body.length, tree / (double) body.length, best);
    }

    /** A page of {@code n} statuses (every field set), each with {@code labels} more labels of one or two digits. */
    private static byte[] page(int n, int labels) throws Exception {
        ObjectNode page = MAPPER.createObjectNode();
        ArrayNode items = page.putArray("items");
        for (int i = 0; i < n; i++) {
            ObjectNode item = JSON.statusNode(StoreValues.full().view()).put("id", "backend-" + i + "-payments-api");
            for (int k = 0; k < labels; k++) {
                item.withObject("labels").put(Integer.toString(k, 36), Integer.toString(k % 100));
            }
            items.add(item);
        }
        return MAPPER.writeValueAsBytes(page.put("total", n));
    }

    private static List<BackendStatus> decode(byte[] body) throws Exception {
        PeerItems<BackendStatus> items = new PeerItems<>(MAPPER, PeerItems.Shape.PAGE, JSON::status, Long.MAX_VALUE,
                "bench", bytes -> { });
        items.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
            }

            @Override
            public void cancel() {
            }
        });
        for (int at = 0; at < body.length; at += CHUNK) {
            items.onNext(List.of(ByteBuffer.wrap(body, at, Math.min(CHUNK, body.length - at))));
        }
        items.onComplete();
        return items.getBody().toCompletableFuture().get();
    }

    /** The heap in use once collected: System.gc() a few times, as close to "live objects" as the JDK offers. */
    private static long usedHeap() {
        for (int i = 0; i < 5; i++) {
            System.gc();
        }
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
