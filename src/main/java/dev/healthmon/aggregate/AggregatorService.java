package dev.healthmon.aggregate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.healthmon.http.OpsEndpoints;
import dev.healthmon.http.Readiness;
import dev.healthmon.json.Json;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.kafka.TopicAdmin;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One aggregator instance: the Kafka Streams application ({@link StatusTopology}) and its HTTP
 * server (query API and status page, {@link StatusApi}). {@link #start} verifies that the registry
 * and events topics are co-partitioned and refuses to start otherwise.
 */
public final class AggregatorService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AggregatorService.class);

    /** How long {@link #close()} waits for Streams to commit and leave the group (a pod's grace period covers it). */
    public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final KafkaStreams streams;
    private final HttpServer http;
    private final ExecutorService httpThreads;
    private final StatusQueries queries;
    private final HostInfo self;
    private final CountDownLatch stopped;

    private AggregatorService(KafkaStreams streams, HttpServer http, ExecutorService httpThreads,
                              StatusQueries queries, HostInfo self, CountDownLatch stopped) {
        this.streams = streams;
        this.http = http;
        this.httpThreads = httpThreads;
        this.queries = queries;
        this.self = self;
        this.stopped = stopped;
    }

    public static AggregatorService start(AggregatorConfig config, MeterRegistry meters) {
        int partitions;
        try (TopicAdmin admin = new TopicAdmin(config.kafka(), config.topics())) {
            partitions = admin.verifyCoPartitioned();
            admin.growExisting(changelogs(config.applicationId()), partitions);
        }
        HttpServer http;
        try {
            http = HttpServer.create(new InetSocketAddress(config.httpHost(), config.httpPort()), 50);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + config.httpHost() + ":" + config.httpPort()
                    + ": " + e.getMessage(), e);
        }
        HostInfo self = new HostInfo(config.advertisedHost(), http.getAddress().getPort());
        KafkaStreams streams = new KafkaStreams(
                StatusTopology.build(config.topics(), config.checkDefaults(), config.settings(), meters),
                KafkaSettings.toProperties(config.kafka().streams(config.applicationId(),
                self.host() + ":" + self.port(),
                        config.stateDir().toString(), config.standbyReplicas())));
        streams.setUncaughtExceptionHandler(error -> {
            if (changelogsBehindTheRegistry(error)) {
                // The registry and events topics grew while we ran: Streams refuses to create the new
                // partitions' tasks until the changelogs have them too. Grow them and go on.
                try (TopicAdmin admin = new TopicAdmin(config.kafka(), config.topics())) {
                    admin.growExisting(changelogs(config.applicationId()), admin.registryPartitions());
                    log.warn("aggregator: the registry grew; changelogs grown to match, replacing the stream thread");
                    return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
                } catch (RuntimeException e) {
                    log.error("aggregator: cannot grow the changelogs to the registry's partitions", e);
                }
            }
            log.error("aggregator stream thread failed; stopping this instance", error);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        CountDownLatch stopped = new CountDownLatch(1);
        streams.setStateListener((now, before) -> {
            log.info("aggregator state {} -> {}", before, now);
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                stopped.countDown();
            }
        });
        KafkaStreamsMetrics streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(meters);
        StatusQueries queries = serve(http, streams, self, meters);
        ExecutorService httpThreads = Executors.newFixedThreadPool(4, runnable -> {
            Thread thread = new Thread(runnable, "healthmon-aggregator-http");
            thread.setDaemon(true);
            return thread;
        });
        http.setExecutor(httpThreads);
        streams.start();
        http.start();
        log.info("aggregator={} started: {} partitions, status page http://{}:{}/", config.applicationId(), partitions,
                self.host(), self.port());
        return new AggregatorService(streams, http, httpThreads, queries, self, stopped);
    }

    /**
     * Installs the instance's HTTP surface over {@code streams}: {@code /readyz} and the other ops
     * endpoints ({@link #readiness}), the query API and the status page ({@link StatusApi}).
     *
     * @return what the API answers from: close it once the server has stopped (it owns the threads that read other
     *         instances' answers)
     */
    static StatusQueries serve(HttpServer http, KafkaStreams streams, HostInfo self, MeterRegistry meters) {
        OpsEndpoints.install(http, meters, () -> readiness(streams.state()));
        ObjectMapper mapper = Json.mapper();
        StatusQueries queries = new StatusQueries(streams, self, new StatusJson(mapper), mapper, meters);
        new StatusApi(http, queries, new StatusJson(mapper), mapper);
        return queries;
    }

    /**
     * Ready only in {@code RUNNING}: not while starting ({@code CREATED}), rebalancing or restoring
     * ({@code REBALANCING}), nor once stopping or stopped, after a close or an error.
     */
    static Readiness readiness(KafkaStreams.State state) {
        return Readiness.when(state == KafkaStreams.State.RUNNING, "streams state " + state
                + " (RUNNING is ready: not while starting, rebalancing or restoring state, nor once stopped)");
    }

    /**
     * The changelog topics of the aggregator's stores. A store's partition N holds the backends of
     * registry partition N (tasks follow the registry's partitions), so when the registry grows the
     * changelogs grow with it and their existing partitions keep their meaning.
     */
    static List<String> changelogs(String applicationId) {
        return List.of(applicationId + "-" + StatusStores.REGISTRATIONS + "-changelog",
                applicationId + "-" + StatusStores.STATUSES + "-changelog");
    }

    /** Streams' refusal to go on with changelogs that have fewer partitions than their source topics. */
    private static boolean changelogsBehindTheRegistry(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            String message = cause.getMessage();
            if (message != null && message.contains("-changelog has invalid partitions")) {
                return true;
            }
        }
        return false;
    }

    /** The port the query API and status page listen on. */
    public int httpPort() {
        return self.port();
    }

    /** True while the streams application runs (all tasks assigned and restored). */
    public boolean ready() {
        return readiness(streams.state()).ready();
    }

    /** Blocks until the streams application has stopped: after {@link #close()}, or on a fatal error (state ERROR). */
    public KafkaStreams.State awaitTermination() throws InterruptedException {
        stopped.await();
        return streams.state();
    }

    @Override
    public void close() {
        http.stop(0);
        httpThreads.shutdownNow();
        queries.close();
        // Leave the group: otherwise the other instances wait a session timeout (45 s) before taking
        // over this instance's partitions, and their statuses are not queryable meanwhile.
        streams.close(CloseOptions.timeout(CLOSE_TIMEOUT)
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        log.info("aggregator stopped");
    }
}
