package dev.healthmon.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

/**
 * A backend that misbehaves on purpose, one {@link Mode} per server, speaking raw bytes on a
 * loopback socket (no HTTP library would let it lie this way). Every connection gets a thread that
 * plays the mode and then waits for the client to hang up, so the server holds a connection
 * exactly as long as the client does: its sockets and threads mirror the client's, and a client
 * that leaks connections makes the server's count grow too.
 *
 * <p>Run as a program ({@link #main}), it starts one server per mode given (all when none) and
 * prints {@code READY MODE=port ...}: a test that must count its own file descriptors and threads
 * runs the hostile backends in another process.
 *
 * <p>Threading: the acceptor and the per-connection threads are the server's own; {@link #close}
 * may be called from any thread and ends them all.
 */
public final class HostileServer implements AutoCloseable {

    /** What the server does with each connection. */
    public enum Mode {
        // Answers that never come, or come too slowly.
        NEVER_ANSWERS, SLOWLORIS_STATUS_LINE, SLOWLORIS_HEADERS, ENDLESS_INTERIM, CONTINUE_THEN_NOTHING,
        // Connections that end early.
        CLOSE_AFTER_ACCEPT, RESET_AFTER_ACCEPT, RESET_MID_HEADERS, CUT_SHORT_BODY,
        // Not HTTP/1.x, or malformed HTTP.
        HTTP_09, RANDOM_BYTES, HTTP2_PREFACE, STATUS_LINE_GARBAGE, HEADER_WITHOUT_COLON, SPACE_BEFORE_COLON,
        HUGE_HEADER_LINE, ENDLESS_HEADERS, CONFLICTING_CONTENT_LENGTH, CONTENT_LENGTH_LIST_CONFLICT,
        NEGATIVE_CONTENT_LENGTH, OVERFLOWING_CONTENT_LENGTH, BAD_CHUNK_SIZE, OVERFLOWING_CHUNK_SIZE,
        CHUNK_WITHOUT_CRLF,
        // Valid answers with hostile content.
        ENDLESS_CHUNKED_BODY, TRICKLED_BODY, BODY_LARGER_THAN_CAP, GZIP_BOMB, EVENT_STREAM, ABSURD_RETRY_AFTER,
        REDIRECT_TO_METADATA, UNSOLICITED_SWITCHING_PROTOCOLS, REPEATED_CONTENT_LENGTH, ZERO_PADDED_CHUNKS,
        IDLE_TIMEOUT_408, ALWAYS_408,
        // MCP over streamable HTTP: hostile answers to a POST of a JSON-RPC request.
        MCP_NOT_JSON, MCP_NOT_JSON_RPC, MCP_ERROR_RESPONSE, MCP_ID_MISMATCH, MCP_WRONG_PROTOCOL_VERSION,
        MCP_ENDLESS_EVENT_STREAM, MCP_HUGE_EVENT_LINE, MCP_NEVER_ANSWERS,
        // MCP over the old SSE transport: an endpoint event that points somewhere else.
        MCP_SSE_CROSS_ORIGIN_ENDPOINT,
        // A well-behaved backend, for the good ones checked next to the hostile ones.
        GOOD
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OK_HEAD = "HTTP/1.1 200 OK\r\n";
    /** 16 MiB of zeros, gzipped to ~16 KiB: what a client that inflates bodies would choke on. */
    private static final byte[] GZIP_BOMB_BODY = gzipOfZeros(16 << 20);

    private final Mode mode;
    private final ServerSocket socket;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile String crossOrigin = "http://169.254.169.254/messages";

    public HostileServer(Mode mode) throws IOException {
        this(mode, InetAddress.getLoopbackAddress());
    }

    /** @param bind a loopback address: {@code ::1} for a backend next to a corpus that denies 127.0.0.0/8 */
    public HostileServer(Mode mode, InetAddress bind) throws IOException {
        this.mode = mode;
        this.socket = new ServerSocket(0, 200, bind);
        Thread acceptor = new Thread(this::accept, "hostile-" + mode);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** For {@link Mode#MCP_SSE_CROSS_ORIGIN_ENDPOINT}: where the endpoint event points. */
    public HostileServer pointingAt(String url) {
        this.crossOrigin = url;
        return this;
    }

    public Mode mode() {
        return mode;
    }

    public int port() {
        return socket.getLocalPort();
    }

    public String url() {
        InetAddress bind = socket.getInetAddress();
        String host = bind instanceof Inet6Address ? "[" + bind.getHostAddress() + "]" : bind.getHostAddress();
        return "http://" + host + ":" + port() + (mode.name().startsWith("MCP_SSE") ? "/sse" : "/");
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    /** Request heads read so far. */
    public int requests() {
        return requests.get();
    }

    /** Connections the server still holds open. */
    public int openConnections() {
        return open.size();
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket s = socket.accept();
                connections.incrementAndGet();
                open.add(s);
                Thread handler = new Thread(() -> handle(s), "hostile-" + mode + "-conn");
                handler.setDaemon(true);
                handler.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void handle(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            play(new Conn(s, in, out));
            drain(in); // hold the connection until the client lets it go
        } catch (IOException | InterruptedException gone) {
            // the client hung up, or the server is closing
        } finally {
            open.remove(s);
        }
    }

    /** One connection's streams, with the reads and writes the modes are made of. */
    private final class Conn {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        Conn(Socket socket, InputStream in, OutputStream out) {
            this.socket = socket;
            this.in = in;
            this.out = out;
        }

        /** The request head and body (by Content-Length); null when the client hung up first. */
        String request() throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1) {
                head.write(b);
                int n = head.size();
                byte[] bytes = head.toByteArray();
                if (n >= 4 && bytes[n - 4] == '\r' && bytes[n - 3] == '\n'
                        && bytes[n - 2] == '\r' && bytes[n - 1] == '\n') {
                    requests.incrementAndGet();
                    String text = head.toString(StandardCharsets.ISO_8859_1);
                    int length = contentLength(text);
                    return text + (length > 0 ? new String(in.readNBytes(length), StandardCharsets.UTF_8) : "");
                }
            }
            return null;
        }

        void send(String text) throws IOException {
            send(text.getBytes(StandardCharsets.ISO_8859_1));
        }

        void send(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        /** Sends {@code text} one byte every {@code millis}; ends when the client hangs up. */
        void trickle(String text, long millis) throws IOException, InterruptedException {
            for (byte b : text.getBytes(StandardCharsets.ISO_8859_1)) {
                out.write(b);
                out.flush();
                Thread.sleep(millis); // the pace is the behaviour
            }
        }

        /** Sends {@code text} again and again until the client hangs up. */
        void forever(String text, long millis) throws IOException, InterruptedException {
            byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
            while (true) {
                out.write(bytes);
                out.flush();
                if (millis > 0) {
                    Thread.sleep(millis);
                }
            }
        }

        void reset() throws IOException {
            socket.setSoLinger(true, 0); // close with RST instead of FIN
            socket.close();
        }
    }

    private void play(Conn c) throws IOException, InterruptedException {
        switch (mode) {
            case NEVER_ANSWERS, MCP_NEVER_ANSWERS -> c.request();
            case SLOWLORIS_STATUS_LINE -> {
                c.request();
                c.trickle("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 100);
            }
            case SLOWLORIS_HEADERS -> {
                c.request();
                c.send(OK_HEAD);
                c.trickle("X-Slow: " + "a".repeat(1000) + "\r\n\r\n", 100);
            }
            case ENDLESS_INTERIM -> {
                c.request();
                c.forever("HTTP/1.1 102 Processing\r\n\r\n", 5);
            }
            case CONTINUE_THEN_NOTHING -> {
                c.request();
                c.send("HTTP/1.1 100 Continue\r\n\r\n");
            }
            case CLOSE_AFTER_ACCEPT -> c.socket.close();
            case RESET_AFTER_ACCEPT -> c.reset();
            case RESET_MID_HEADERS -> {
                c.request();
                c.send(OK_HEAD + "Content-Type: text/pl");
                c.reset();
            }
            case CUT_SHORT_BODY -> {
                c.request();
                c.send(OK_HEAD + "Content-Length: 100\r\n\r\nonly ten b");
                c.socket.close();
            }
            case HTTP_09 -> {
                c.request();
                c.send("<html>ok</html>\n");
                c.socket.close();
            }
            case RANDOM_BYTES -> {
                c.request();
                byte[] noise = new byte[4096];
                new Random(42).nextBytes(noise);
                noise[noise.length - 1] = '\n'; // a line end, so the noise is judged rather than waited on
                c.send(noise);
            }
            case HTTP2_PREFACE -> {
                c.request();
                c.send("HTTP/2 200\r\n\r\n");
            }
            case STATUS_LINE_GARBAGE -> {
                c.request();
                c.send("HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n");
            }
            case HEADER_WITHOUT_COLON -> {
                c.request();
                c.send(OK_HEAD + "Content-Length 0\r\n\r\n");
            }
            case SPACE_BEFORE_COLON -> {
                c.request();
                c.send(OK_HEAD + "Content-Length : 2\r\n\r\nok");
            }
            case HUGE_HEADER_LINE -> {
                c.request();
                c.send(OK_HEAD + "X-Huge: " + "h".repeat(1 << 20) + "\r\n\r\n");
            }
            case ENDLESS_HEADERS -> {
                c.request();
                c.send(OK_HEAD);
                c.forever("X-More: yes\r\n", 0);
            }
            case CONFLICTING_CONTENT_LENGTH -> {
                c.request();
                c.send(OK_HEAD + "Content-Length: 2\r\nContent-Length: 3\r\n\r\nok!");
            }
            case CONTENT_LENGTH_LIST_CONFLICT -> {
                c.request();
                c.send(OK_HEAD + "Content-Length: 2, 3\r\n\r\nok!");
            }
            case NEGATIVE_CONTENT_LENGTH -> {
                c.request();
                c.send(OK_HEAD + "Content-Length: -1\r\n\r\nok");
            }
            case OVERFLOWING_CONTENT_LENGTH -> {
                c.request();
                c.send(OK_HEAD + "Content-Length: 99999999999999999999999999\r\n\r\nok");
            }
            case BAD_CHUNK_SIZE -> {
                c.request();
                c.send(OK_HEAD + "Transfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n");
            }
            case OVERFLOWING_CHUNK_SIZE -> {
                c.request();
                c.send(OK_HEAD + "Transfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\nok\r\n");
            }
            case CHUNK_WITHOUT_CRLF -> {
                c.request();
                c.send(OK_HEAD + "Transfer-Encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n");
            }
            case ENDLESS_CHUNKED_BODY -> {
                c.request();
                c.send(OK_HEAD + "Transfer-Encoding: chunked\r\n\r\n");
                c.forever("400\r\n" + "x".repeat(1024) + "\r\n", 0);
            }
            case TRICKLED_BODY -> {
                c.request();
                c.send(OK_HEAD + "Content-Length: 100000\r\n\r\n");
                c.trickle("x".repeat(100_000), 100);
            }
            case BODY_LARGER_THAN_CAP -> {
                c.request();
                c.send(OK_HEAD + "Content-Length: 10485760\r\n\r\n");
                byte[] block = new byte[64 * 1024];
                for (int i = 0; i < 160; i++) {
                    c.send(block);
                }
            }
            case GZIP_BOMB -> {
                byte[] bomb = GZIP_BOMB_BODY;
                while (c.request() != null) {
                    c.send(OK_HEAD + "Content-Encoding: gzip\r\nContent-Length: " + bomb.length + "\r\n\r\n");
                    c.send(bomb);
                }
            }
            case EVENT_STREAM -> {
                c.request();
                c.send(OK_HEAD + "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n");
                c.forever(": keep-alive\n\n", 200);
            }
            case ABSURD_RETRY_AFTER -> everyRequest(c,
                    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 99999999999999999999\r\nContent-Length: 0\r\n\r\n");
            case REDIRECT_TO_METADATA -> everyRequest(c,
                    "HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\n"
                            + "Content-Length: 0\r\n\r\n");
            case UNSOLICITED_SWITCHING_PROTOCOLS -> {
                c.request();
                c.send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
            }
            case REPEATED_CONTENT_LENGTH -> {
                while (c.request() != null) {
                    c.send(OK_HEAD + "Content-Length: 2, 2\r\n\r\nok");
                }
            }
            case ZERO_PADDED_CHUNKS -> {
                while (c.request() != null) {
                    c.send(OK_HEAD + "Transfer-Encoding: chunked\r\n\r\n"
                            + "00000000000000000002\r\nok\r\n0000000000000000000\r\n\r\n");
                }
            }
            case IDLE_TIMEOUT_408 -> {
                // What a server whose keep-alive timer fired says to the next request on that connection.
                c.request();
                c.send(OK_HEAD + "Content-Length: 2\r\n\r\nok");
                if (c.request() != null) {
                    c.send("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
                    c.socket.close();
                }
            }
            case ALWAYS_408 -> {
                while (c.request() != null) {
                    c.send("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n");
                }
            }
            case GOOD -> everyRequest(c, OK_HEAD + "Content-Length: 2\r\n\r\nok");
            case MCP_NOT_JSON -> answerPosts(c, request -> json200("{not json"));
            case MCP_NOT_JSON_RPC -> answerPosts(c, request -> json200("{\"hello\":\"world\"}"));
            case MCP_ERROR_RESPONSE -> answerPosts(c, request -> json200("{\"jsonrpc\":\"2.0\",\"id\":" + id(request)
                    + ",\"error\":{\"code\":-32603,\"message\":\"\\u001b[2Jbroken\"}}"));
            case MCP_ID_MISMATCH ->
                    answerPosts(c, request -> json200(initializeResult("\"not-your-id\"", "2025-06-18")));
            case MCP_WRONG_PROTOCOL_VERSION ->
                    answerPosts(c, request -> json200(initializeResult(id(request), "1999-01-01")));
            case MCP_ENDLESS_EVENT_STREAM -> {
                if (c.request() != null) {
                    c.send(OK_HEAD + "Content-Type: text/event-stream\r\n\r\n");
                    c.forever(": still thinking\n\n", 50);
                }
            }
            case MCP_HUGE_EVENT_LINE -> {
                if (c.request() != null) {
                    c.send(OK_HEAD + "Content-Type: text/event-stream\r\n\r\nevent: message\ndata: ");
                    c.forever("x".repeat(64 * 1024), 10); // 6 MB/s: a line that never ends, not a memory test
                }
            }
            case MCP_SSE_CROSS_ORIGIN_ENDPOINT -> {
                if (c.request() != null) {
                    c.send(OK_HEAD + "Content-Type: text/event-stream\r\n\r\n"
                            + "event: endpoint\ndata: " + crossOrigin + "\n\n");
                    c.forever(": ping\n\n", 200);
                }
            }
            default -> throw new IllegalStateException(mode.name());
        }
    }

    @FunctionalInterface
    private interface Answer {
        String to(String request) throws IOException;
    }

    /** Sends {@code answer} to every request on the connection, as a keep-alive server does. */
    private static void everyRequest(Conn c, String answer) throws IOException {
        while (c.request() != null) {
            c.send(answer);
        }
    }

    /**
     * Answers every POST on the connection with {@code answer}; a GET (the client's optional
     * server-to-client stream) gets a stream that stays open and quiet, as real servers do.
     */
    private static void answerPosts(Conn c, Answer answer) throws IOException {
        String request;
        while ((request = c.request()) != null) {
            if (!request.startsWith("POST")) {
                c.send(OK_HEAD + "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n");
                return; // held open until the client hangs up
            } else if (request.contains("\"notifications/")) {
                c.send("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
            } else {
                c.send(answer.to(request));
            }
        }
    }

    private static String json200(String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return OK_HEAD + "Content-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n"
                + new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static String initializeResult(String id, String version) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{\"protocolVersion\":\"" + version
                + "\",\"capabilities\":{},\"serverInfo\":{\"name\":\"hostile\",\"version\":\"1\"}}}";
    }

    /** The JSON-RPC id of a request, as JSON text. */
    private static String id(String request) throws IOException {
        JsonNode body = JSON.readTree(request.substring(request.indexOf("\r\n\r\n") + 4));
        return body.path("id").toString();
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return Integer.parseInt(line.substring(15).trim());
            }
        }
        return 0;
    }

    private static byte[] gzipOfZeros(int size) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
            byte[] zeros = new byte[64 * 1024];
            for (int written = 0; written < size; written += zeros.length) {
                gzip.write(zeros);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot happen in memory", e);
        }
        return bytes.toByteArray();
    }

    private static void drain(InputStream in) throws IOException {
        byte[] sink = new byte[4096];
        while (in.read(sink) != -1) {
            // discard until the client hangs up
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket s : open) {
            s.close();
        }
    }

    /**
     * Starts one server per mode named in {@code args} (all modes when none), prints
     * {@code READY MODE=port ...} on one line, and runs until its standard input ends.
     */
    public static void main(String[] args) throws IOException {
        List<Mode> modes = new ArrayList<>();
        if (args.length == 0) {
            modes.addAll(List.of(Mode.values()));
        } else {
            for (String arg : args) {
                String[] nameAndCount = arg.split("\\*");
                int count = nameAndCount.length > 1 ? Integer.parseInt(nameAndCount[1]) : 1;
                for (int i = 0; i < count; i++) {
                    modes.add(Mode.valueOf(nameAndCount[0]));
                }
            }
        }
        List<HostileServer> servers = new ArrayList<>();
        StringBuilder ready = new StringBuilder("READY");
        for (Mode m : modes) {
            HostileServer server = new HostileServer(m);
            servers.add(server);
            ready.append(' ').append(m).append('=').append(server.port());
        }
        System.out.println(ready);
        System.out.flush();
        drain(System.in); // the parent closes our input (or dies) to stop us
        for (HostileServer server : servers) {
            server.close();
        }
    }
}
