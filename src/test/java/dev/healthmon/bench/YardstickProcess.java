package dev.healthmon.bench;

import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The main of the process {@link BenchAggregator#yardstick} starts: one {@link PlainStreamsYardstick} reading the
 * live {@code health-events} (and the registry, for {@code -twosources}) until the process is stopped, so that the
 * load run measures what the engine alone costs per event at the monitor's rate, next to the aggregator. Exits 1
 * if its Streams instance fails.
 *
 * <p>Arguments: bootstrap servers, application id, yardstick spec, partitions of the events topic, state directory.
 */
public final class YardstickProcess {

    private static final Set<KafkaStreams.State> FAILED = Set.of(KafkaStreams.State.PENDING_ERROR,
            KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_SHUTDOWN, KafkaStreams.State.NOT_RUNNING);

    private YardstickProcess() {}

    public static void main(String[] args) throws Exception {
        KafkaSettings settings = KafkaSettings.of(args[0]);
        String applicationId = args[1];
        PlainStreamsYardstick yardstick = PlainStreamsYardstick.parse(args[2]);
        String output = applicationId + "-out";
        try (Admin admin = Admin.create(settings.admin())) {
            admin.createTopics(List.of(new NewTopic(output, Integer.parseInt(args[3]), (short) 1))).all()
                    .get(30, TimeUnit.SECONDS);
        }
        KafkaStreams streams = yardstick.start(settings, applicationId, Topics.DEFAULTS.events(),
                Topics.DEFAULTS.registry(), output, Path.of(args[4]));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopped.countDown();
            streams.close(Duration.ofSeconds(20));
        }));
        System.out.println(yardstick.name() + " started as " + applicationId);
        while (!stopped.await(1, TimeUnit.SECONDS)) {
            if (FAILED.contains(streams.state())) {
                System.out.println(yardstick.name() + " failed: " + streams.state());
                System.exit(1);
            }
        }
    }
}
