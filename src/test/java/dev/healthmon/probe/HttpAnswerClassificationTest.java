package dev.healthmon.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.support.HostileServer;
import dev.healthmon.support.HostileServer.Mode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.SocketException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What counts as the answer of a plain-text HTTP check, against raw servers on loopback: framing
 * that RFC 9110/9112 allow is read, the status is the answer even when the body does not end, and
 * the monitor's own failures are not blamed on the backend.
 */
class HttpAnswerClassificationTest {

    private static final PlainHttpClient client = new PlainHttpClient();
    private static final byte[] GET = "GET / HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private HostileServer server;

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

    private PlainHttpClient.Response get(Mode mode, Duration timeout) throws Exception {
        if (server == null) {
            server = new HostileServer(mode);
        }
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port());
        return client.send(address, GET, timeout, 64 * 1024).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aContentLengthListOfOneRepeatedValueIsThatLengthAndKeepsTheConnection() throws Exception {
        assertThat(get(Mode.REPEATED_CONTENT_LENGTH, Duration.ofSeconds(5)).status()).isEqualTo(200);
        assertThat(get(Mode.REPEATED_CONTENT_LENGTH, Duration.ofSeconds(5)).status()).isEqualTo(200);

        assertThat(server.connections()).as("framed, so the connection is kept").isEqualTo(1);
    }

    @Test
    void aContentLengthListOfDifferentValuesIsAProtocolError() {
        assertThatThrownBy(() -> get(Mode.CONTENT_LENGTH_LIST_CONFLICT, Duration.ofSeconds(5)))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ProtocolException.class);
    }

    @Test
    void chunkSizesWithLeadingZerosAreReadAsTheHexTheyAre() throws Exception {
        assertThat(get(Mode.ZERO_PADDED_CHUNKS, Duration.ofSeconds(5)).status()).isEqualTo(200);
        assertThat(get(Mode.ZERO_PADDED_CHUNKS, Duration.ofSeconds(5)).status()).isEqualTo(200);

        assertThat(server.connections()).as("read to its end, so the connection is kept").isEqualTo(1);
    }

    @Test
    void anEventStreamIsAnsweredByItsHeadWithoutWaitingForTheTimeout() throws Exception {
        long start = System.nanoTime();

        assertThat(get(Mode.EVENT_STREAM, Duration.ofSeconds(5)).status()).isEqualTo(200);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 0); // the stream is not kept
    }

    @Test
    void aBodyStillArrivingAtTheDeadlineDoesNotHideTheStatus() throws Exception {
        long start = System.nanoTime();

        assertThat(get(Mode.TRICKLED_BODY, Duration.ofMillis(500)).status()).isEqualTo(200);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(client.openConnections()).as("a connection mid-body cannot carry another request").isZero();
    }

    @Test
    void headersStillArrivingAtTheDeadlineAreATimeout() {
        assertThatThrownBy(() -> get(Mode.SLOWLORIS_HEADERS, Duration.ofMillis(500)))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(HttpTimeoutException.class);
    }

    @Test
    void a408OnAReusedConnectionIsTheServerClosingItAndIsSentAgain() throws Exception {
        assertThat(get(Mode.IDLE_TIMEOUT_408, Duration.ofSeconds(5)).status()).isEqualTo(200);

        assertThat(get(Mode.IDLE_TIMEOUT_408, Duration.ofSeconds(5)).status()).isEqualTo(200);

        assertThat(server.connections()).as("sent again on a new connection").isEqualTo(2);
    }

    @Test
    void a408OnANewConnectionIsTheAnswer() throws Exception {
        assertThat(get(Mode.ALWAYS_408, Duration.ofSeconds(5)).status()).isEqualTo(408);
        assertThat(get(Mode.ALWAYS_408, Duration.ofSeconds(5)).status()).as("sent once more at most").isEqualTo(408);

        assertThat(server.requests()).isEqualTo(3);
    }

    @Test
    void runningOutOfFileDescriptorsIsTheMonitorsFaultNotTheBackends() {
        // What the JDK throws when socket() fails with EMFILE, bare and as the client wraps it for a connect.
        SocketException emfile = new SocketException("Too many open files");
        ConnectException wrapped = new ConnectException("Too many open files");
        wrapped.initCause(emfile);

        for (Throwable error : new Throwable[] {emfile, wrapped, new CompletionException(wrapped),
                new IOException("Too many open files in system")}) {
            Failure failure = Failures.classify(error);
            assertThat(failure.kind()).as(error.toString()).isEqualTo(FailureKind.INTERNAL);
            assertThat(failure.message()).contains("file descriptors");
        }
        assertThat(Failures.classify(new ConnectException("Connection refused")).kind())
                .isEqualTo(FailureKind.CONNECTION_REFUSED);
    }
}
