package dev.healthmon.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.aggregate.StatusJson;
import dev.healthmon.aggregate.StatusTransition;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.events.HealthEventCodec;
import dev.healthmon.json.Json;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.UntrustedText;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code healthmon tail}: follow health-events (or health-transitions), readable or as JSON lines, filtered. */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = "Follow health-events (or --transitions), one line per record; Ctrl-C stops.")
final class TailCommand implements Callable<Integer> {

    private static final int MAX_ID = 200;
    private static final int MAX_TEXT = 300;

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--transitions", description = "Follow health-transitions instead of health-events.")
    boolean transitions;

    @Option(names = "--json", description = "Print each record's JSON value, one line each "
            + "(compact, control characters escaped).")
    boolean json;

    @Option(names = "--backend", paramLabel = "ID", description = "Only these backends; repeatable.")
    Set<String> backends = Set.of();

    @Option(names = "--status", description = "Only records whose status (events) or new status (transitions) is this.")
    HealthStatus status;

    @Option(names = "--label", paramLabel = "KEY=VALUE",
            description = "Only transitions of backends with this label (events carry no labels).")
    String label;

    @Option(names = "--from-beginning", description = "Start at the oldest record instead of the newest.")
    boolean fromBeginning;

    @Option(names = "--max-records", defaultValue = "0",
            description = "Stop after this many records; 0 follows until Ctrl-C.")
    long maxRecords;

    @Override
    public Integer call() {
        if (label != null && !transitions) {
            throw new IllegalArgumentException("--label: health events carry no labels; use it with --transitions");
        }
        if (label != null && label.indexOf('=') <= 0) {
            throw new IllegalArgumentException("--label: must be KEY=VALUE, was \"" + label + "\"");
        }
        String topic = transitions ? kafka.topics().transitions() : kafka.topics().events();
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper mapper = Json.mapper();
        HealthEventCodec events = new HealthEventCodec(mapper);
        StatusJson statuses = new StatusJson(mapper);
        CountDownLatch done = new CountDownLatch(1);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.settings().plainConsumer())) {
            Thread hook = new Thread(() -> {
                consumer.wakeup();
                awaitQuietly(done);
            }, "healthmon-tail-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic, Duration.ofSeconds(30)).forEach(p
                    -> partitions.add(new TopicPartition(topic, p.partition())));
            consumer.assign(partitions);
            if (fromBeginning) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            long printed = 0;
            try {
                while (maxRecords == 0 || printed < maxRecords) {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                        if (record.value() == null) {
                            continue;
                        }
                        String line = transitions ? transition(statuses.decodeTransition(record.value()), record)
                                : event(events.decode(record.value()), record);
                        if (line != null) {
                            out.println(line);
                            out.flush();
                            if (maxRecords > 0 && ++printed >= maxRecords) {
                                break;
                            }
                        }
                    }
                }
            } catch (WakeupException stopping) {
                // Ctrl-C
            } finally {
                done.countDown();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // exiting because of Ctrl-C
            }
        }
        return 0;
    }

    private String event(HealthEvent e, ConsumerRecord<byte[], byte[]> record) {
        if (!backends.isEmpty() && !backends.contains(e.backendId()) || status != null && e.status() != status) {
            return null;
        }
        return json ? TerminalJson.line(record.value()) : eventLine(e);
    }

    /** Ids, monitor ids and failure messages come from registry writers and backends: escaped. */
    static String eventLine(HealthEvent e) {
        return String.format(Locale.ROOT, "%s  %-24s %-32s %-15s %5d ms  %s  [%s]", e.checkedAt(),
                UntrustedText.escape(e.backendId(), MAX_ID),
                e.status() + e.reason().map(r -> " (" + r + ")").orElse(""), e.outcome(), e.latencyMs(),
                e.failure().map(f -> f.kind() + ": " + UntrustedText.escape(f.message(), MAX_TEXT)).orElse(""),
                UntrustedText.escape(e.monitorId(), MAX_ID));
    }

    private String transition(StatusTransition t, ConsumerRecord<byte[], byte[]> record) {
        if (!backends.isEmpty() && !backends.contains(t.backendId()) || status != null && t.to() != status) {
            return null;
        }
        if (label != null) {
            String key = label.substring(0, label.indexOf('='));
            if (!label.substring(label.indexOf('=') + 1).equals(t.labels().get(key))) {
                return null;
            }
        }
        return json ? TerminalJson.line(record.value()) : transitionLine(t);
    }

    static String transitionLine(StatusTransition t) {
        return String.format(Locale.ROOT, "%s  %-24s %s -> %s%s  %s", t.at(),
                UntrustedText.escape(t.backendId(), MAX_ID), t.from(), t.to(),
                t.reason().map(r -> " (" + r + ")").orElse(""), t.kind());
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(TimeUnit.SECONDS.toMillis(5), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
