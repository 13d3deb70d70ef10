package dev.healthmon.probe;

import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * Reads one HTTP/1.1 response from bytes as they arrive, keeping only what a health check needs:
 * the status, {@code Retry-After}, and whether the connection can carry another request. The body
 * is counted and dropped, up to a cap, unless a {@link Body} wants a 2xx answer's body (the MCP
 * lean ping: then an event stream is read too, until the body has what it waits for);
 * informational (1xx) responses are skipped.
 *
 * <p>Framing follows RFC 9112 §6.3: no body for 204 and 304, else {@code Transfer-Encoding:
 * chunked}, else {@code Content-Length}, else the body runs to the end of the connection. A
 * response that was not framed, or that passed the cap, leaves its connection unusable.
 *
 * <p>When the answer counts (RFC 9110 says what the status means, the body only carries detail):
 * the status line and headers are the answer. A body past the cap, an event stream
 * ({@code Content-Type: text/event-stream}, which by design never ends: its head is the answer,
 * read at once), and a body still arriving at the exchange's deadline ({@link #headComplete})
 * do not make the check fail; each leaves the connection unusable. Tolerated as RFC 9110 §8.6 and
 * RFC 9112 §7.1 allow: a {@code Content-Length} list of one repeated value ({@code 5, 5}), and
 * chunk sizes with leading zeros.
 *
 * <p>Not thread-safe: one connection's I/O thread owns it; {@link #reset} makes it ready for the
 * next response on the same connection, so a connection allocates one reader for its life.
 */
final class ResponseReader {

    /** The longest line (status line, header line, chunk size line) accepted. */
    static final int MAX_LINE = 8 * 1024;
    /** The most header bytes accepted per response. */
    static final int MAX_HEADER_BYTES = 64 * 1024;

    private enum State {
        STATUS_LINE, HEADERS, FIXED_BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, BODY_TO_EOF, DONE
    }

    /** Grows up to MAX_LINE as needed: most lines are short, and a kept connection keeps its reader. */
    private byte[] line = new byte[128];
    private int lineLength;
    private int headerBytes;
    private State state;
    private int status;
    private boolean http11;
    private boolean closeRequested;
    private boolean chunked;
    private long contentLength;
    private long remaining;
    private long bodyBytes;
    private boolean capped;
    private String retryAfter;
    /** Kept only for a {@link Body}: no other exchange asks for it. */
    private String mcpSessionId;
    private int bodyCap;
    private boolean started;
    private boolean eventStream;
    /** The {@code Content-Type} as sent, for a {@link Body} (which reads it as the MCP SDK does); null: none. */
    private String contentType;
    private Body body;
    private boolean answered;

    /**
     * Where an exchange that needs the body of a 2xx answer (an MCP ping: the JSON-RPC response) gets
     * it, de-chunked, as it arrives. Called on the reader's thread only.
     */
    interface Body {
        /** Makes it ready for a new answer (the exchange may be sent again on a new connection). */
        void reset();

        /** A 2xx head has come; {@code eventStream}: its {@code Content-Type} is {@code text/event-stream}. */
        void start(boolean eventStream);

        /**
         * More of a 2xx answer's body; true once the answer it waits for is complete, after which
         * the rest of the body is not read (an event stream may go on): the connection is then kept
         * only if its framing ended within the bytes already there.
         */
        boolean bytes(ByteBuffer view);

        /** The body ended (framing complete, or the connection closed it). */
        void end();

        /**
         * The 2xx head's {@code Mcp-Session-Id} (the first, if repeated), before {@link #start}; not called when the
         * head has none. Only a body is told: an MCP {@code initialize} answer names the session this way.
         */
        default void sessionId(String value) {}

        /**
         * The 2xx head's {@code Content-Type} as sent (the last, if repeated), before {@link #start}; not called when
         * the head has none.
         */
        default void contentType(String value) {}
    }

    ResponseReader() {
        reset(0);
    }

    void reset(int bodyCap) {
        reset(bodyCap, null);
    }

    /** Ready for the next answer; {@code body}, if not null, is given the body of a 2xx answer (up to the cap). */
    void reset(int bodyCap, Body body) {
        this.bodyCap = bodyCap;
        this.body = body;
        answered = false;
        if (body != null) {
            body.reset();
        }
        state = State.STATUS_LINE;
        lineLength = 0;
        headerBytes = 0;
        status = 0;
        http11 = false;
        closeRequested = false;
        chunked = false;
        contentLength = -1;
        remaining = 0;
        bodyBytes = 0;
        capped = false;
        retryAfter = null;
        mcpSessionId = null;
        started = false;
        eventStream = false;
        contentType = null;
    }

    /**
     * Consumes bytes from {@code in} until the response is complete or {@code in} is empty.
     *
     * @return true when the response is complete (bytes after it are left in {@code in})
     * @throws ProtocolException when the bytes are not an HTTP/1.x response
     */
    boolean read(ByteBuffer in) throws ProtocolException {
        if (in.hasRemaining()) {
            started = true;
        }
        while (in.hasRemaining() && state != State.DONE) {
            switch (state) {
                case STATUS_LINE, HEADERS, CHUNK_SIZE, CHUNK_END, TRAILERS -> {
                    if (readLine(in)) {
                        onLine();
                    }
                }
                case FIXED_BODY, CHUNK_DATA -> {
                    int n = (int) Math.min(remaining, in.remaining());
                    feed(in, n);
                    remaining -= n;
                    if (remaining == 0) {
                        state = state == State.FIXED_BODY ? State.DONE : State.CHUNK_END;
                    }
                    countBody(n);
                }
                case BODY_TO_EOF -> {
                    int n = in.remaining();
                    feed(in, n);
                    countBody(n);
                }
                default -> throw new IllegalStateException(state.name());
            }
        }
        if (state == State.DONE && awaitingBody()) {
            body.end();
        }
        // Answered while the stream goes on: the answer is complete; what follows may still end the body
        // (see drainable()).
        return state == State.DONE || answered;
    }

    /**
     * Lets go of the body watcher once its exchange has its answer: the rest of the body, if read on,
     * is counted and dropped.
     */
    void forgetBody() {
        body = null;
    }

    /** Whether the whole response, body included, has been read (not merely its answer). */
    boolean ended() {
        return state == State.DONE;
    }

    /**
     * The body watcher has its answer but the body is still open and framed (chunked or with a
     * length): the rest, read on with {@link #read}, may end it within the cap and leave the
     * connection {@link #reusable()}. An event stream a server ends right after the response (as the
     * MCP SDK's does) then costs no new connection for the next request.
     */
    boolean drainable() {
        // A connection that will be closed anyway (HTTP/1.0, Connection: close) is not worth a descriptor for 100 ms.
        return answered && state != State.DONE && (chunked || contentLength >= 0) && http11 && !closeRequested;
    }

    /** Skips {@code n} body bytes of {@code in}, showing them to the body watcher first when there is one. */
    private void feed(ByteBuffer in, int n) {
        if (awaitingBody() && n > 0) {
            ByteBuffer view = in.duplicate();
            view.limit(in.position() + n);
            answered = body.bytes(view);
        }
        in.position(in.position() + n);
    }

    /**
     * Whether a body watcher is still waiting for the answer of a 2xx head: until it has it, the head
     * alone is not the answer (a check that reaches its deadline then has no answer).
     */
    boolean awaitingBody() {
        return body != null && status / 100 == 2 && !answered;
    }

    /**
     * The connection ended. Returns true if that completes the response (a body delimited by the
     * end of the connection); false if the response is cut short.
     */
    boolean endOfStream() {
        if (state == State.BODY_TO_EOF) {
            state = State.DONE;
            if (awaitingBody()) {
                body.end();
            }
        }
        return state == State.DONE;
    }

    /** True once any byte of the response has arrived: a request on a stale connection gets none. */
    boolean started() {
        return started;
    }

    /**
     * True once the final (non-1xx) status line and its headers have been read: from then on the
     * answer is known, even if its body is still arriving.
     */
    boolean headComplete() {
        return status >= 200 && state != State.STATUS_LINE && state != State.HEADERS;
    }

    int status() {
        return status;
    }

    String retryAfter() {
        return retryAfter;
    }

    /** Whether the connection may carry another request: framed, fully read, and not asked to close. */
    boolean reusable() {
        return state == State.DONE && !capped && http11 && !closeRequested && status != 101
                && (chunked || contentLength >= 0 || !hasBody());
    }

    private void countBody(int n) {
        bodyBytes += n;
        // A body watcher still waiting for its answer bounds what it reads itself (the MCP lean paths: per message of
        // an event stream, as the SDK does); the exchange's deadline bounds the whole.
        if (bodyBytes >= bodyCap && state != State.DONE && !awaitingBody()) {
            capped = true; // enough: the rest is not worth reading, and the connection goes
            state = State.DONE;
        }
    }

    /** Appends to {@link #line} up to LF; true when a whole line (without CR LF) is there. */
    private boolean readLine(ByteBuffer in) throws ProtocolException {
        while (in.hasRemaining()) {
            byte b = in.get();
            if (state == State.STATUS_LINE || state == State.HEADERS) {
                if (++headerBytes > MAX_HEADER_BYTES) {
                    throw new ProtocolException("response headers over " + MAX_HEADER_BYTES + " bytes");
                }
            }
            if (b == '\n') {
                if (lineLength > 0 && line[lineLength - 1] == '\r') {
                    lineLength--;
                }
                return true;
            }
            if (lineLength == line.length) {
                if (line.length == MAX_LINE) {
                    throw new ProtocolException("response line over " + MAX_LINE + " bytes");
                }
                line = Arrays.copyOf(line, Math.min(MAX_LINE, line.length * 4));
            }
            line[lineLength++] = b;
        }
        return false;
    }

    private void onLine() throws ProtocolException {
        int length = lineLength;
        lineLength = 0;
        switch (state) {
            case STATUS_LINE -> statusLine(length);
            case HEADERS -> {
                if (length == 0) {
                    endOfHeaders();
                } else {
                    header(length);
                }
            }
            case CHUNK_SIZE -> {
                long size = chunkSize(length);
                if (size == 0) {
                    state = State.TRAILERS;
                } else {
                    remaining = size;
                    state = State.CHUNK_DATA;
                }
            }
            case CHUNK_END -> {
                if (length != 0) {
                    throw new ProtocolException("chunk not followed by CRLF");
                }
                state = State.CHUNK_SIZE;
            }
            case TRAILERS -> {
                if (length == 0) {
                    state = State.DONE;
                }
            }
            default -> throw new IllegalStateException(state.name());
        }
    }

    private void statusLine(int length) throws ProtocolException {
        // "HTTP/1.1 200 OK": version, space, three digits, then a space or the end.
        if (length < 12 || !startsWith("HTTP/1.") || line[8] != ' ' || (length > 12 && line[12] != ' ')) {
            throw new ProtocolException("not an HTTP/1.x status line");
        }
        http11 = line[7] == '1';
        int code = 0;
        for (int i = 9; i < 12; i++) {
            if (line[i] < '0' || line[i] > '9') {
                throw new ProtocolException("not an HTTP/1.x status line");
            }
            code = code * 10 + (line[i] - '0');
        }
        if (code < 100) {
            throw new ProtocolException("status code " + code);
        }
        status = code;
        state = State.HEADERS;
    }

    private void header(int length) throws ProtocolException {
        if (line[0] == ' ' || line[0] == '\t') {
            return; // an obsolete folded continuation: none of the headers read here is ever folded in practice
        }
        int colon = indexOf((byte) ':', length);
        if (colon <= 0 || line[colon - 1] == ' ' || line[colon - 1] == '\t') {
            throw new ProtocolException("malformed header line"); // RFC 9112 §5.1: no whitespace before the colon
        }
        if (nameIs("content-length", colon)) {
            long value = contentLength(valueString(colon, length));
            if (contentLength >= 0 && contentLength != value) {
                throw new ProtocolException("conflicting Content-Length headers");
            }
            contentLength = value;
        } else if (nameIs("transfer-encoding", colon)) {
            // Only chunked is framing we read; it must come last (RFC 9112 §6.1).
            String value = valueString(colon, length).toLowerCase(Locale.ROOT);
            chunked = value.endsWith("chunked");
            if (!chunked) {
                closeRequested = true; // framed by the end of the connection
            }
        } else if (nameIs("connection", colon)) {
            closeRequested |= valueString(colon, length).toLowerCase(Locale.ROOT).contains("close");
        } else if (nameIs("content-type", colon)) {
            contentType = valueString(colon, length);
            eventStream = contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
        } else if (nameIs("retry-after", colon)) {
            retryAfter = valueString(colon, length);
        } else if (body != null && mcpSessionId == null && nameIs("mcp-session-id", colon)) {
            mcpSessionId = valueString(colon, length);
        }
    }

    private void endOfHeaders() {
        if (status < 200 && status != 101) {
            // An interim answer: the real one follows, with its own headers.
            headerBytes = 0;
            status = 0;
            contentLength = -1;
            chunked = false;
            closeRequested = false;
            retryAfter = null;
            mcpSessionId = null;
            eventStream = false;
            contentType = null;
            state = State.STATUS_LINE;
            return;
        }
        if (chunked && contentLength >= 0) {
            closeRequested = true; // RFC 9112 §6.3: chunked wins, and the connection must not be reused
        }
        if (awaitingBody()) {
            if (mcpSessionId != null) {
                body.sessionId(mcpSessionId);
            }
            if (contentType != null) {
                body.contentType(contentType);
            }
            body.start(eventStream);
        }
        if (!hasBody()) {
            state = State.DONE;
        } else if (eventStream && !awaitingBody()) {
            capped = true; // an event stream does not end: the head is the answer, the connection goes
            state = State.DONE;
        } else if (chunked) {
            state = State.CHUNK_SIZE;
        } else if (contentLength >= 0) {
            remaining = contentLength;
            state = remaining == 0 ? State.DONE : State.FIXED_BODY;
        } else {
            state = State.BODY_TO_EOF;
        }
    }

    private boolean hasBody() {
        return status != 204 && status != 304 && status != 101;
    }

    private long chunkSize(int length) throws ProtocolException {
        long size = 0;
        int digits = 0;
        int significant = 0; // leading zeros are valid hex (RFC 9112 §7.1) and do not count towards the limit
        for (int i = 0; i < length && line[i] != ';' && line[i] != ' ' && line[i] != '\t'; i++) {
            int d = Character.digit(line[i], 16);
            if (d < 0 || (size > 0 || d > 0) && ++significant > 15) {
                throw new ProtocolException("malformed chunk size");
            }
            digits++;
            size = size * 16 + d;
        }
        if (digits == 0) {
            throw new ProtocolException("malformed chunk size");
        }
        return size;
    }

    private boolean startsWith(String prefix) {
        for (int i = 0; i < prefix.length(); i++) {
            if (line[i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private boolean nameIs(String lowerName, int nameLength) {
        if (nameLength != lowerName.length()) {
            return false;
        }
        for (int i = 0; i < nameLength; i++) {
            int c = line[i];
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            if (c != lowerName.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private int indexOf(byte b, int length) {
        for (int i = 0; i < length; i++) {
            if (line[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private String valueString(int colon, int length) {
        int from = colon + 1;
        int to = length;
        while (from < to && (line[from] == ' ' || line[from] == '\t')) {
            from++;
        }
        while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\t')) {
            to--;
        }
        return new String(line, from, to - from, StandardCharsets.ISO_8859_1);
    }

    /**
     * A {@code Content-Length} value; a list of one repeated value ({@code 5, 5}, what a proxy that
     * merged two equal headers sends) is that value (RFC 9110 §8.6), a list of different ones is an error.
     */
    private static long contentLength(String value) throws ProtocolException {
        if (value.indexOf(',') < 0) {
            return parseDecimal(value);
        }
        long length = -1;
        for (String member : value.split(",", -1)) {
            long n = parseDecimal(member.trim());
            if (length >= 0 && n != length) {
                throw new ProtocolException("conflicting Content-Length values");
            }
            length = n;
        }
        return length;
    }

    private static long parseDecimal(String value) throws ProtocolException {
        int zeros = 0;
        while (zeros < value.length() - 1 && value.charAt(zeros) == '0') {
            zeros++; // leading zeros are digits like any other (1*DIGIT), not a longer number
        }
        if (value.isEmpty() || value.length() - zeros > 18) {
            throw new ProtocolException("malformed Content-Length");
        }
        long n = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                throw new ProtocolException("malformed Content-Length");
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }

    /** What a connection that ends before its response did fails with. */
    static IOException cutShort() {
        return new ProtocolException("connection closed before the response was complete");
    }
}
