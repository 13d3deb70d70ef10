package dev.healthmon.probe;

import dev.healthmon.events.McpServerInfo;
import dev.healthmon.registration.BackendRegistration;
import dev.healthmon.registration.CheckSettings;
import dev.healthmon.registration.McpMethod;
import dev.healthmon.registration.Transport;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.HttpClientSseClientTransport;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.customizer.McpAsyncHttpClientRequestCustomizer;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * One MCP client session with one backend, built on the official SDK's async client: the SDK sends
 * {@code initialize} (with {@code Accept: application/json, text/event-stream}, and the
 * negotiated {@code MCP-Protocol-Version} on every later request) and we identify as client
 * {@code healthmon}. Exchanges go through the probe's HTTP client for the URL (the shared one, or an
 * {@code https://} name's own: {@link PinnedTlsClients}) seen through {@link ObservedHttpClient},
 * which holds them to the check's deadline and vetted address.
 *
 * <p>Threading: used by one check at a time; {@link #close()} and {@link #abandon()} may come from any thread.
 */
final class McpSession implements AutoCloseable {

    /** Bounds what one answer may make us buffer; a {@code tools/list} of a large server fits easily. */
    static final int MAX_RESPONSE_BYTES = 1024 * 1024;
    static final String CLIENT_NAME = "healthmon";
    static final String CLIENT_VERSION = Optional
            .ofNullable(McpSession.class.getPackage().getImplementationVersion())
            .orElse("dev");
    static final String USER_AGENT = CLIENT_NAME + "/" + CLIENT_VERSION;

    private final URI url;
    private final Duration timeout;
    private final Transport kind;
    private final ObservedHttpClient http;
    private final AtomicReference<SecretResolver.Credential> credential = new AtomicReference<>();
    private final McpAsyncClient client;
    private final Optional<McpLeanPing> lean;
    private volatile Optional<InetAddress> lastAddress = Optional.empty();
    private volatile Refusal leanRefusal;
    private volatile CompletableFuture<Void> leanExchange;
    private volatile boolean abandoned;

    /**
     * An HTTP answer with status ≥ 400, as classification needs it.
     *
     * @param withSessionId whether the refused request carried an {@code Mcp-Session-Id}
     */
    record Refusal(int status, Optional<String> retryAfter, boolean withSessionId) {
        /**
         * Whether the refusal says the server no longer knows the session: a 404, or a 400 to a request that carried
         * an {@code Mcp-Session-Id}. The SDK (1.1.5, {@code HttpClientStreamableHttpTransport}) fails both with
         * {@code McpTransportSessionNotFoundException} and forgets the session; every path does the same with it. A
         * 404 counts without the header too: the SSE transport carries its session in the URL, not in a header.
         */
        boolean sessionGone() {
            return status == 404 || (status == 400 && withSessionId);
        }
    }

    /**
     * @param lean the client for the lean ping ({@link McpLeanPing}) of an initialized streamable-HTTP
     *             session; empty: every request goes through the SDK
     */
    McpSession(HttpClient shared, Optional<PlainHttpClient> lean, BackendRegistration registration,
               CheckSettings settings) {
        this(shared, lean, registration.url(), registration.transport(), settings.timeout());
    }

    McpSession(HttpClient shared, Optional<PlainHttpClient> lean, URI url, Transport transportKind,
               Duration timeout) {
        this.url = url;
        this.timeout = timeout;
        this.kind = transportKind;
        this.lean = transportKind == Transport.STREAMABLE_HTTP
                ? lean.map(plain -> new McpLeanPing(plain, url, USER_AGENT)) : Optional.empty();
        // Until a check routes it, the session sends nothing: its deadline has already passed.
        this.http = new ObservedHttpClient(shared, ObservedHttpClient.Route.of(url, InetAddress.getLoopbackAddress(),
                System.nanoTime() - 1));
        if (transportKind == Transport.STREAMABLE_HTTP) {
            http.eventStreamOptional();
        }
        McpAsyncHttpClientRequestCustomizer headers = (request, method, uri, body, context) -> {
            request.setHeader("User-Agent", USER_AGENT);
            SecretResolver.Credential current = credential.get();
            if (current != null) {
                request.setHeader(current.header(), current.value());
            }
            return Mono.just(request);
        };
        this.client = McpClient.async(transport(url, transportKind, timeout, headers))
                .clientInfo(new McpSchema.Implementation(CLIENT_NAME, CLIENT_VERSION))
                .requestTimeout(timeout)
                .initializationTimeout(timeout)
                .build();
    }

    private McpClientTransport transport(URI url, Transport kind, Duration timeout,
                                         McpAsyncHttpClientRequestCustomizer headers) {
        String origin = url.getScheme() + "://" + url.getRawAuthority();
        String endpoint = (url.getRawPath() == null ? "" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        if (kind == Transport.SSE) {
            return HttpClientSseClientTransport.builder(origin)
                    .sseEndpoint(endpoint.isEmpty() ? "/sse" : endpoint)
                    .clientBuilder(http.asBuilder())
                    .asyncHttpRequestCustomizer(headers)
                    .connectTimeout(timeout)
                    .maxResponseSize(MAX_RESPONSE_BYTES)
                    .build();
        }
        return HttpClientStreamableHttpTransport.builder(origin)
                .endpoint(endpoint.isEmpty() ? "/mcp" : endpoint)
                .clientBuilder(http.asBuilder())
                .asyncHttpRequestCustomizer(headers)
                .connectTimeout(timeout)
                .maxResponseSize(MAX_RESPONSE_BYTES)
                .build();
    }

    /**
     * One check: {@code initialize} unless this session already did, then {@code method}
     * ({@code tools/list} only when the server advertised tools; {@code ping} otherwise). Every
     * request goes to {@code address} and ends by {@code deadlineNanos} ({@link System#nanoTime()}),
     * and so does the whole check; a 2xx JSON answer that is not JSON-RPC ends it at once
     * ({@link MalformedAnswerException}), and so does a refused SSE event stream
     * ({@link RefusedStreamException}; {@link #lastRefusal()} then says what the server answered).
     *
     * @param credential the header to send on every request of this check, resolved just before it
     */
    Mono<McpSchema.InitializeResult> exchange(McpMethod method, Optional<SecretResolver.Credential> credential,
                                              InetAddress address, long deadlineNanos) {
        this.credential.set(credential.orElse(null));
        lastAddress = Optional.of(address);
        http.forgetRefusal();
        leanRefusal = null;
        http.route(ObservedHttpClient.Route.of(url, address, deadlineNanos));
        Sinks.One<RuntimeException> broken = Sinks.one();
        http.onMalformedAnswer(text -> broken.tryEmitValue(new MalformedAnswerException(text)));
        if (kind == Transport.SSE) {
            // The SSE transport's event stream is its session: refused, nothing can be answered (the SDK would wait).
            http.onRefusedStream(info -> broken.tryEmitValue(new RefusedStreamException(info.statusCode())));
        }
        Mono<McpSchema.InitializeResult> answered = client.initialize()
                .flatMap(init -> request(method, init, credential, address, deadlineNanos).thenReturn(init));
        Mono<McpSchema.InitializeResult> refused = broken.asMono().flatMap(Mono::error);
        Duration left = Duration.ofNanos(Math.max(1, deadlineNanos - System.nanoTime()));
        return Mono.firstWithSignal(answered, refused).timeout(left);
    }

    /**
     * The check's request once the session is initialized: {@code tools/list} through the SDK, a
     * {@code ping} through the lean path when this session has one and the SDK's session headers can
     * be sent as they are, otherwise through the SDK.
     */
    private Mono<?> request(McpMethod method, McpSchema.InitializeResult init,
                            Optional<SecretResolver.Credential> credential, InetAddress address, long deadlineNanos) {
        boolean advertisesTools = init.capabilities() != null && init.capabilities().tools() != null;
        if (method == McpMethod.TOOLS_LIST && advertisesTools) {
            return client.listTools();
        }
        McpLeanPing.SessionHeaders session = http.sessionHeaders();
        if (lean.isEmpty() || !session.sendable()) {
            return client.ping();
        }
        return Mono.create(sink -> {
            if (abandoned) {
                sink.error(new IOException("MCP session closed: request not sent"));
                return;
            }
            CompletableFuture<Void> ping = lean.get().send(session, credential, address, deadlineNanos);
            leanExchange = ping;
            if (abandoned) {
                ping.cancel(true); // abandon() ran while the ping was being handed over
            }
            sink.onCancel(() -> ping.cancel(true));
            ping.whenComplete((ignored, error) -> {
                if (leanExchange == ping) {
                    leanExchange = null; // a kept session must not hold its last answer until the next check
                }
                Throwable cause = McpLeanPing.unwrap(error);
                if (cause instanceof McpLeanPing.Refused refused) {
                    leanRefusal = new Refusal(refused.status(), refused.retryAfter(), session.sessionId().isPresent());
                }
                if (cause == null) {
                    sink.success();
                } else if (cause instanceof McpLeanPing.Unanswered) {
                    return; // as the SDK would: no response yet, so the check waits for it until its deadline
                } else {
                    sink.error(cause);
                }
            });
        });
    }

    boolean initialized() {
        return client.isInitialized();
    }

    /** What the server answered to {@code initialize}, when it did. */
    Optional<McpServerInfo> serverInfo() {
        return Optional.ofNullable(client.getCurrentInitializationResult()).map(McpSession::serverInfo);
    }

    static McpServerInfo serverInfo(McpSchema.InitializeResult init) {
        McpSchema.Implementation server = init.serverInfo();
        return new McpServerInfo(String.valueOf(init.protocolVersion()),
                server == null || server.name() == null ? "" : server.name(),
                server == null || server.version() == null ? "" : server.version());
    }

    /** The last HTTP answer with status ≥ 400 during the current check, through the SDK or the lean ping. */
    Optional<Refusal> lastRefusal() {
        Refusal lean = leanRefusal;
        if (lean != null) {
            return Optional.of(lean);
        }
        boolean withSessionId = http.lastRefusalHadSessionId();
        return http.lastRefusal().map(info -> new Refusal(info.statusCode(),
                info.headers().firstValue("Retry-After"), withSessionId));
    }

    /** How many HTTP exchanges of this session are still open. */
    int openExchanges() {
        return http.openExchanges();
    }

    /**
     * Ends a session in doubt (its check was cancelled, timed out or failed): every open exchange is
     * cancelled and its connection closed, and nothing more is sent, not even the polite DELETE.
     */
    void abandon() {
        abandoned = true;
        CompletableFuture<Void> ping = leanExchange;
        if (ping != null) {
            ping.cancel(true);
        }
        http.abort();
        client.closeGracefully().subscribe(done -> {}, error -> {});
    }

    /**
     * Ends a sound session politely (streamable HTTP: DELETE to the address last vetted, within the
     * timeout), without waiting for it; whatever is still open afterwards is cancelled.
     */
    @Override
    public void close() {
        Optional<InetAddress> address = lastAddress;
        if (address.isEmpty()) {
            abandon();
            return;
        }
        http.route(ObservedHttpClient.Route.of(url, address.get(), System.nanoTime() + timeout.toNanos()));
        client.closeGracefully().timeout(timeout).doFinally(signal -> http.abort()).subscribe(done -> {}, error -> {});
    }

    /** The SSE transport's event stream was refused with an HTTP status ≥ 400. */
    static final class RefusedStreamException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RefusedStreamException(int status) {
            super("MCP event stream refused with HTTP " + status, null, false, false);
        }
    }

    /** A 2xx answer that is not a JSON-RPC message: the server broke the protocol. */
    static final class MalformedAnswerException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MalformedAnswerException(String message) {
            super(message, null, false, false);
        }
    }
}
