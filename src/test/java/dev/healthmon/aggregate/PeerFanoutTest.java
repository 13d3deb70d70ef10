package dev.healthmon.aggregate;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.json.Json;
import dev.healthmon.support.RequestHeads;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What another instance (or anything answering on its address) can do to a query's fan-out, at the level of the
 * HTTP exchange: answers the JDK client lets through that would otherwise slip past the bounds of
 * {@link PeerFanout}. The peer is a raw socket the test scripts.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PeerFanoutTest {

    private static final ObjectMapper MAPPER = Json.mapper();

    private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final List<Socket> open = new CopyOnWriteArrayList<>();

    PeerFanoutTest() throws IOException {
    }

    @AfterEach
    void stop() throws IOException {
        socket.close();
        for (Socket s : open) {
            s.close();
        }
    }

    /** Answers every request with {@code head} (an HTTP head; null: no answer) and then holds the connection. */
    private HostInfo peerAnswering(String head) {
        Thread acceptor = new Thread(() -> {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    open.add(s);
                    InputStream in = s.getInputStream();
                    if (RequestHeads.read(in) != null && head != null) {
                        s.getOutputStream().write(head.getBytes(US_ASCII));
                        s.getOutputStream().flush();
                    }
                } catch (IOException closed) {
                    return;
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        return new HostInfo("127.0.0.1", socket.getLocalPort());
    }

    private static List<List<String>> ask(PeerFanout fanout, PeerFanout.Query query, HostInfo peer) throws Exception {
        return fanout.ask(query, List.of(peer), "/api/status?scope=local", PeerItems.Shape.PAGE, p -> "item",
                status -> false);
    }

    @Test
    void aNegativeContentLengthIsThePeersFailureAndLeavesTheSharedBudgetAsItWas() throws Exception {
        // Reserved as it was, a negative length lowered what the queries in progress hold below zero: every other
        // query's answers then passed the 64 MiB bound for as long as this exchange stayed open.
        HostInfo peer = peerAnswering("HTTP/1.1 200 OK\r\nContent-Length: -4611686018427387904\r\n\r\n");
        PeerFanout fanout = new PeerFanout(new PeerFanout.Limits(Duration.ofSeconds(10), 1024, 1024), MAPPER);

        try (PeerFanout.Query query = fanout.open()) {
            assertThatThrownBy(() -> ask(fanout, query, peer)).isInstanceOf(IOException.class)
                    .hasMessageContaining("127.0.0.1:" + peer.port()).hasMessageContaining("negative Content-Length");
        }
        try (PeerFanout.Query other = fanout.open()) {
            assertThatThrownBy(() -> other.reserve("another peer", 2048)).as("the bound still holds")
                    .isInstanceOf(PeerFanout.OverBudgetException.class);
        }
    }

    @Test
    void everyFanOutOfOneQueryEndsByTheQuerysOneDeadline() throws Exception {
        // A summary may ask twice (an earlier version's instance): a peer answering the first at once and stalling
        // the second must not hold the query for two deadlines.
        HostInfo peer = peerAnswering(null);
        PeerFanout fanout = new PeerFanout(new PeerFanout.Limits(Duration.ofSeconds(1), 1024, 1024), MAPPER);

        try (PeerFanout.Query query = fanout.open()) {
            assertThatThrownBy(() -> ask(fanout, query, peer)).isInstanceOf(HttpTimeoutException.class);
            long second = System.nanoTime();
            assertThatThrownBy(() -> ask(fanout, query, peer)).isInstanceOf(HttpTimeoutException.class);

            assertThat(Duration.ofNanos(System.nanoTime() - second)).as("the second fan-out, past the deadline")
                    .isLessThan(Duration.ofMillis(500));
        }
    }

    @Test
    void answersAreReadOnAFewNamedDaemonThreadsOfItsOwnThatEndWhenItCloses() throws Exception {
        // The JDK client's default executor starts a thread for every task that finds none idle: as many threads as
        // answers arriving at once, from as many queries as anyone sends.
        String body = "{\"items\": [1]}";
        // Connection: close — this peer answers one request per connection, and the client may send a second on a
        // kept connection, which would then wait out the deadline (a CI run saw 1 of the 16 do so).
        HostInfo peer = peerAnswering("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " + body.length()
                + "\r\n\r\n" + body);
        Set<Thread> decoders = ConcurrentHashMap.newKeySet();
        PeerFanout fanout = new PeerFanout(new PeerFanout.Limits(Duration.ofSeconds(10), 1024, 1 << 20), MAPPER);

        try (PeerFanout.Query query = fanout.open()) {
            List<List<Thread>> answers = fanout.ask(query, Collections.nCopies(16, peer), "/api/status?scope=local",
                    PeerItems.Shape.PAGE, item -> {
                        decoders.add(Thread.currentThread());
                        return Thread.currentThread();
                    }, status -> false);
            assertThat(answers).hasSize(16).allSatisfy(items -> assertThat(items).hasSize(1));
        }
        fanout.close();

        List<Thread> pool = decoders.stream().filter(t -> !t.getName().contains("SelectorManager")).toList();
        assertThat(pool).as("decoded on %s", decoders).isNotEmpty().hasSizeLessThanOrEqualTo(PeerFanout.THREADS)
                .allSatisfy(thread -> {
                    assertThat(thread.getName()).startsWith("healthmon-peer-fanout-");
                    assertThat(thread.isDaemon()).isTrue();
                });
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(pool).noneMatch(Thread::isAlive));
    }

    @Test
    void aMemberAdvertisingAnAddressThatIsNoURIIsItsFailureNotTheCallersBadParameter() {
        // application.server is a group member's own setting; Kafka lets '%' through in its host.
        PeerFanout fanout = new PeerFanout(PeerFanout.Limits.DEFAULTS, MAPPER);

        try (PeerFanout.Query query = fanout.open()) {
            assertThatThrownBy(() -> ask(fanout, query, new HostInfo("a%zz", 8080))).isInstanceOf(IOException.class)
                    .hasMessageContaining("a%zz:8080 advertises an address that is not one");
        }
    }
}
