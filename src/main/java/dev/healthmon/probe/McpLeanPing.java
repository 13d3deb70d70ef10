package dev.healthmon.probe;

import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code ping} of an initialized streamable-HTTP session, sent through healthmon's own HTTP
 * client ({@link PlainHttpClient}) instead of the MCP SDK (docs/design.md §10.26): a check on a
 * reused session is this one POST, and the SDK's per-call machinery (Reactor, the JDK client's
 * request and body subscribers) was most of its cost. The SDK still initializes, lists tools, speaks
 * the SSE transport and closes; this class only repeats, for the one hot call, what the SDK sends
 * on the session: its {@code Mcp-Session-Id} and {@code MCP-Protocol-Version} as the SDK last sent
 * them, the credential, {@code User-Agent}, and {@code Accept: application/json, text/event-stream}.
 *
 * <p>The answer is read as the SDK path reads it ({@link AnswerWatch}): a JSON body or an event
 * stream carrying the response with the ping's id, at most {@link McpSession#MAX_RESPONSE_BYTES}
 * bytes of JSON or per event-stream line and event (the SDK's limits), to the vetted address and by the
 * check's deadline. Its outcome is given as what the SDK
 * path fails with, so that one classification ({@link McpProbe}) serves both: a refusal (status ≥
 * 400) as {@link Refused} with its status and {@code Retry-After}, a JSON-RPC error as
 * {@link McpError}, a 2xx answer that is not the ping's response, or that reaches
 * {@link McpSession#MAX_RESPONSE_BYTES} without it, as {@link McpSession.MalformedAnswerException},
 * no answer in time as {@link HttpTimeoutException}, a 2xx answer that ends without the response as
 * {@link Unanswered} (the caller waits for its timeout, as the SDK does), and network and TLS
 * failures as the client's {@link IOException}s.
 *
 * <p>Threading: {@link #send} from any thread; the answer is read on the client's selector thread.
 */
final class McpLeanPing {

    /** The session as the SDK last used it: what a ping on it must carry. */
    record SessionHeaders(Optional<String> sessionId, Optional<String> protocolVersion) {
        /**
         * Whether both values can go into a request head as they are: the session id is the server's
         * choice (the spec asks for visible ASCII), and a value with a line break or a control
         * character would let the server write our request. An empty value is not one either (a header
         * without a value names no session). A session with such a value stays on the SDK.
         */
        boolean sendable() {
            return sessionId.map(McpLeanPing::visibleAscii).orElse(true)
                    && protocolVersion.map(McpLeanPing::visibleAscii).orElse(true);
        }
    }

    /** The server refused a request ({@code initialize}, the notification, the ping) with a status ≥ 400. */
    static final class Refused extends IOException {
        private static final long serialVersionUID = 1L;
        private final int status;
        private final transient Optional<String> retryAfter;

        Refused(int status, Optional<String> retryAfter) {
            super("MCP request refused with HTTP " + status);
            this.status = status;
            this.retryAfter = retryAfter;
        }

        int status() {
            return status;
        }

        Optional<String> retryAfter() {
            return retryAfter;
        }
    }

    /**
     * A 2xx answer that ended without the response to its request (an empty body, a 202, an event stream
     * closed early): the SDK keeps waiting for the response then, until the check's timeout, and so do the
     * lean paths.
     */
    static final class Unanswered extends IOException {
        private static final long serialVersionUID = 1L;

        Unanswered() {
            super("the 2xx answer carried no response to the request", null);
        }
    }

    private static final AtomicLong IDS = new AtomicLong();

    private final PlainHttpClient client;
    private final URI url;
    private final String userAgent;

    McpLeanPing(PlainHttpClient client, URI url, String userAgent) {
        this.client = client;
        this.url = url;
        this.userAgent = userAgent;
    }

    /**
     * Sends one ping to {@code address} and completes when its response has come (normally) or with
     * the failure described on the class; never on the caller's thread. Cancelling the future ends the
     * exchange and closes its connection.
     */
    CompletableFuture<Void> send(SessionHeaders session, Optional<SecretResolver.Credential> credential,
                                 InetAddress address, long deadlineNanos) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            return CompletableFuture.failedFuture(
                    new HttpTimeoutException("the check's deadline has passed: request not sent"));
        }
        String id = "healthmon-ping-" + IDS.incrementAndGet();
        Answer answer = new Answer(Optional.of(id));
        InetSocketAddress target = new InetSocketAddress(address, ObservedHttpClient.portOf(url));
        CompletableFuture<PlainHttpClient.Response> sent = client.send(route(url, target),
                request(id, session, credential), Duration.ofNanos(left), McpSession.MAX_RESPONSE_BYTES, answer);
        CompletableFuture<Void> done = sent.thenApply(response -> {
            if (answer.verdict(response) == null) {
                throw new CompletionException(new Unanswered());
            }
            return null;
        });
        done.whenComplete((ignored, error) -> {
            if (done.isCancelled()) {
                sent.cancel(true); // the client closes the exchange's connection
            }
        });
        return done;
    }

    /** Where a lean request to {@code url} goes: {@code target}, over TLS to the URL's name for {@code https}. */
    static PlainHttpClient.Route route(URI url, InetSocketAddress target) {
        return "https".equalsIgnoreCase(url.getScheme())
                ? PlainHttpClient.Route.tls(target, url.getHost()) : PlainHttpClient.Route.plain(target);
    }

    /** What a lean exchange failed with: the cause a {@link CompletionException} wraps, or the error itself. */
    static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    /** The whole request: head and body. No part can carry a line break (see {@link SessionHeaders#sendable}). */
    byte[] request(String id, SessionHeaders session, Optional<SecretResolver.Credential> credential) {
        return post(url, userAgent, "{\"jsonrpc\":\"2.0\",\"id\":\"" + id + "\",\"method\":\"ping\"}", session,
                credential);
    }

    /**
     * A JSON-RPC POST to {@code url} as the SDK sends it: {@code User-Agent}, {@code Accept: application/json,
     * text/event-stream}, the session's id and protocol version when it has them, the credential. The session's
     * values must be {@link SessionHeaders#sendable}.
     */
    static byte[] post(URI url, String userAgent, String json, SessionHeaders session,
                       Optional<SecretResolver.Credential> credential) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = HttpProbe.requestLineAndHost("POST", url, "/mcp", 320 + body.length);
        head.append("\r\nAccept: application/json, text/event-stream\r\nContent-Type: application/json")
                .append("\r\nContent-Length: ").append(body.length);
        byte[] headBytes = headers(head, userAgent, session, credential);
        byte[] whole = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, whole, 0, headBytes.length);
        System.arraycopy(body, 0, whole, headBytes.length, body.length);
        return whole;
    }

    /** The {@code DELETE} that ends a session, with what every request on it carries. */
    static byte[] delete(URI url, String userAgent, SessionHeaders session,
                         Optional<SecretResolver.Credential> credential) {
        return headers(HttpProbe.requestLineAndHost("DELETE", url, "/mcp", 320), userAgent, session, credential);
    }

    /** Ends {@code head} (request line and {@code Host} so far) with the headers every request of a session has. */
    private static byte[] headers(StringBuilder head, String userAgent, SessionHeaders session,
                                  Optional<SecretResolver.Credential> credential) {
        head.append("\r\nUser-Agent: ").append(userAgent).append("\r\n");
        session.sessionId().ifPresent(value -> head.append("Mcp-Session-Id: ").append(value).append("\r\n"));
        session.protocolVersion().ifPresent(value -> head.append("MCP-Protocol-Version: ").append(value)
                .append("\r\n"));
        credential.ifPresent(c -> head.append(c.header()).append(": ").append(c.value()).append("\r\n"));
        return head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Non-empty, and only characters 0x21–0x7e: no space, control character, line break or obs-text. */
    static boolean visibleAscii(String value) {
        if (value == null || value.isEmpty()) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    /**
     * What a 2xx answer's body said about a request, read with the SDK path's {@link AnswerWatch}:
     * the first verdict counts (the response, or why the body is not one), and the head's
     * {@code Mcp-Session-Id} (an {@code initialize} answer names the session with it).
     *
     * <p>The body is read as the SDK (1.1.5, {@code HttpClientStreamableHttpTransport}) reads a 2xx answer to a POST:
     * a {@code 202} or an answer without {@code Content-Type} has no body (nothing in it is read: for a request the
     * response is still to come, and the caller waits for it until the deadline); a {@code Content-Type} containing
     * {@code text/event-stream} is an event stream, one containing {@code application/json} one JSON-RPC message, and
     * any other is malformed (the SDK's "Unknown media type"). The answer to a notification counts only when it is
     * malformed: the SDK logs a response to a notification, a JSON-RPC error too, and goes on.
     *
     * <p>Threading: fed on the client's selector thread; read after the exchange's future completed.
     */
    static final class Answer implements ResponseReader.Body {
        private final Optional<Object> id;
        private AnswerWatch watch;
        private McpSchema.JSONRPCResponse response;
        private String malformed;
        private String sessionId;
        private String contentType;
        /** A 2xx answer the SDK reads as having no body (no {@code Content-Type}): what comes is not read. */
        private boolean bodyless;
        /** An event stream: limited per line and event as the SDK limits it, and as a whole by the deadline. */
        private boolean stream;
        private long bodyBytes;

        /** @param id the request's JSON-RPC id; empty for a notification, which no response answers */
        Answer(Optional<Object> id) {
            this.id = id;
        }

        @Override
        public void reset() {
            watch = null;
            response = null;
            malformed = null;
            sessionId = null;
            contentType = null;
            bodyless = false;
            stream = false;
            bodyBytes = 0;
        }

        @Override
        public void sessionId(String value) {
            // An empty header names no session: taken as absent, so nothing carries or deletes an empty id.
            sessionId = value.isEmpty() ? null : value;
        }

        @Override
        public void contentType(String value) {
            contentType = value;
        }

        @Override
        public void start(boolean eventStream) {
            String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
            if (type.isBlank()) {
                bodyless = true;
            } else if (type.contains("text/event-stream")) {
                stream = true;
                watch = AnswerWatch.eventStream(this::malformed, () -> id, this::answered);
            } else if (type.contains("application/json")) {
                watch = AnswerWatch.json(this::malformed, () -> id, this::answered);
            } else {
                malformed("unknown media type returned: " + type.strip());
            }
        }

        @Override
        public boolean bytes(ByteBuffer view) {
            if (decided()) {
                return true;
            }
            bodyBytes += view.remaining();
            watch.bytes(view);
            if (!decided() && !stream && bodyBytes >= McpSession.MAX_RESPONSE_BYTES) {
                // The SDK fails such an answer at once (its response size limit); read on, it would hold the check.
                malformed("the answer reached " + McpSession.MAX_RESPONSE_BYTES + " bytes without the response");
            }
            return decided();
        }

        @Override
        public void end() {
            if (watch != null && !decided()) {
                watch.end();
            }
        }

        private boolean decided() {
            return bodyless || response != null || malformed != null;
        }

        private void malformed(String text) {
            if (!decided()) {
                malformed = text;
            }
        }

        private void answered(McpSchema.JSONRPCResponse answer) {
            if (!decided()) {
                response = answer;
            }
        }

        /** The 2xx head's {@code Mcp-Session-Id}, if it had one. */
        Optional<String> sessionId() {
            return Optional.ofNullable(sessionId);
        }

        /**
         * The response with a result, or null for a 2xx answer that carried none (for a request: no answer yet, the
         * SDK would wait for one); otherwise throws what the SDK path fails with.
         */
        McpSchema.JSONRPCResponse verdict(PlainHttpClient.Response http) {
            int status = http.status();
            if (status >= 400) {
                throw new CompletionException(new Refused(status, Optional.ofNullable(http.retryAfter())));
            }
            if (status / 100 != 2) {
                throw new CompletionException(new McpSession.MalformedAnswerException(
                        "the request was answered with HTTP " + status));
            }
            if (bodyless || status == 202) {
                return null; // no body, as the SDK reads it: the response, if one is due, is still to come
            }
            if (malformed != null) {
                throw new CompletionException(new McpSession.MalformedAnswerException(malformed));
            }
            if (response != null && response.error() != null && id.isPresent()) {
                throw new CompletionException(new McpError(response.error()));
            }
            return response;
        }
    }
}
