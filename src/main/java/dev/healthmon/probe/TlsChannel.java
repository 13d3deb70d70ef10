package dev.healthmon.probe;

import dev.healthmon.target.IpLiteral;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLEngineResult.Status;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;

/**
 * TLS for one {@link PlainHttpClient} connection: an {@link SSLEngine} in client mode over a
 * non-blocking socket that is already connected to the vetted address.
 *
 * <p><b>The name, not the address.</b> The engine is made for the URL's host name and port: it
 * sends that name as SNI (unless the host is an IP literal, which SNI cannot carry), checks the
 * certificate against it (endpoint identification {@code HTTPS}, as the JDK client does), and
 * finds the session to resume under it in the context's session cache. The socket's address plays
 * no part in any of that, so connecting to the vetted address loses nothing.
 *
 * <p><b>Cost.</b> Encrypted bytes go through buffers shared by all connections of one selector
 * thread ({@link Scratch}); a connection keeps only what is left over between two calls (a record
 * cut in two by TCP, bytes the socket did not take), which is rarely anything. The engine's
 * delegated tasks (certificate checks) run inline on the selector thread: they are CPU only, and
 * with kept connections and resumed sessions they run once per new session, not per check.
 *
 * <p>Not thread-safe: the client's selector thread owns it.
 */
final class TlsChannel implements ByteTransport {

    /** The encrypted-side buffers of one selector thread, sized for the largest TLS record. */
    static final class Scratch {
        private ByteBuffer netIn = ByteBuffer.allocate(0);
        private ByteBuffer netOut = ByteBuffer.allocate(0);
        private ByteBuffer app = ByteBuffer.allocate(0);

        private void fit(SSLEngine engine) {
            int packet = engine.getSession().getPacketBufferSize();
            if (netIn.capacity() < 2 * packet) {
                netIn = ByteBuffer.allocateDirect(2 * packet); // a leftover record, and room for its rest
                netOut = ByteBuffer.allocateDirect(2 * packet);
            }
            int app = engine.getSession().getApplicationBufferSize();
            if (this.app.capacity() < app) {
                this.app = ByteBuffer.allocate(app);
            }
        }
    }

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final SocketChannel channel;
    private final SSLEngine engine;
    private final Scratch scratch;
    private final int packetSize;
    private final int appSize;
    private ByteBuffer inLeft;  // encrypted bytes read but not yet decoded (read mode), or null
    private ByteBuffer outLeft; // encrypted bytes the socket has not taken yet (read mode), or null
    private ByteBuffer in;      // during one call: scratch.netIn in read mode
    private boolean endOfStream;
    private boolean socketFilled; // the last read's system call filled the encrypted buffer: the socket may hold more

    private TlsChannel(SocketChannel channel, SSLEngine engine, Scratch scratch) {
        this.channel = channel;
        this.engine = engine;
        this.scratch = scratch;
        scratch.fit(engine);
        this.packetSize = engine.getSession().getPacketBufferSize();
        this.appSize = engine.getSession().getApplicationBufferSize();
    }

    /**
     * A client for {@code host} (the URL's host: a name, or an IP literal, IPv6 in brackets or not)
     * and {@code port} over {@code channel}; nothing is sent before {@link #open}.
     */
    static TlsChannel client(SSLContext context, SocketChannel channel, String host, int port, Scratch scratch)
            throws SSLException {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (bare.endsWith(".")) {
            bare = bare.substring(0, bare.length() - 1); // "example.com." is example.com to a certificate and to SNI
        }
        SSLEngine engine = context.createSSLEngine(bare, port);
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        parameters.setApplicationProtocols(new String[] {"http/1.1"});
        if (!IpLiteral.looksLiteral(bare)) {
            try {
                parameters.setServerNames(List.of(new SNIHostName(bare)));
            } catch (IllegalArgumentException e) {
                // Not a host name SNI can carry (e.g. an underscore): sent without SNI, as the JDK client
                // does; the certificate is still checked against the name.
                parameters.setServerNames(List.of());
            }
        }
        engine.setSSLParameters(parameters);
        engine.beginHandshake();
        return new TlsChannel(channel, engine, scratch);
    }

    @Override
    public boolean open() throws IOException {
        if (!flush()) {
            return false;
        }
        load();
        try {
            while (true) {
                switch (engine.getHandshakeStatus()) {
                    case NEED_TASK -> runTasks();
                    case NEED_WRAP -> {
                        wrapAndSend(EMPTY);
                        if (outLeft != null) {
                            return false;
                        }
                    }
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                        if (!unwrapHandshake()) {
                            return false;
                        }
                    }
                    default -> {
                        return true; // NOT_HANDSHAKING: done
                    }
                }
            }
        } finally {
            stash();
        }
    }

    /** One handshake record in; false when it has not all arrived yet. */
    private boolean unwrapHandshake() throws IOException {
        ByteBuffer app = scratch.app;
        app.clear();
        SSLEngineResult result = in.hasRemaining() ? engine.unwrap(in, app) : null;
        if (result == null || result.getStatus() == Status.BUFFER_UNDERFLOW) {
            if (more() > 0) {
                return true;
            }
            if (endOfStream) {
                throw new SSLHandshakeException("the server closed the connection during the TLS handshake");
            }
            return false;
        }
        if (result.getStatus() == Status.CLOSED) {
            throw new SSLHandshakeException("the server closed TLS during the handshake");
        }
        if (result.bytesProduced() > 0) {
            throw new ProtocolException("the server sent data before the request");
        }
        return true;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (engine.isInboundDone()) {
            return -1;
        }
        if (dst.capacity() < appSize) {
            throw new IllegalStateException("read buffer smaller than a TLS record: " + dst.capacity());
        }
        load();
        socketFilled = false;
        int produced = 0;
        boolean socketRead = false;
        try {
            while (dst.remaining() >= appSize) {
                SSLEngineResult result = in.hasRemaining() ? engine.unwrap(in, dst) : null;
                if (result == null || result.getStatus() == Status.BUFFER_UNDERFLOW) {
                    if (socketRead || endOfStream) {
                        break;
                    }
                    socketRead = true; // one system call per readiness: the selector says when there is more
                    if (more() <= 0) {
                        break;
                    }
                    continue;
                }
                produced += result.bytesProduced();
                if (result.getStatus() != Status.OK) {
                    break; // CLOSED: close_notify; BUFFER_OVERFLOW: dst is full, the caller reads again
                }
                afterHandshakeMessage();
            }
        } finally {
            stash();
        }
        if (produced > 0) {
            return produced;
        }
        // An end of stream without close_notify ends the answer too: the HTTP framing says whether it was whole.
        return engine.isInboundDone() || endOfStream ? -1 : 0;
    }

    /** What the server may send after the handshake (session tickets, a key update) may need an answer. */
    private void afterHandshakeMessage() throws IOException {
        while (true) {
            HandshakeStatus status = engine.getHandshakeStatus();
            if (status == HandshakeStatus.NEED_TASK) {
                runTasks();
            } else if (status == HandshakeStatus.NEED_WRAP) {
                wrapAndSend(EMPTY);
            } else {
                return;
            }
        }
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        if (flush()) {
            wrapAndSend(src);
        }
    }

    @Override
    public boolean flush() throws IOException {
        if (outLeft == null) {
            return true;
        }
        channel.write(outLeft);
        if (outLeft.hasRemaining()) {
            return false;
        }
        outLeft = null;
        return true;
    }

    @Override
    public boolean wantsWrite() {
        return outLeft != null;
    }

    @Override
    public boolean hasBufferedInput() {
        return inLeft != null;
    }

    @Override
    public boolean lastReadFilled() {
        return socketFilled;
    }

    @Override
    public void goodbye() {
        try {
            engine.closeOutbound();
            if (outLeft == null) {
                wrapAndSend(EMPTY); // close_notify: lets the server keep the session for resumption
            }
        } catch (IOException | RuntimeException ignored) {
            // the socket is closed next anyway
        }
    }

    /** Encrypts {@code src} (or the handshake's next messages) and writes it in one system call. */
    private void wrapAndSend(ByteBuffer src) throws IOException {
        ByteBuffer out = scratch.netOut;
        out.clear();
        do {
            SSLEngineResult result = engine.wrap(src, out);
            if (result.getStatus() == Status.BUFFER_OVERFLOW
                    || result.bytesProduced() == 0 && result.bytesConsumed() == 0 && engine.isOutboundDone()) {
                break; // full: the rest goes on the next write; or closed: nothing more to say
            }
            if (result.getStatus() == Status.CLOSED && !engine.isOutboundDone()) {
                throw new SSLException("TLS closed while writing");
            }
            if (result.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                runTasks();
            }
        } while (out.remaining() >= packetSize
                && (src.hasRemaining() || engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP));
        out.flip();
        channel.write(out);
        if (out.hasRemaining()) {
            outLeft = ByteBuffer.allocate(out.remaining()).put(out).flip();
        }
    }

    private void runTasks() {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }

    /** Puts what was left over from the last call in front of the shared input buffer. */
    private void load() {
        in = scratch.netIn;
        in.clear();
        if (inLeft != null) {
            in.put(inLeft);
            inLeft = null;
        }
        in.flip();
    }

    /** Reads more from the socket behind what {@link #in} holds; the count, or -1 at the end of the stream. */
    private int more() throws IOException {
        in.compact();
        int n = channel.read(in);
        socketFilled = n > 0 && !in.hasRemaining();
        in.flip();
        if (n < 0) {
            endOfStream = true;
        }
        return n;
    }

    /** Keeps what the shared buffer still holds for the next call: another connection uses the buffer next. */
    private void stash() {
        if (in != null && in.hasRemaining()) {
            inLeft = ByteBuffer.allocate(in.remaining()).put(in).flip();
        }
        in = null;
    }
}
