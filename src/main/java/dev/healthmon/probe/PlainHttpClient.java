package dev.healthmon.probe;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A minimal HTTP/1.1 client over NIO for plain-text ({@code http://}) health checks: one selector
 * thread, {@code healthmon-http}, sends a ready-made request and reads the answer with a
 * {@link ResponseReader}, keeping idle connections per address for the next check.
 *
 * <p>Why not the JDK {@code HttpClient}: per exchange it builds a request object, a chain of
 * futures and a body subscriber, and its selector thread alone cost ~90 µs per check
 * (docs/BENCHMARKS.md). A health check needs none of that: a fixed GET, a status line, two
 * headers, a body to drop. TLS stays with the JDK client ({@link HttpProbe}).
 *
 * <p><b>Threading.</b> {@link #send} may be called from any thread: it only queues the exchange
 * and wakes the selector (at most one wake-up per loop turn). Everything else — connections, the
 * idle pool, the readers — belongs to the selector thread. Futures complete on it, so what
 * depends on them must be short and never block.
 *
 * <p><b>Ending an exchange.</b> Each exchange completes exactly once: with a response, with an
 * {@link IOException} (connect refused, reset, cut short, malformed → {@link Failures}), with an
 * {@link HttpTimeoutException} after its timeout (unless the status and headers have come: a
 * body still streaming then does not hide the answer, see {@link ResponseReader}), or by {@code cancel}, which closes its
 * connection. A GET that finds its reused connection closed by the server before any byte of
 * the answer is sent once more on a new connection: the server dropped an idle connection, the
 * backend is not at fault. So is one answered 408 (Request Timeout) on a reused connection:
 * servers send it when they close an idle one.
 */
public final class PlainHttpClient implements AutoCloseable {

    /** The answer, reduced to what classification needs. {@code retryAfter} is null when absent. */
    public record Response(int status, String retryAfter) {}

    /** The client itself failed (closed, or a bug), not the backend: {@link Failures} makes it INTERNAL. */
    static final class ClientFailure extends IOException {
        ClientFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(PlainHttpClient.class);
    /** How often timeouts and idle connections are looked at; a timeout fires at most this late. */
    private static final long SWEEP_NANOS = Duration.ofMillis(20).toNanos();
    private static final long IDLE_SWEEP_NANOS = Duration.ofSeconds(1).toNanos();
    /** Idle connections older than this are closed: many servers drop theirs after 5–60 s anyway. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
    /** Idle connections kept per address, and in all (each one is a file descriptor). */
    static final int MAX_IDLE_PER_ADDRESS = 8;
    static final int MAX_IDLE = 4096;

    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private volatile boolean closed;

    // Selector thread only.
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(16 * 1024);
    private final Map<InetSocketAddress, ArrayDeque<Connection>> idle = new HashMap<>();
    private final Set<Connection> busy = new HashSet<>();
    private int idleCount;
    private long lastSweep = System.nanoTime();
    private long lastIdleSweep = System.nanoTime();

    public PlainHttpClient() {
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        this.thread = new Thread(this::run, "healthmon-http");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Sends {@code request} (a whole HTTP/1.1 request, head and empty body) to {@code address}.
     * The future never completes on the caller's thread; at most {@code bodyCap} bytes of the
     * answer's body are read.
     */
    public CompletableFuture<Response> send(InetSocketAddress address, byte[] request, Duration timeout, int bodyCap) {
        // The sweep finds an overdue exchange up to one turn late: ending it up to two turns early makes it
        // end by its timeout, before the check's own guard, so that what it has read (a status whose
        // body is still arriving) is the answer rather than a TIMEOUT.
        long budget = timeout.toNanos() - Math.min(2 * SWEEP_NANOS, timeout.toNanos() / 4);
        Exchange exchange = new Exchange(address, request, System.nanoTime() + budget, bodyCap);
        if (closed) {
            exchange.completeExceptionally(new ClientFailure("HTTP client closed", null));
            return exchange;
        }
        submit(() -> start(exchange, false));
        if (closed) {
            exchange.completeExceptionally(new ClientFailure("HTTP client closed", null)); // raced with close()
        }
        return exchange;
    }

    /** Open connections, idle and busy; for tests. */
    int openConnections() throws Exception {
        CompletableFuture<Integer> count = new CompletableFuture<>();
        submit(() -> count.complete(idleCount + busy.size()));
        return count.get(5, java.util.concurrent.TimeUnit.SECONDS);
    }

    private void submit(Runnable command) {
        commands.add(command);
        if (wakeupPending.compareAndSet(false, true)) {
            selector.wakeup();
        }
    }

    /** One exchange: the future handed out, and its state on the selector thread. */
    private final class Exchange extends CompletableFuture<Response> {
        final InetSocketAddress address;
        final byte[] request;
        final long deadline;
        final int bodyCap;
        Connection connection; // selector thread
        boolean retried;       // selector thread

        Exchange(InetSocketAddress address, byte[] request, long deadline, int bodyCap) {
            this.address = address;
            this.request = request;
            this.deadline = deadline;
            this.bodyCap = bodyCap;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            if (cancelled) {
                submit(() -> {
                    if (connection != null) {
                        discard(connection); // mid-answer: the connection cannot carry another request
                    }
                });
            }
            return cancelled;
        }
    }

    /** A connection to one address; carries one exchange at a time. Selector thread only. */
    private final class Connection {
        final InetSocketAddress address;
        final SocketChannel channel;
        final ResponseReader reader = new ResponseReader();
        SelectionKey key;
        Exchange exchange;
        ByteBuffer pendingWrite;
        boolean reused;
        long idleSince;

        Connection(InetSocketAddress address, SocketChannel channel) {
            this.address = address;
            this.channel = channel;
        }
    }

    private void run() {
        try {
            while (!closed) {
                selector.select(this::onReady, Math.max(1, SWEEP_NANOS / 1_000_000));
                wakeupPending.set(false);
                Runnable command;
                while ((command = commands.poll()) != null) {
                    try {
                        command.run();
                    } catch (RuntimeException e) {
                        log.error("HTTP client command failed", e);
                    }
                }
                long now = System.nanoTime();
                if (now - lastSweep >= SWEEP_NANOS) {
                    lastSweep = now;
                    sweep(now);
                }
            }
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                log.error("HTTP client selector failed; HTTP checks will fail until restart", e);
            }
        } finally {
            shutDown();
        }
    }

    /** Starts an exchange on a kept connection, or on a new one when {@code fresh} or none is kept. */
    private void start(Exchange exchange, boolean fresh) {
        if (exchange.isDone()) {
            return; // cancelled while queued
        }
        if (closed) {
            exchange.completeExceptionally(new ClientFailure("HTTP client closed", null));
            return;
        }
        try {
            Connection connection = fresh ? null : takeIdle(exchange.address);
            attach(connection != null ? connection : open(exchange.address), exchange);
        } catch (IOException e) {
            exchange.completeExceptionally(e);
        } catch (RuntimeException e) {
            exchange.completeExceptionally(new ClientFailure("HTTP client error: " + e.getClass().getSimpleName(), e));
        }
    }

    private Connection open(InetSocketAddress address) throws IOException {
        SocketChannel channel = SocketChannel.open();
        try {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Connection connection = new Connection(address, channel);
            boolean connected = channel.connect(address);
            connection.key = channel.register(selector, connected ? 0 : SelectionKey.OP_CONNECT, connection);
            return connection;
        } catch (IOException e) {
            channel.close();
            throw connectFailure(e);
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Whatever stops a connection being made (refused, unreachable network or host) is a connection failure. */
    private static IOException connectFailure(IOException e) {
        if (e instanceof java.net.ConnectException || e instanceof java.net.NoRouteToHostException) {
            return e;
        }
        java.net.ConnectException failure = new java.net.ConnectException(e.getMessage());
        failure.initCause(e);
        return failure;
    }

    private void attach(Connection connection, Exchange exchange) {
        connection.exchange = exchange;
        exchange.connection = connection;
        connection.reader.reset(exchange.bodyCap);
        connection.pendingWrite = ByteBuffer.wrap(exchange.request);
        busy.add(connection);
        if (connection.channel.isConnected()) {
            try {
                write(connection);
            } catch (IOException e) {
                fail(connection, e); // e.g. a reused connection the server has just reset: retried
            }
        }
    }

    private void onReady(SelectionKey key) {
        Connection connection = (Connection) key.attachment();
        try {
            if (!key.isValid()) {
                return;
            }
            if (key.isConnectable()) {
                try {
                    connection.channel.finishConnect();
                } catch (IOException e) {
                    throw connectFailure(e);
                }
                write(connection);
            } else if (key.isWritable()) {
                write(connection);
            } else if (key.isReadable()) {
                read(connection);
            }
        } catch (IOException e) {
            fail(connection, e);
        } catch (RuntimeException e) {
            fail(connection, new ClientFailure("HTTP client error: " + e.getClass().getSimpleName(), e));
        }
    }

    private void write(Connection connection) throws IOException {
        connection.channel.write(connection.pendingWrite);
        if (connection.pendingWrite.hasRemaining()) {
            connection.key.interestOps(SelectionKey.OP_WRITE);
        } else {
            connection.pendingWrite = null;
            connection.key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void read(Connection connection) throws IOException {
        readBuffer.clear();
        int n = connection.channel.read(readBuffer);
        Exchange exchange = connection.exchange;
        if (exchange == null) {
            discardIdle(connection); // an idle connection has nothing to say: closed by the server, or junk
            return;
        }
        if (n < 0) {
            if (connection.reader.endOfStream()) {
                finish(connection);
            } else if (!connection.reader.started() && connection.reused && !exchange.retried) {
                retry(connection, exchange);
            } else {
                fail(connection, ResponseReader.cutShort());
            }
            return;
        }
        readBuffer.flip();
        if (connection.reader.read(readBuffer)) {
            if (connection.reader.status() == 408 && connection.reused && !exchange.retried) {
                retry(connection, exchange); // the server timed out the idle connection as we reused it (RFC 9110 §15.5.9)
                return;
            }
            if (readBuffer.hasRemaining()) {
                discard(connection); // bytes after the answer: nothing we asked for, so not reusable
                completeWith(exchange, connection);
                return;
            }
            finish(connection);
        }
    }

    /** Sends again on a new connection: the pool may hold more connections the server has dropped. */
    private void retry(Connection stale, Exchange exchange) {
        exchange.retried = true;
        discard(stale);
        start(exchange, true);
    }

    private void finish(Connection connection) {
        Exchange exchange = connection.exchange;
        if (connection.reader.reusable()) {
            release(connection);
        } else {
            discard(connection);
        }
        completeWith(exchange, connection);
    }

    private static void completeWith(Exchange exchange, Connection connection) {
        // Read before complete(): completing runs the caller's code, which may start the next exchange.
        Response response = new Response(connection.reader.status(), connection.reader.retryAfter());
        exchange.complete(response);
    }

    private void fail(Connection connection, IOException error) {
        Exchange exchange = connection.exchange;
        if (exchange == null) {
            discardIdle(connection);
            return;
        }
        if (connection.reused && !connection.reader.started() && !exchange.retried
                && !(error instanceof java.net.ProtocolException)) {
            retry(connection, exchange); // e.g. "connection reset" on a connection the server had dropped
            return;
        }
        discard(connection);
        exchange.completeExceptionally(error);
    }

    /** Back to the idle pool, watched for the server closing it. */
    private void release(Connection connection) {
        busy.remove(connection);
        connection.exchange.connection = null;
        connection.exchange = null;
        ArrayDeque<Connection> pool = idle.computeIfAbsent(connection.address, a -> new ArrayDeque<>());
        if (pool.size() >= MAX_IDLE_PER_ADDRESS || idleCount >= MAX_IDLE) {
            close(connection);
            return;
        }
        connection.reused = true;
        connection.idleSince = System.nanoTime();
        connection.key.interestOps(SelectionKey.OP_READ);
        pool.addLast(connection);
        idleCount++;
    }

    private Connection takeIdle(InetSocketAddress address) {
        ArrayDeque<Connection> pool = idle.get(address);
        if (pool == null) {
            return null;
        }
        // The most recently used: the likeliest to be alive. No read to check it is quiet: a kept
        // connection stays registered for reading, so an end of stream or stray bytes that came
        // before this loop's select have already discarded it (see read). What comes later is a
        // race no check can close; a connection the server has just dropped is retried once on a
        // new one. The read it saved was one system call per check (≈ 10 % of this thread, JFR).
        Connection connection = pool.pollLast();
        if (connection != null) {
            idleCount--;
        }
        return connection;
    }

    /** Closes a busy connection (its exchange, if still open, is ended by the caller). */
    private void discard(Connection connection) {
        busy.remove(connection);
        if (connection.exchange != null) {
            connection.exchange.connection = null;
            connection.exchange = null;
        }
        close(connection);
    }

    private void discardIdle(Connection connection) {
        ArrayDeque<Connection> pool = idle.get(connection.address);
        if (pool != null && pool.remove(connection)) {
            idleCount--;
        }
        close(connection);
    }

    private static void close(Connection connection) {
        try {
            connection.channel.close(); // also cancels its key
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** Times out overdue exchanges and closes idle connections past {@link #IDLE_TIMEOUT}. */
    private void sweep(long now) {
        List<Connection> overdue = null;
        for (Connection connection : busy) {
            if (now - connection.exchange.deadline >= 0) {
                overdue = overdue == null ? new ArrayList<>() : overdue;
                overdue.add(connection);
            }
        }
        if (overdue != null) {
            for (Connection connection : overdue) {
                Exchange exchange = connection.exchange;
                discard(connection);
                if (connection.reader.headComplete()) {
                    completeWith(exchange, connection); // the status came; only the body is still streaming
                } else {
                    exchange.completeExceptionally(new HttpTimeoutException("no answer within the timeout"));
                }
            }
        }
        if (now - lastIdleSweep >= IDLE_SWEEP_NANOS) {
            lastIdleSweep = now;
            long limit = IDLE_TIMEOUT.toNanos();
            for (var it = idle.values().iterator(); it.hasNext(); ) {
                ArrayDeque<Connection> pool = it.next();
                while (!pool.isEmpty() && now - pool.peekFirst().idleSince >= limit) {
                    close(pool.pollFirst());
                    idleCount--;
                }
                if (pool.isEmpty()) {
                    it.remove();
                }
            }
        }
    }

    private void shutDown() {
        closed = true;
        for (Connection connection : new ArrayList<>(busy)) {
            Exchange exchange = connection.exchange;
            discard(connection);
            exchange.completeExceptionally(new ClientFailure("HTTP client closed", new ClosedChannelException()));
        }
        idle.values().forEach(pool -> pool.forEach(PlainHttpClient::close));
        idle.clear();
        idleCount = 0;
        Runnable command;
        while ((command = commands.poll()) != null) {
            command.run(); // queued exchanges: start() fails them, the selector being closed below
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }

    /** Ends every exchange in flight and closes every connection; blocks until the selector thread has gone. */
    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
