package dev.healthmon.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.probe.GeneratedResponses.Case;
import dev.healthmon.probe.GeneratedResponses.Expected;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Properties of {@link ResponseReader}, on seeded generated responses ({@link GeneratedResponses}):
 * a valid HTTP/1.1 response gives the same answer however its bytes are cut into reads — all at once,
 * one byte at a time, at random points — and however TCP segments it on a real loopback socket; an
 * invalidly framed one is a protocol error, never a wait for bytes that will not come.
 *
 * <p>Every build tries the same seeds, so a failure seen once is seen again; its message names the seed
 * and the response. {@code -Dhealthmon.property.runs=N} searches longer.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ResponseReaderPropertyTest {

    private static final int RUNS = Integer.getInteger("healthmon.property.runs", 400);
    /** Socket runs are slower (a connection each): fewer of them. */
    private static final int SOCKET_RUNS = Math.max(1, RUNS / 5);
    private static final long FIRST_SEED = 20261201L;
    private static final byte[] GET = "GET /health HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /** Bounds each socket case: an invalid response must fail at once, not at this timeout. */
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(10);

    private static final PlainHttpClient client = new PlainHttpClient();

    @AfterAll
    static void closeClient() {
        client.close();
    }

    /** What reading gave: an answer, a protocol error, or neither (the reader still waits for bytes). */
    private record Read(Expected answer, String error) {
        static Read answered(ResponseReader reader) {
            return new Read(new Expected(reader.status(), reader.retryAfter(), reader.reusable()), null);
        }

        static final Read STILL_WAITING = new Read(null, "no answer: the reader still waits for bytes");
    }

    // ---- the reader on its own ----

    @Test
    void aValidResponseGivesTheSameAnswerWhateverTheReadsItArrivesIn() {
        ResponseReader reader = new ResponseReader(); // one reader for all, as a kept connection has
        for (long seed = FIRST_SEED; seed < FIRST_SEED + RUNS; seed++) {
            Random random = new Random(seed);
            Case c = GeneratedResponses.valid(random, false);
            for (int[] cuts : cutsFor(random, c.bytes().length)) {
                assertAnswered(seed, c, cuts, read(reader, c, cuts));
            }
        }
    }

    /**
     * The same property for the RFC-valid forms listed in {@link GeneratedResponses} (a repeated
     * Content-Length value in a list, chunk sizes with many leading zeros), which the reader refused
     * before the fix made on the {@code wp-corpus} branch.
     */
    @Test
    void rfcTolerancesForLengthListsAndZeroPaddedChunkSizesAreAnsweredToo() {
        ResponseReader reader = new ResponseReader();
        int tried = 0;
        for (long seed = FIRST_SEED; tried < RUNS / 4 && seed < FIRST_SEED + 100 * RUNS; seed++) {
            Random random = new Random(seed);
            Case c = GeneratedResponses.valid(random, true);
            if (c.features().isEmpty()) {
                continue;
            }
            tried++;
            for (int[] cuts : cutsFor(random, c.bytes().length)) {
                assertAnswered(seed, c, cuts, read(reader, c, cuts));
            }
        }
        assertThat(tried).as("generated cases with the tolerated forms").isEqualTo(RUNS / 4);
    }

    @Test
    void anInvalidResponseIsAProtocolErrorWhateverTheReadsItArrivesIn() {
        ResponseReader reader = new ResponseReader();
        for (long seed = FIRST_SEED; seed < FIRST_SEED + RUNS; seed++) {
            Random random = new Random(seed);
            Case c = GeneratedResponses.invalid(random);
            for (int[] cuts : cutsFor(random, c.bytes().length)) {
                Read read = read(reader, c, cuts);
                assertThat(read.error()).as(failure(seed, c, cuts, read)).startsWith("protocol:");
            }
        }
    }

    private static void assertAnswered(long seed, Case c, int[] cuts, Read read) {
        Expected expected = c.expected();
        assertThat(read.error()).as(failure(seed, c, cuts, read)).isNull();
        if (c.reusableVaries()) {
            expected = new Expected(expected.status(), expected.retryAfter(), read.answer().reusable());
        }
        assertThat(read.answer()).as(failure(seed, c, cuts, read)).isEqualTo(expected);
    }

    private static String failure(long seed, Case c, int[] cuts, Read read) {
        return "seed " + seed + ", reads cut at " + (cuts.length > 40 ? cuts.length + " points" : Arrays.toString(cuts))
                + ", got " + read + ", case " + c;
    }

    /** Whole, byte by byte, and at a few random points: the cut points of each way of reading. */
    private static List<int[]> cutsFor(Random random, int length) {
        List<int[]> ways = new ArrayList<>();
        ways.add(new int[0]);
        int[] everyByte = new int[Math.max(0, length - 1)];
        Arrays.setAll(everyByte, i -> i + 1);
        ways.add(everyByte);
        for (int i = 0; i < 3; i++) {
            ways.add(randomCuts(random, length));
        }
        return ways;
    }

    private static int[] randomCuts(Random random, int length) {
        TreeSet<Integer> cuts = new TreeSet<>();
        for (int i = random.nextInt(8); i > 0 && length > 1; i--) {
            cuts.add(1 + random.nextInt(length - 1));
        }
        return cuts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Feeds the bytes in the reads {@code cuts} makes, then the end of the connection if the server closes. */
    private static Read read(ResponseReader reader, Case c, int[] cuts) {
        reader.reset(c.bodyCap());
        byte[] bytes = c.bytes();
        int from = 0;
        try {
            for (int i = 0; i <= cuts.length; i++) {
                int to = i < cuts.length ? cuts[i] : bytes.length;
                if (reader.read(ByteBuffer.wrap(bytes, from, to - from))) {
                    return Read.answered(reader);
                }
                from = to;
            }
            return c.closeAfter() && reader.endOfStream() ? Read.answered(reader) : Read.STILL_WAITING;
        } catch (ProtocolException e) {
            return new Read(null, "protocol: " + e.getMessage());
        }
    }

    // ---- through the client, over a real loopback socket ----

    @Test
    void throughTheClientAnyTcpSegmentationGivesTheSameAnswer() throws Exception {
        for (long seed = FIRST_SEED; seed < FIRST_SEED + SOCKET_RUNS; seed++) {
            Random random = new Random(seed);
            Case c = GeneratedResponses.valid(random, false);
            int[] cuts = random.nextInt(4) == 0 ? everyByteUpTo(c.bytes().length, 400)
                    : randomCuts(random, c.bytes().length);
            Object got = exchange(c, cuts);
            assertThat(got).as("seed " + seed + ", written in pieces cut at " + Arrays.toString(cuts) + ", case " + c)
                    .isEqualTo(new PlainHttpClient.Response(c.expected().status(), c.expected().retryAfter()));
        }
    }

    @Test
    void throughTheClientAnInvalidResponseFailsAsProtocolAtOnceNotAtTheTimeout() throws Exception {
        for (long seed = FIRST_SEED; seed < FIRST_SEED + SOCKET_RUNS; seed++) {
            Random random = new Random(seed);
            Case c = GeneratedResponses.invalid(random);
            int[] cuts = randomCuts(random, c.bytes().length);
            Object got = exchange(c, cuts);
            assertThat(got).as("seed " + seed + ", written in pieces cut at " + Arrays.toString(cuts) + ", case " + c)
                    .isInstanceOf(Failure.class);
            assertThat(((Failure) got).kind()).as("seed " + seed + ": " + got + ", case " + c)
                    .isEqualTo(FailureKind.PROTOCOL);
        }
    }

    /** Byte-by-byte writes for the first {@code limit} bytes (each its own segment with TCP_NODELAY), then the rest. */
    private static int[] everyByteUpTo(int length, int limit) {
        int[] cuts = new int[Math.max(0, Math.min(length, limit) - 1)];
        Arrays.setAll(cuts, i -> i + 1);
        return cuts;
    }

    /**
     * One exchange with a server that writes the response in the pieces {@code cuts} makes, flushing
     * each (TCP_NODELAY), then closes only if the response runs to the end of the connection — else it
     * keeps the connection open, so a reader that wants more bytes would wait until the timeout.
     *
     * @return the client's {@link PlainHttpClient.Response}, or the {@link Failure} it failed with
     */
    private static Object exchange(Case c, int[] cuts) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> serve(server, c, cuts));
            try {
                InetSocketAddress address = new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
                return client.send(address, GET, CHECK_TIMEOUT, c.bodyCap())
                        .get(CHECK_TIMEOUT.toSeconds() * 2, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                return Failures.classify(e.getCause());
            } finally {
                try {
                    Socket socket = accepted.get(CHECK_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                    if (socket != null) {
                        socket.close();
                    }
                } catch (TimeoutException | ExecutionException ignored) {
                    // nothing connected, or the client went away early: the answer says what happened
                }
            }
        }
    }

    private static Socket serve(ServerSocket server, Case c, int[] cuts) {
        try {
            server.setSoTimeout((int) CHECK_TIMEOUT.toMillis());
            Socket socket = server.accept();
            socket.setTcpNoDelay(true);
            readRequestHead(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            byte[] bytes = c.bytes();
            int from = 0;
            for (int i = 0; i <= cuts.length; i++) {
                int to = i < cuts.length ? cuts[i] : bytes.length;
                out.write(bytes, from, to - from);
                out.flush();
                from = to;
            }
            if (c.closeAfter()) {
                socket.close();
            }
            return socket;
        } catch (SocketException e) {
            return null; // the client closed first: it had its answer (a cap) or its error
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void readRequestHead(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < end.length) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("request cut short");
            }
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }
}
