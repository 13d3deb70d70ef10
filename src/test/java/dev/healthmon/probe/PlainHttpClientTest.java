package dev.healthmon.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.healthmon.events.FailureKind;
import dev.healthmon.support.RequestHeads;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The plain-text HTTP/1.1 client against scripted servers on loopback, byte for byte. */
class PlainHttpClientTest {

    private static final PlainHttpClient client = new PlainHttpClient();
    private static final byte[] GET = "GET /health HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private ScriptedServer server;

    @AfterAll
    static void closeClient() {
        client.close();
    }

    @AfterEach
    void stopServer() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    /**
     * Answers each request with {@code script.answer(connection, request)}; closes the connection
     * when that returns null, or after the first answer if {@code closeAfterAnswer}.
     */
    @FunctionalInterface
    interface Script {
        String answer(int connection, int request);
    }

    private static final class ScriptedServer implements AutoCloseable {
        final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final AtomicInteger connections = new AtomicInteger();
        final List<String> requests = new CopyOnWriteArrayList<>();
        final List<Socket> open = new CopyOnWriteArrayList<>();

        ScriptedServer(Script script) throws IOException {
            this(script, false);
        }

        ScriptedServer(Script script, boolean closeAfterAnswer) throws IOException {
            Thread acceptor = new Thread(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket s = socket.accept();
                        open.add(s);
                        int index = connections.incrementAndGet();
                        Thread handler = new Thread(() -> serve(s, index, script, closeAfterAnswer));
                        handler.setDaemon(true);
                        handler.start();
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void serve(Socket s, int connection, Script script, boolean closeAfterAnswer) {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                for (int request = 1; ; request++) {
                    String head = RequestHeads.read(in);
                    if (head == null) {
                        return;
                    }
                    requests.add(head);
                    String answer = script.answer(connection, request);
                    if (answer == null) {
                        return;
                    }
                    out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    if (closeAfterAnswer) {
                        return;
                    }
                }
            } catch (IOException ignored) {
                // the client hung up
            }
        }

        InetSocketAddress address() {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket s : open) {
                s.close();
            }
        }
    }

    private PlainHttpClient.Response get(ScriptedServer on) throws Exception {
        return client.send(on.address(), GET, TIMEOUT, 64 * 1024).get(10, TimeUnit.SECONDS);
    }

    /** An exchange whose 2xx body goes to a watcher, as the lean MCP ping's does; answered on first bytes or not. */
    private static final class Watcher implements ResponseReader.Body {
        final byte[] answerSizedBuffer = new byte[1024 * 1024]; // what a lean ping's JSON buffer may hold
        final boolean answeredOnFirstBytes;

        Watcher(boolean answeredOnFirstBytes) {
            this.answeredOnFirstBytes = answeredOnFirstBytes;
        }

        @Override
        public void reset() {
        }

        @Override
        public void start(boolean eventStream) {
        }

        @Override
        public boolean bytes(ByteBuffer view) {
            answerSizedBuffer[0] = view.get(view.position());
            return answeredOnFirstBytes;
        }

        @Override
        public void end() {
        }
    }

    /** Sends one exchange with a watcher and waits for it; only a weak reference to the watcher is left. */
    private static WeakReference<Watcher> answeredWithWatcher(PlainHttpClient on, ScriptedServer server,
            boolean answeredOnFirstBytes) throws Exception {
        Watcher watcher = new Watcher(answeredOnFirstBytes);
        assertThat(on.send(PlainHttpClient.Route.plain(server.address()), GET, TIMEOUT, 64 * 1024, watcher)
                .get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        return new WeakReference<>(watcher);
    }

    @Test
    void aKeptConnectionLetsGoOfTheLastAnswersBodyWatcher() throws Exception {
        // A backend answering each MCP ping with 1 MiB would otherwise have every kept connection hold that much.
        server = new ScriptedServer((c, r) -> "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + "Content-Length: 2\r\n\r\n{}");
        WeakReference<Watcher> watcher = answeredWithWatcher(client, server, false);

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
            System.gc(); // what the test is about: whether anything still reaches the watcher
            return watcher.get() == null;
        });
        get(server);
        assertThat(server.connections).as("the connection was kept and reused").hasValue(1);
    }

    @Test
    void anAnswerOnAConnectionTheServerWillCloseIsNotReadOnForTheEndOfItsStream() throws Exception {
        // Answered before its event stream ended, on a connection the server said it will close: reading on for
        // the stream's end could not make the connection reusable, and would hold a descriptor meanwhile.
        server = new ScriptedServer((c, r) -> "HTTP/1.1 200 OK\r\nConnection: close\r\n"
                + "Content-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "d\r\ndata: {}\n\n\n\r\n"); // the stream stays open
        try (PlainHttpClient own = new PlainHttpClient()) {
            answeredWithWatcher(own, server, true);

            assertThat(own.openConnections()).isZero();
        }
    }

    @Test
    void sendsTheRequestAsGivenAndReadsStatusAndRetryAfter() throws Exception {
        server = new ScriptedServer((c, r)
                -> "HTTP/1.1 429 Too Many Requests\r\nretry-after:  12 \r\nContent-Length: 4\r\n\r\nbusy");

        PlainHttpClient.Response response = get(server);

        assertThat(response.status()).isEqualTo(429);
        assertThat(response.retryAfter()).isEqualTo("12");
        assertThat(server.requests).containsExactly(new String(GET, StandardCharsets.US_ASCII));
    }

    @Test
    void keepsTheConnectionForTheNextCheckOfTheSameAddress() throws Exception {
        server = new ScriptedServer((c, r) -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");

        for (int i = 0; i < 5; i++) {
            assertThat(get(server).status()).isEqualTo(200);
        }

        assertThat(server.connections).hasValue(1);
        assertThat(server.requests).hasSize(5);
    }

    @Test
    void readsAChunkedBodyToItsEndAndReusesTheConnection() throws Exception {
        server = new ScriptedServer((c, r) -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");

        assertThat(get(server).status()).isEqualTo(200);
        assertThat(get(server).status()).isEqualTo(200);

        assertThat(server.connections).hasValue(1);
    }

    @Test
    void aServerThatDroppedTheIdleConnectionCostsNoFailure() throws Exception {
        // Each connection answers one request, then the server closes it without saying so
        // (no "Connection: close"), as servers do when their keep-alive timeout passes.
        server = new ScriptedServer((c, r) -> r == 1 ? "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" : null);

        assertThat(get(server).status()).isEqualTo(200);
        assertThat(get(server).status()).as("sent again on a new connection").isEqualTo(200);

        assertThat(server.connections).hasValue(2);
    }

    @Test
    void a408OnAJustReusedConnectionIsSentAgainOnANewOne() throws Exception {
        // The server times the kept connection out just as the next request crosses: it answers
        // 408 and closes. That answers nothing about the backend.
        server = new ScriptedServer((c, r) -> c == 1 && r == 2
                ? "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
                : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");

        assertThat(get(server).status()).isEqualTo(200);
        assertThat(get(server).status()).as("sent again on a new connection").isEqualTo(200);

        assertThat(server.connections).hasValue(2);
    }

    @Test
    void a408OnANewConnectionIsTheAnswer() throws Exception {
        server = new ScriptedServer((c, r) -> "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n");

        assertThat(get(server).status()).isEqualTo(408);
        assertThat(server.connections).hasValue(1);
        assertThat(server.requests).hasSize(1);
    }

    @Test
    void strayBytesOnAKeptConnectionGetItClosedInsteadOfReadAsTheNextAnswer() throws Exception {
        server = new ScriptedServer((c, r) -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertThat(get(server).status()).isEqualTo(200);
        Socket kept = server.open.get(0);

        // Nobody asked for this: reused, the connection would hand it over as the next check's answer.
        kept.getOutputStream()
                .write("HTTP/1.1 500 Stale\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        // the client hung up: the server saw its end of stream
        await().atMost(Duration.ofSeconds(5)).until(kept::isClosed);

        assertThat(get(server).status()).isEqualTo(200);
        assertThat(server.connections).as("the next check on a new connection").hasValue(2);
    }

    @Test
    void bytesAfterAnAnswerThatFilledTheReadExactlyAreNotTakenAsTheNextAnswer() throws Exception {
        // The answer ends exactly where one read ends, and the server sent more after it. The next exchange,
        // started by the first one's completion in the same selector turn, must not find that on a kept connection.
        int readBytes = 256;
        String head = "HTTP/1.1 200 OK\r\nContent-Length: ";
        int bodyLength = readBytes - head.length() - "000\r\n\r\n".length();
        String exact = head + bodyLength + "\r\n\r\n" + "x".repeat(bodyLength);
        assertThat(exact).hasSize(readBytes);
        server = new ScriptedServer((c, r) -> c == 1 && r == 1
                ? exact + "HTTP/1.1 500 Stale\r\nContent-Length: 0\r\n\r\n" // one write: one read takes 256
                : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        try (PlainHttpClient own = new PlainHttpClient(readBytes)) {
            PlainHttpClient.Response next = own.send(server.address(), GET, TIMEOUT, 64 * 1024)
                    .thenCompose(first -> own.send(server.address(), GET, TIMEOUT, 64 * 1024))
                    .get(10, TimeUnit.SECONDS);

            assertThat(next.status()).as("the second check's own answer").isEqualTo(200);
            assertThat(server.connections).as("the second check on a new connection").hasValue(2);
        }
    }

    @Test
    void aRetryGoesToANewConnectionNotToAnotherKeptOne() throws Exception {
        // Two kept connections, both dropped by the server (it closes each when its second request comes).
        CountDownLatch bothOpen = new CountDownLatch(2);
        server = new ScriptedServer((c, r) -> {
            if (r > 1 && c <= 2) {
                return null;
            }
            if (c <= 2) {
                bothOpen.countDown();
                try {
                    bothOpen.await(5, TimeUnit.SECONDS); // answer only once both are open: two connections
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        });
        var first = client.send(server.address(), GET, TIMEOUT, 1024);
        var second = client.send(server.address(), GET, TIMEOUT, 1024);
        assertThat(first.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        assertThat(second.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);

        assertThat(get(server).status()).isEqualTo(200);

        assertThat(server.connections).as("two kept, then one new").hasValue(3);
    }

    @Test
    void aLengthNextToChunkedIsReadAsChunkedAndTheConnectionNotKept() throws Exception {
        server = new ScriptedServer((c, r)
                -> "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "2\r\nok\r\n0\r\n\r\n");

        assertThat(get(server).status()).isEqualTo(200);
        assertThat(get(server).status()).isEqualTo(200);

        assertThat(server.connections).hasValue(2);
    }

    @Test
    void anHttp10AnswerDoesNotKeepTheConnection() throws Exception {
        server = new ScriptedServer((c, r) -> "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");

        get(server);
        get(server);

        assertThat(server.connections).hasValue(2);
    }

    @Test
    void whitespaceBeforeAHeaderColonIsAProtocolError() throws Exception {
        server = new ScriptedServer((c, r) -> "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok");

        assertThatThrownBy(()
                -> get(server)).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ProtocolException.class);
    }

    @Test
    void afterCloseEverySendFailsAsTheClientsOwnFailure() throws Exception {
        PlainHttpClient closed = new PlainHttpClient();
        closed.close();

        assertThatThrownBy(() -> closed.send(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9), GET, TIMEOUT,
                1024)
                .get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(PlainHttpClient.ClientFailure.class);
        assertThat(Failures.classify(new PlainHttpClient.ClientFailure("HTTP client closed", null)).kind())
                .isEqualTo(FailureKind.INTERNAL);
    }

    @Test
    void connectionCloseIsHonouredAndTheConnectionNotKept() throws Exception {
        server = new ScriptedServer((c, r) -> "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");

        get(server);
        get(server);

        assertThat(server.connections).hasValue(2);
    }

    @Test
    void aBodyWithoutLengthRunsToTheEndOfTheConnection() throws Exception {
        server = new ScriptedServer((c, r) -> "HTTP/1.0 503 Service Unavailable\r\n\r\ndown for maintenance", true);

        assertThat(get(server).status()).isEqualTo(503);
    }

    @Test
    void skipsAnInterimAnswer() throws Exception {
        server = new ScriptedServer((c, r) -> "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");

        assertThat(get(server).status()).isEqualTo(204);
    }

    @Test
    void somethingThatIsNotHttpIsAProtocolError() throws Exception {
        server = new ScriptedServer((c, r) -> "SSH-2.0-OpenSSH_9.6\r\n\r\n");

        assertThatThrownBy(() -> get(server)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(ProtocolException.class);
    }

    @Test
    void anAnswerCutShortIsAnErrorAndIsNotSentAgain() throws Exception {
        server = new ScriptedServer((c, r) -> "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b", true);

        assertThatThrownBy(()
                -> get(server)).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ProtocolException.class);
        assertThat(server.connections).hasValue(1);
    }

    @Test
    void doesNotWakeWithNothingInFlightOrKeptAndStillAnswersWhenAsked() throws Exception {
        server = new ScriptedServer((c, r) -> null); // answers nothing, closes: nothing is kept afterwards
        try (PlainHttpClient quiet = new PlainHttpClient()) {
            await().atMost(Duration.ofSeconds(5)).until(() -> quiet.openConnections() == 0);
            long turns = quiet.turns();

            // A sweep timer would turn the loop ten times in this while (every 20 ms).
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> quiet.turns() == turns);

            assertThatThrownBy(() -> quiet.send(server.address(), GET, TIMEOUT, 1024).get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(IOException.class);
        }
    }

    @Test
    void sendsStartedInOneBatchWakeTheSelectorOnceAtItsEndAndAreAllSent() throws Exception {
        server = new ScriptedServer((c, r) -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        try (PlainHttpClient own = new PlainHttpClient()) {
            // Once this answers, the selector has taken its last wake-up: the next send asks for a new one.
            assertThat(own.openConnections()).isZero();
            long before = own.wakeups();
            List<CompletableFuture<PlainHttpClient.Response>> sent = new ArrayList<>();

            PlainHttpClient.sendsInOneWakeup(() -> {
                for (int i = 0; i < 3; i++) {
                    sent.add(own.send(server.address(), GET, TIMEOUT, 1024));
                }
                assertThat(own.wakeups()).as("no wake-up while the batch is being started").isEqualTo(before);
            });

            assertThat(own.wakeups()).as("one for the whole batch").isEqualTo(before + 1);
            for (CompletableFuture<PlainHttpClient.Response> response : sent) {
                assertThat(response.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
            }
        }
    }

    @Test
    void sleepsOneSweepWhileAnExchangeIsInFlightUntilTheIdleSweepWithKeptConnectionsElseUntilWoken() {
        long sweep = PlainHttpClient.selectTimeoutMillis(1, 0, 0);
        assertThat(sweep).isEqualTo(20);
        assertThat(PlainHttpClient.selectTimeoutMillis(3, 5, 0)).isEqualTo(sweep);
        assertThat(PlainHttpClient.selectTimeoutMillis(0, 1, Duration.ofMillis(300).toNanos())).isEqualTo(700);
        assertThat(PlainHttpClient.selectTimeoutMillis(0, 1, Duration.ofSeconds(5).toNanos()))
                .as("an idle sweep overdue runs at once, never 0, which would mean for ever").isEqualTo(1);
        assertThat(PlainHttpClient.selectTimeoutMillis(0, 0, Duration.ofSeconds(5).toNanos()))
                .as("nothing in flight, nothing kept: sleep until a command or a socket wakes it").isZero();
    }

    @Test
    void theTurnTheIdleSweepIsDueSweepsEvenRightAfterASweep() {
        long justSwept = Duration.ofMillis(1).toNanos();
        long idleSweepOverdue = Duration.ofMillis(1_001).toNanos();
        assertThat(PlainHttpClient.selectTimeoutMillis(0, 1, idleSweepOverdue)).isEqualTo(1);
        assertThat(PlainHttpClient.sweepDue(justSwept, idleSweepOverdue))
                .as("else the selector wakes every millisecond until the sweep period is over").isTrue();
        assertThat(PlainHttpClient.sweepDue(justSwept, Duration.ofMillis(500).toNanos())).isFalse();
        assertThat(PlainHttpClient.sweepDue(Duration.ofMillis(20).toNanos(), 0)).isTrue();
    }

    @Test
    void noAnswerWithinTheTimeoutIsATimeout() throws Exception {
        server = new ScriptedServer((c, r) -> {
            try {
                Thread.sleep(5_000); // a backend that does not answer in time
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });

        long start = System.nanoTime();
        assertThatThrownBy(() -> client.send(server.address(), GET, Duration.ofMillis(200), 1024).get(10,
                TimeUnit.SECONDS))
                .hasCauseInstanceOf(HttpTimeoutException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(client.openConnections()).as("the timed-out connection is closed, not kept").isZero();
    }

    @Test
    void cancellingClosesTheConnection() throws Exception {
        CountDownLatch asked = new CountDownLatch(1);
        server = new ScriptedServer((c, r) -> {
            asked.countDown();
            try {
                Thread.sleep(10_000); // a backend still thinking when the check is cancelled
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        var pending = client.send(server.address(), GET, TIMEOUT, 1024);
        assertThat(asked.await(5, TimeUnit.SECONDS)).isTrue();

        pending.cancel(true);

        await().atMost(Duration.ofSeconds(5)).until(() -> client.openConnections() == 0);
    }

    @Test
    void readerAcceptsAnAnswerSplitAnywhere() throws Exception {
        byte[] answer = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        ResponseReader reader = new ResponseReader();
        reader.reset(1024);
        boolean done = false;
        for (int i = 0; i < answer.length; i++) {
            assertThat(done).as("done only at the last byte").isFalse();
            done = reader.read(ByteBuffer.wrap(answer, i, 1));
        }
        assertThat(done).isTrue();
        assertThat(reader.status()).isEqualTo(200);
        assertThat(reader.reusable()).isTrue();
    }

    @Test
    void readerStopsAtTheCapAndGivesUpTheConnection() throws Exception {
        ResponseReader reader = new ResponseReader();
        reader.reset(10);
        boolean done = reader.read(ByteBuffer.wrap(("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + "x".repeat(20))
                .getBytes(StandardCharsets.US_ASCII)));
        assertThat(done).isTrue();
        assertThat(reader.reusable()).isFalse();
    }

    @Test
    void readerRefusesConflictingLengths() {
        ResponseReader reader = new ResponseReader();
        reader.reset(1024);
        assertThatThrownBy(() -> reader.read(ByteBuffer.wrap(
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII))))
                .isInstanceOf(ProtocolException.class);
    }

}
