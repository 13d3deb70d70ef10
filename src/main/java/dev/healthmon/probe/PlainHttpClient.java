package dev.healthmon.probe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ProtocolException;
import java.net.StandardSocketOptions;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A minimal HTTP/1.1 client over NIO for health checks, {@code http://} and {@code https://}: one
 * selector thread, {@code healthmon-http}, sends a ready-made request and reads the answer with a
 * {@link ResponseReader}, keeping idle connections per {@link Route} for the next check.
 *
 * <p>Why not the JDK {@code HttpClient}: per exchange it builds a request object, a chain of
 * futures and a body subscriber, and its selector thread alone cost ~90 µs per check
 * (docs/BENCHMARKS.md). A health check needs none of that: a fixed GET, a status line, two
 * headers, a body to drop. And the JDK client resolves the host name itself, while a check must
 * connect to the address its target policy vetted.
 *
 * <p><b>TLS.</b> A route with a TLS name goes through a {@link TlsChannel} over the socket to the
 * route's address: the handshake sends the name as SNI and checks the certificate against the
 * name (not the address), with the trust of the {@link SSLContext} given (the JVM's default in
 * production). Connections are kept per (address, name), so a connection verified for one name
 * never carries a request for another; new connections resume the name's TLS session from the
 * context's cache. A TLS failure surfaces as an {@code SSLException} ({@link Failures}: TLS).
 *
 * <p><b>Threading.</b> {@link #send} may be called from any thread: it only queues the exchange
 * and wakes the selector (at most one wake-up per loop turn; inside {@link #sendsInOneWakeup}, once
 * at its end). Everything else — connections, the
 * idle pool, the readers — belongs to the selector thread. Futures complete on it, so what
 * depends on them must be short and never block.
 *
 * <p><b>Ending an exchange.</b> Each exchange completes exactly once: with a response, with an
 * {@link IOException} (connect refused, reset, cut short, malformed → {@link Failures}), with an
 * {@link HttpTimeoutException} after its timeout (unless the status and headers have come: a
 * body still streaming then does not hide the answer, see {@link ResponseReader}), or by
 * {@code cancel}, which closes its connection. A GET that finds its reused connection closed by
 * the server before any byte of
 * the answer is sent once more on a new connection: the server dropped an idle connection, the
 * backend is not at fault. So is one answered with 408 (Request Timeout): servers send it on a
 * kept connection they are closing for idleness, as the request crosses; it answers nothing. The
 * timeout covers the whole exchange: connect, TLS handshake, request and answer.
 *
 * <p><b>Bodies that are read.</b> An exchange may ask for a 2xx answer's body
 * ({@link ResponseReader.Body}; the MCP lean ping). It completes once the body has its answer; if the
 * body is framed and still open then (an event stream the server ends right after the response), the
 * connection is read on for up to {@link #DRAIN_NANOS} and kept if the body ends with nothing after
 * it, else closed: without that, every such exchange would cost a new connection.
 */
public final class PlainHttpClient implements AutoCloseable {

    /** The answer, reduced to what classification needs. {@code retryAfter} is null when absent. */
    public record Response(int status, String retryAfter) {}

    /**
     * Where a connection goes: the address it connects to, and for TLS the name its certificate
     * must carry (also sent as SNI); {@code tlsName} is empty for plain text. Idle connections are
     * kept per route.
     */
    public record Route(InetSocketAddress address, Optional<String> tlsName) {
        public static Route plain(InetSocketAddress address) {
            return new Route(address, Optional.empty());
        }

        public static Route tls(InetSocketAddress address, String name) {
            return new Route(address, Optional.of(name));
        }
    }

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
    /** Idle connections kept per route (address, and TLS name), and in all (each one is a file descriptor). */
    static final int MAX_IDLE_PER_ADDRESS = 8;
    static final int MAX_IDLE = 4096;
    /**
     * How long a connection answered before its body ended is read on for that end (a server ends an
     * MCP event stream right after the response it carries): kept if the end comes by then, else closed.
     */
    static final long DRAIN_NANOS = Duration.ofMillis(100).toNanos();
    /** One read's buffer: at least a TLS record's plaintext (16 KiB). */
    static final int READ_BUFFER_BYTES = 64 * 1024;
    /** The clients owed a wake-up by a thread inside {@link #sendsInOneWakeup}; null outside it. */
    private static final ThreadLocal<List<PlainHttpClient>> HELD_WAKEUPS = new ThreadLocal<>();

    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    /** Turns of the selector loop, each a wake-up of its thread: for the test that it sleeps without work. */
    private final AtomicLong turns = new AtomicLong();
    /** Wake-ups asked for: for the test that a batch of sends asks for one. */
    private final AtomicLong wakeups = new AtomicLong();
    private volatile boolean closed;

    // Selector thread only.
    private final ByteBuffer readBuffer;
    private final TlsChannel.Scratch tlsScratch = new TlsChannel.Scratch();
    private final Supplier<SSLContext> tlsContextSource;
    private SSLContext tlsContext;
    private final Map<Route, ArrayDeque<Connection>> idle = new HashMap<>();
    private final Set<Connection> busy = new HashSet<>();
    /** Answered while their body goes on (an event stream): read on briefly for its end, to be kept if it comes. */
    private final Set<Connection> draining = new HashSet<>();
    private int idleCount;
    private long lastSweep = System.nanoTime();
    private long lastIdleSweep = System.nanoTime();

    /** A client whose TLS connections trust what the JVM trusts: {@link SSLContext#getDefault()}, at first use. */
    public PlainHttpClient() {
        this(PlainHttpClient::defaultTls, READ_BUFFER_BYTES);
    }

    /** A client whose TLS connections use {@code tls}: its trust, and its session cache for resumption. */
    public PlainHttpClient(SSLContext tls) {
        this(() -> tls, READ_BUFFER_BYTES);
    }

    /**
     * A plain-text client reading at most {@code readBufferBytes} per read: for tests, where an answer must end
     * exactly at a read's end. TLS needs {@link #READ_BUFFER_BYTES} (a whole record's plaintext).
     */
    PlainHttpClient(int readBufferBytes) {
        this(PlainHttpClient::defaultTls, readBufferBytes);
    }

    private PlainHttpClient(Supplier<SSLContext> tls, int readBufferBytes) {
        this.tlsContextSource = tls;
        this.readBuffer = ByteBuffer.allocateDirect(readBufferBytes);
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.thread = new Thread(this::run, "healthmon-http");
        thread.setDaemon(true);
        thread.start();
    }

    private static SSLContext defaultTls() {
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no default TLS context in this JVM", e);
        }
    }

    /** Sends {@code request} in plain text to {@code address}; see {@link #send(Route, byte[], Duration, int)}. */
    public CompletableFuture<Response> send(InetSocketAddress address, byte[] request, Duration timeout, int bodyCap) {
        return send(Route.plain(address), request, timeout, bodyCap);
    }

    /**
     * Sends {@code request} (a whole HTTP/1.1 request, head and empty body) to the route's address,
     * through TLS for its name if it has one. The future never completes on the caller's thread; at
     * most {@code bodyCap} bytes of the answer's body are read; {@code timeout} bounds the whole
     * exchange, TLS handshake included.
     */
    public CompletableFuture<Response> send(Route route, byte[] request, Duration timeout, int bodyCap) {
        return send(route, request, timeout, bodyCap, null);
    }

    /**
     * As {@link #send(Route, byte[], Duration, int)}, and the body of a 2xx answer goes to {@code body}
     * as it arrives (up to {@code bodyCap} bytes, an event stream included), on the selector thread;
     * such an answer is complete once {@code body} says so or the body ends, and an exchange that
     * reaches its timeout before then fails with {@link HttpTimeoutException}. The future completes
     * after the last call to {@code body}, so whoever it completes may read what {@code body} kept.
     */
    CompletableFuture<Response> send(Route route, byte[] request, Duration timeout, int bodyCap,
                                     ResponseReader.Body body) {
        // The sweep finds an overdue exchange up to one turn late: ending it up to two turns early makes it
        // end by its timeout, before the check's own guard, so that what it has read (a status whose
        // body is still arriving) is the answer rather than a TIMEOUT. An exchange that waits for its
        // body has no such answer: it runs to its timeout, and so never ends as a TIMEOUT before it.
        long budget = body != null ? timeout.toNanos()
                : timeout.toNanos() - Math.min(2 * SWEEP_NANOS, timeout.toNanos() / 4);
        Exchange exchange = new Exchange(route, request, System.nanoTime() + budget, bodyCap, body);
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
        submit(() -> count.complete(idleCount + busy.size() + draining.size()));
        return count.get(5, TimeUnit.SECONDS);
    }

    /**
     * Runs {@code work} on the caller's thread with the selector wake-ups its sends owe held back, then wakes each
     * client once: a batch of checks started together reaches the selector as one batch, in one wake-up, instead
     * of waking it (a syscall, and a turn of its loop) per check (docs/design.md §4.2). Nothing waits longer than
     * {@code work} takes; nested calls hold until the outermost ends. {@code work} must not wait for what it sends
     * (nothing is sent before it returns): the check scheduler's batches only start probes.
     */
    public static void sendsInOneWakeup(Runnable work) {
        if (HELD_WAKEUPS.get() != null) {
            work.run();
            return;
        }
        List<PlainHttpClient> owed = new ArrayList<>(2);
        HELD_WAKEUPS.set(owed);
        try {
            work.run();
        } finally {
            HELD_WAKEUPS.remove();
            for (PlainHttpClient client : owed) {
                client.wakeUp();
            }
        }
    }

    private void submit(Runnable command) {
        commands.add(command);
        List<PlainHttpClient> held = HELD_WAKEUPS.get();
        if (held == null) {
            wakeUp();
        } else if (!held.contains(this)) {
            held.add(this);
        }
    }

    private void wakeUp() {
        if (wakeupPending.compareAndSet(false, true)) {
            wakeups.incrementAndGet();
            selector.wakeup();
        }
    }

    /** Wake-ups of the selector asked for by sends and cancels so far; any thread. For tests. */
    long wakeups() {
        return wakeups.get();
    }

    /** One exchange: the future handed out, and its state on the selector thread. */
    private final class Exchange extends CompletableFuture<Response> {
        final Route route;
        final byte[] request;
        final long deadline;
        final int bodyCap;
        final ResponseReader.Body body; // null: the body is dropped
        Connection connection; // selector thread
        boolean retried;       // selector thread

        Exchange(Route route, byte[] request, long deadline, int bodyCap, ResponseReader.Body body) {
            this.route = route;
            this.request = request;
            this.deadline = deadline;
            this.bodyCap = bodyCap;
            this.body = body;
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

    /** A connection on one route; carries one exchange at a time. Selector thread only. */
    private static final class Connection {
        final Route route;
        final SocketChannel channel;
        final ByteTransport transport;
        final ResponseReader reader = new ResponseReader();
        SelectionKey key;
        Exchange exchange;
        ByteBuffer pendingWrite;
        boolean opened; // connected, and the transport's opening (TLS handshake) done
        boolean reused;
        boolean draining;
        long drainUntil;
        long idleSince;

        Connection(Route route, SocketChannel channel, ByteTransport transport) {
            this.route = route;
            this.channel = channel;
            this.transport = transport;
        }
    }

    private void run() {
        try {
            while (!closed) {
                selector.select(this::onReady, selectTimeoutMillis(busy.size() + draining.size(), idleCount,
                        System.nanoTime() - lastIdleSweep));
                turns.incrementAndGet();
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
                if (sweepDue(now - lastSweep, now - lastIdleSweep)) {
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

    /**
     * How long the selector may sleep (0: until woken). While an exchange is in flight, one sweep's
     * period, so that its deadline is seen at most that late; while only idle connections are kept,
     * until the next idle sweep; with neither, until a command or a socket wakes it: an idle client
     * does not wake at all (at 50 sweeps a second it cost an idle monitor 0.2 % of a core).
     */
    static long selectTimeoutMillis(int busy, int idle, long sinceIdleSweepNanos) {
        if (busy > 0) {
            return Math.max(1, SWEEP_NANOS / 1_000_000);
        }
        if (idle > 0) {
            return Math.max(1, TimeUnit.NANOSECONDS.toMillis(IDLE_SWEEP_NANOS - sinceIdleSweepNanos));
        }
        return 0;
    }

    /**
     * Whether this turn sweeps: a sweep's period has passed, or the idle sweep is due — which the
     * selector's timeout woke it for, and which must not wait for the next period (it would wake
     * every millisecond until then).
     */
    static boolean sweepDue(long sinceSweepNanos, long sinceIdleSweepNanos) {
        return sinceSweepNanos >= SWEEP_NANOS || sinceIdleSweepNanos >= IDLE_SWEEP_NANOS;
    }

    /** Turns of the selector loop so far (each one a wake-up of its thread); any thread. */
    long turns() {
        return turns.get();
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
            Connection connection = fresh ? null : takeIdle(exchange.route);
            attach(connection != null ? connection : open(exchange.route), exchange);
        } catch (IOException e) {
            exchange.completeExceptionally(e);
        } catch (RuntimeException e) {
            exchange.completeExceptionally(new ClientFailure("HTTP client error: " + e.getClass().getSimpleName(), e));
        }
    }

    private Connection open(Route route) throws IOException {
        SocketChannel channel = SocketChannel.open();
        try {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Connection connection = new Connection(route, channel, transport(route, channel));
            boolean connected = channel.connect(route.address());
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

    private ByteTransport transport(Route route, SocketChannel channel) throws IOException {
        if (route.tlsName().isEmpty()) {
            return ByteTransport.plain(channel);
        }
        if (tlsContext == null) {
            try {
                tlsContext = tlsContextSource.get();
            } catch (RuntimeException e) {
                throw new ClientFailure("no TLS context: " + e.getMessage(), e);
            }
        }
        return TlsChannel.client(tlsContext, channel, route.tlsName().get(), route.address().getPort(), tlsScratch);
    }

    /** Whatever stops a connection being made (refused, unreachable network or host) is a connection failure. */
    private static IOException connectFailure(IOException e) {
        if (e instanceof ConnectException || e instanceof NoRouteToHostException) {
            return e;
        }
        ConnectException failure = new ConnectException(e.getMessage());
        failure.initCause(e);
        return failure;
    }

    private void attach(Connection connection, Exchange exchange) {
        connection.exchange = exchange;
        exchange.connection = connection;
        connection.reader.reset(exchange.bodyCap, exchange.body);
        connection.pendingWrite = ByteBuffer.wrap(exchange.request);
        busy.add(connection);
        if (connection.channel.isConnected()) {
            try {
                proceed(connection);
            } catch (IOException e) {
                fail(connection, e); // e.g. a reused connection the server has just reset: retried
            }
        }
    }

    /** Once connected: the transport's opening (TLS handshake) as far as it goes, then the request. */
    private void proceed(Connection connection) throws IOException {
        if (!connection.opened) {
            if (!connection.transport.open()) {
                connection.key.interestOps(
                        connection.transport.wantsWrite() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
                return;
            }
            connection.opened = true;
        }
        write(connection);
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
                proceed(connection);
            } else if (!connection.opened) {
                proceed(connection);
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

    /** The request's rest, or what the transport still has to send (a TLS answer to the server); then the answer. */
    private void write(Connection connection) throws IOException {
        if (connection.pendingWrite != null) {
            if (connection.pendingWrite.hasRemaining()) {
                connection.transport.write(connection.pendingWrite);
            } else {
                connection.transport.flush(); // all encrypted: the socket has yet to take the last of it
            }
            if (!connection.pendingWrite.hasRemaining() && !connection.transport.wantsWrite()) {
                connection.pendingWrite = null;
            }
        } else {
            connection.transport.flush();
        }
        int ops = connection.pendingWrite == null ? SelectionKey.OP_READ : 0;
        connection.key.interestOps(connection.pendingWrite != null || connection.transport.wantsWrite()
                ? ops | SelectionKey.OP_WRITE : ops);
    }

    private void read(Connection connection) throws IOException {
        Exchange exchange = connection.exchange;
        if (exchange == null) {
            if (connection.draining) {
                drain(connection);
            } else {
                readIdle(connection);
            }
            return;
        }
        int n;
        do {
            readBuffer.clear();
            n = connection.transport.read(readBuffer);
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
                if (!connection.reader.ended()) {
                    answeredBeforeTheEnd(connection, exchange);
                    return;
                }
                if (readBuffer.hasRemaining() || !quietAfterAnswer(connection)) {
                    if (isStaleAnswer(connection)) {
                        retry(connection, exchange);
                        return;
                    }
                    discard(connection); // bytes after the answer: nothing we asked for, so not reusable
                    completeWith(exchange, connection);
                    return;
                }
                finish(connection);
                return;
            }
        } while (n > 0 && connection.transport.hasBufferedInput()); // 0: what is buffered is a record's first part
        if (connection.transport.wantsWrite()) {
            connection.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
    }

    /**
     * The body watcher has its answer and the body goes on: the exchange completes now, and the
     * connection is read on for the body's end ({@link #DRAIN_NANOS}) when its framing allows.
     */
    private void answeredBeforeTheEnd(Connection connection, Exchange exchange) {
        busy.remove(connection);
        connection.exchange = null;
        exchange.connection = null;
        if (connection.reader.drainable()) {
            connection.draining = true;
            connection.drainUntil = System.nanoTime() + DRAIN_NANOS;
            draining.add(connection);
        } else {
            close(connection);
        }
        completeWith(exchange, connection);
        if (connection.draining && connection.transport.hasBufferedInput()) {
            drain(connection); // the end may already be in what the transport holds
        }
    }

    /** Reads on a draining connection: the body's end, then nothing, keeps it; anything else closes it. */
    private void drain(Connection connection) {
        try {
            int n;
            do {
                readBuffer.clear();
                n = connection.transport.read(readBuffer);
                if (n < 0) {
                    endDrain(connection, false);
                    return;
                }
                readBuffer.flip();
                connection.reader.read(readBuffer);
                if (connection.reader.ended()) {
                    endDrain(connection, connection.reader.reusable() && !readBuffer.hasRemaining()
                            && quietAfterAnswer(connection));
                    return;
                }
            } while (n > 0 && connection.transport.hasBufferedInput());
            if (connection.transport.wantsWrite()) {
                connection.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            }
        } catch (IOException e) {
            endDrain(connection, false);
        }
    }

    private void endDrain(Connection connection, boolean keep) {
        draining.remove(connection);
        connection.draining = false;
        if (keep) {
            keepIdle(connection);
        } else {
            close(connection);
        }
    }

    /**
     * Whether nothing but TLS housekeeping (a session ticket) follows an answer that ended exactly at the end of
     * what was read: any byte of data, the end, or a record begun, and the connection is not kept. Only asked
     * when the transport still holds input or its last system call filled the room it had — then the socket may
     * hold more, which the next exchange, started in this same turn before any select, would take as its answer.
     * Otherwise that read took all there was, and no read is spent (one per check, ≈ 10 % of this thread).
     */
    private boolean quietAfterAnswer(Connection connection) throws IOException {
        ByteTransport transport = connection.transport;
        if (!transport.hasBufferedInput() && !transport.lastReadFilled()) {
            return true;
        }
        readBuffer.clear();
        return transport.read(readBuffer) == 0 && !transport.hasBufferedInput() && !transport.lastReadFilled();
    }

    /**
     * An idle connection has nothing to say: data or an end of stream means the server closed it
     * or sent junk, and it goes. Over TLS the server may still send housekeeping (session tickets).
     */
    private void readIdle(Connection connection) throws IOException {
        readBuffer.clear();
        if (connection.transport.read(readBuffer) != 0) {
            discardIdle(connection);
        } else if (connection.transport.wantsWrite()) {
            connection.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
    }

    /**
     * A 408 on a connection taken from the pool, the first time: the server timed the idle
     * connection out as our request crossed, so the answer is not about the backend.
     */
    private static boolean isStaleAnswer(Connection connection) {
        return connection.reader.status() == 408 && connection.reused && !connection.exchange.retried;
    }

    /** Sends again on a new connection: the pool may hold more connections the server has dropped. */
    private void retry(Connection stale, Exchange exchange) {
        exchange.retried = true;
        discard(stale);
        start(exchange, true);
    }

    private void finish(Connection connection) {
        Exchange exchange = connection.exchange;
        if (isStaleAnswer(connection)) {
            retry(connection, exchange);
            return;
        }
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
        // A kept connection must not hold the answer's body watcher (an MCP ping's reads up to 1 MiB) until reused.
        connection.reader.forgetBody();
        exchange.complete(response);
    }

    private void fail(Connection connection, IOException error) {
        Exchange exchange = connection.exchange;
        if (exchange == null) {
            discardIdle(connection);
            return;
        }
        if (connection.reused && !connection.reader.started() && !exchange.retried
                && !(error instanceof ProtocolException)) {
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
        keepIdle(connection);
    }

    private void keepIdle(Connection connection) {
        ArrayDeque<Connection> pool = idle.computeIfAbsent(connection.route, a -> new ArrayDeque<>());
        if (pool.size() >= MAX_IDLE_PER_ADDRESS || idleCount >= MAX_IDLE) {
            closeGracefully(connection);
            return;
        }
        connection.reused = true;
        connection.idleSince = System.nanoTime();
        connection.key.interestOps(connection.transport.wantsWrite()
                ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        pool.addLast(connection);
        idleCount++;
    }

    private Connection takeIdle(Route route) {
        ArrayDeque<Connection> pool = idle.get(route);
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
        if (connection.draining) {
            endDrain(connection, false);
            return;
        }
        ArrayDeque<Connection> pool = idle.get(connection.route);
        if (pool != null && pool.remove(connection)) {
            idleCount--;
        }
        close(connection);
    }

    /** Closes a connection in good order (idle): over TLS with close_notify, so its session stays resumable. */
    private static void closeGracefully(Connection connection) {
        connection.transport.goodbye();
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
                if (connection.reader.headComplete() && !connection.reader.awaitingBody()) {
                    completeWith(exchange, connection); // the status came; only the body is still streaming
                } else {
                    exchange.completeExceptionally(new HttpTimeoutException("no answer within the timeout"));
                }
            }
        }
        if (!draining.isEmpty()) {
            List<Connection> late = new ArrayList<>();
            for (Connection connection : draining) {
                if (now - connection.drainUntil >= 0) {
                    late.add(connection);
                }
            }
            late.forEach(connection -> endDrain(connection, false));
        }
        if (now - lastIdleSweep >= IDLE_SWEEP_NANOS) {
            lastIdleSweep = now;
            long limit = IDLE_TIMEOUT.toNanos();
            for (var it = idle.values().iterator(); it.hasNext(); ) {
                ArrayDeque<Connection> pool = it.next();
                while (!pool.isEmpty() && now - pool.peekFirst().idleSince >= limit) {
                    closeGracefully(pool.pollFirst());
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
        draining.forEach(PlainHttpClient::close);
        draining.clear();
        idle.values().forEach(pool -> pool.forEach(PlainHttpClient::closeGracefully));
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
