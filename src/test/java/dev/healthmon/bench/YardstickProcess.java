package dev.healthmon.bench;

import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The main of the process {@link BenchAggregator#yardstick} starts: one {@link PlainStreamsYardstick} reading the
 * live {@code health-events} (and the registry, for {@code -twosources}) until the process is stopped, so that the
 * load run measures what the engine alone costs per event at the monitor's rate, next to the aggregator. Exits 1
 * if its Streams instance fails.
 *
 * <p>Arguments: bootstrap servers, application id, yardstick spec, partitions of the events topic, state directory,
 * then Kafka settings as {@code key=value} (the load run's {@code bench.aggregator.kafka}).
 *
 * <p><b>Threading.</b> The main thread watches the Streams instance's state until the shutdown hook (on the process's
 * stop) counts {@code stopped} down and closes the instance; a state seen after that is the close's, not a failure.
 */
public final class YardstickProcess {

    private static final Set<KafkaStreams.State> FAILED = Set.of(KafkaStreams.State.PENDING_ERROR,
            KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_SHUTDOWN, KafkaStreams.State.NOT_RUNNING);

    private YardstickProcess() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> overrides = Arrays.stream(args, 5, args.length).map(kv -> kv.split("=", 2))
                .collect(Collectors.toMap(kv -> kv[0], kv -> kv[1]));
        KafkaSettings settings = new KafkaSettings(args[0], overrides);
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
            if (FAILED.contains(streams.state()) && stopped.getCount() > 0) {
                System.out.println(yardstick.name() + " failed: " + streams.state());
                System.exit(1);
            }
        }
    }
}
