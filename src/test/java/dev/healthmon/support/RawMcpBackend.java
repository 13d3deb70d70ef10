package dev.healthmon.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * A misbehaving "MCP server" on loopback below the protocol: it accepts connections and never
 * answers, or answers every request with one canned response, or speaks just enough of the SSE
 * transport to send a canned answer as a {@code message} event. It counts the connections a
 * client holds open to it (accepted and not yet closed by the client), and the most it ever held
 * at once, which is how tests prove that a probe closes what it opened.
 *
 * <p>Threading: one thread accepts, one thread per connection reads (to see the client close it).
 */
public final class RawMcpBackend implements AutoCloseable {

    /** What the backend does with one complete request on a connection. */
    @FunctionalInterface
    private interface Responder {
        void answer(String method, String body, OutputStream out) throws IOException;
    }

    private final ServerSocket server;
    private final Responder responder;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<String> requestHeads = new CopyOnWriteArrayList<>();
    /** Connections holding a ping {@link #session} left unanswered, and the most at once. */
    private final Set<OutputStream> holding = ConcurrentHashMap.newKeySet();
    private final AtomicInteger maxHolding = new AtomicInteger();
    private volatile String path = "/mcp";

    private RawMcpBackend(Responder responder) throws IOException {
        this.responder = responder;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
        Thread acceptor = new Thread(this::accept, "raw-mcp-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Accepts connections, reads what comes, never answers. */
    public static RawMcpBackend hanging() throws IOException {
        return new RawMcpBackend((method, body, out) -> {});
    }

    /** Answers every request with status 200, {@code Content-Type: application/json} and {@code body}. */
    public static RawMcpBackend answeringJson(String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                + "\r\n\r\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(bytes);
        byte[] answer = out.toByteArray();
        return new RawMcpBackend((method, request, stream) -> {
            stream.write(answer);
            stream.flush();
        });
    }

    /** Answers every request with the head of a 200 JSON answer of 100 bytes, and never sends the body. */
    public static RawMcpBackend headWithoutBody() throws IOException {
        byte[] head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        return new RawMcpBackend((method, body, out) -> {
            out.write(head);
            out.flush();
        });
    }

    /**
     * An MCP server over the SSE transport ({@code url()} ending in {@code /sse}) whose answers,
     * sent as {@code message} events on the event stream, are {@code data}.
     */
    public static RawMcpBackend sseAnswering(String data) throws IOException {
        AtomicReference<OutputStream> events = new AtomicReference<>();
        RawMcpBackend backend = new RawMcpBackend((method, body, out) -> {
            if (method.equals("GET")) {
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
                        + "event: endpoint\ndata: /message\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                events.set(out);
                return;
            }
            out.write("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            OutputStream stream = events.get();
            if (stream != null) {
                synchronized (stream) {
                    stream.write(("event: message\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
                    stream.flush();
                }
            }
        });
        backend.path = "/sse";
        return backend;
    }

    /**
     * A streamable-HTTP MCP server that hands out session {@value #SESSION}: {@code initialize} is
     * answered as a conforming server would (JSON, protocol 2025-06-18), notifications with 202, the
     * event stream (GET) with 405, DELETE with 204, and a {@code ping} with what {@code pingAnswer}
     * makes of the ping's JSON-RPC id (as JSON text): a whole HTTP answer, head and body.
     */
    public static RawMcpBackend session(Function<String, String> pingAnswer) throws IOException {
        return session(id -> jsonAnswer(initializeResult(id, "2025-06-18"), "Mcp-Session-Id: " + SESSION + "\r\n"),
                pingAnswer);
    }

    /**
     * As {@link #session(Function)}, and {@code initialize} is answered with what {@code initializeAnswer} makes of
     * its JSON-RPC id: a whole HTTP answer ({@link #jsonAnswer}, {@link #initializeResult} help build one).
     */
    public static RawMcpBackend session(Function<String, String> initializeAnswer, Function<String, String> pingAnswer)
            throws IOException {
        return session(initializeAnswer, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", pingAnswer);
    }

    /** As {@link #session(Function, Function)}, and every notification is answered with {@code notificationAnswer}. */
    public static RawMcpBackend session(Function<String, String> initializeAnswer, String notificationAnswer,
                                        Function<String, String> pingAnswer) throws IOException {
        AtomicReference<RawMcpBackend> self = new AtomicReference<>();
        RawMcpBackend backend = new RawMcpBackend((method, body, out) -> {
            String answer;
            if (method.equals("GET")) {
                answer = "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n";
            } else if (method.equals("DELETE")) {
                answer = "HTTP/1.1 204 No Content\r\n\r\n";
            } else if (body.contains("\"initialize\"")) {
                answer = initializeAnswer.apply(idOf(body));
            } else if (body.contains("\"ping\"")) {
                answer = pingAnswer.apply(idOf(body));
            } else {
                answer = notificationAnswer;
            }
            if (answer != null) {
                out.write(answer.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } else {
                self.get().holding.add(out);
                self.get().maxHolding.accumulateAndGet(self.get().holding.size(), Math::max);
            }
        });
        self.set(backend);
        return backend;
    }

    /** The JSON-RPC response to {@code initialize} request {@code id}: server {@code raw} 1, no capabilities. */
    public static String initializeResult(String id, String protocolVersion) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{\"protocolVersion\":\"" + protocolVersion
                + "\",\"capabilities\":{},\"serverInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}";
    }

    /** A whole 200 {@code application/json} answer carrying {@code json}, with {@code headers} (each ending CRLF). */
    public static String jsonAnswer(String json, String headers) {
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + headers + "Content-Length: "
                + json.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + json;
    }

    /** Connections holding an unanswered ping ({@link #session}) now. */
    public int holdingPings() {
        return holding.size();
    }

    /** The most connections that held an unanswered ping ({@link #session}) at once. */
    public int maxHoldingPings() {
        return maxHolding.get();
    }

    /** The session id {@link #session} hands out. */
    public static final String SESSION = "raw-session-1";

    /** The JSON-RPC id of a request body, as JSON text ({@code "abc"} or {@code 7}). */
    private static String idOf(String body) {
        int key = body.indexOf("\"id\":");
        int from = key + 5;
        int to = from;
        if (body.charAt(from) == '"') {
            to = body.indexOf('"', from + 1) + 1;
        } else {
            while (to < body.length() && (Character.isDigit(body.charAt(to)) || body.charAt(to) == '-')) {
                to++;
            }
        }
        return body.substring(from, to);
    }

    /** Every complete request head received, in order. */
    public List<String> requestHeads() {
        return List.copyOf(requestHeads);
    }

    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort() + path;
    }

    /** Connections the client holds open now. */
    public int open() {
        return open.get();
    }

    /** The most connections the client ever held open at once. */
    public int maxOpen() {
        return maxOpen.get();
    }

    public int accepted() {
        return accepted.get();
    }

    /** Request heads received (complete ones). */
    public int requests() {
        return requests.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            sockets.add(socket);
            accepted.incrementAndGet();
            int now = open.incrementAndGet();
            maxOpen.accumulateAndGet(now, Math::max);
            Thread reader = new Thread(() -> serve(socket), "raw-mcp-conn");
            reader.setDaemon(true);
            reader.start();
        }
    }

    /** Reads requests until the client closes the connection; answers each one when there is an answer. */
    private void serve(Socket socket) {
        OutputStream out = null;
        try (socket; InputStream in = socket.getInputStream()) {
            out = socket.getOutputStream(); // one per connection: what holds a request is known by it
            while (true) {
                String head = RequestHeads.read(in);
                if (head == null) {
                    return;
                }
                requests.incrementAndGet();
                int length = contentLength(head);
                byte[] body = in.readNBytes(length);
                if (body.length < length) {
                    return;
                }
                requestHeads.add(head);
                responder.answer(head.substring(0, Math.max(0, head.indexOf(' '))),
                        new String(body, StandardCharsets.UTF_8), out);
            }
        } catch (IOException e) {
            // reset by the client: closed as well
        } finally {
            open.decrementAndGet();
            if (out != null) {
                holding.remove(out);
            }
        }
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return Integer.parseInt(line.substring("content-length:".length()).trim());
            }
        }
        return 0;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
