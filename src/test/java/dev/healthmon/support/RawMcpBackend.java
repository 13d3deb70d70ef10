package dev.healthmon.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A misbehaving "MCP server" on loopback below the protocol: it either accepts connections and
 * never answers, or answers every request with one canned response. It counts the connections a
 * client holds open to it (accepted and not yet closed by the client), and the most it ever held
 * at once, which is how tests prove that a probe closes what it opened.
 *
 * <p>Threading: one thread accepts, one thread per connection reads (to see the client close it).
 */
public final class RawMcpBackend implements AutoCloseable {

    private final ServerSocket server;
    private final byte[] answer; // null: never answers
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    private RawMcpBackend(byte[] answer) throws IOException {
        this.answer = answer;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
        Thread acceptor = new Thread(this::accept, "raw-mcp-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Accepts connections, reads what comes, never answers. */
    public static RawMcpBackend hanging() throws IOException {
        return new RawMcpBackend(null);
    }

    /** Answers every request with status 200, {@code Content-Type: application/json} and {@code body}. */
    public static RawMcpBackend answeringJson(String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                + "\r\n\r\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(bytes);
        return new RawMcpBackend(out.toByteArray());
    }

    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort() + "/mcp";
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
        try (socket; InputStream in = socket.getInputStream()) {
            while (true) {
                int length = readHead(in);
                if (length < 0) {
                    return;
                }
                requests.incrementAndGet();
                if (in.readNBytes(length).length < length) {
                    return;
                }
                if (answer != null) {
                    socket.getOutputStream().write(answer);
                    socket.getOutputStream().flush();
                }
            }
        } catch (IOException e) {
            // reset by the client: closed as well
        } finally {
            open.decrementAndGet();
        }
    }

    /** Reads one request head; returns its Content-Length, or -1 at the end of the stream. */
    private static int readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int b;
        while ((b = in.read()) != -1) {
            head.append((char) b);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                int length = 0;
                for (String line : head.toString().split("\r\n")) {
                    if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring("content-length:".length()).trim());
                    }
                }
                return length;
            }
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
