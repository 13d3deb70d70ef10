package dev.healthmon.probe;

import dev.healthmon.target.IpLiteral;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A view of an MCP probe's {@link HttpClient} (the shared one, or an {@code https://} name's own) for
 * one MCP session. Every request the SDK
 * sends passes through here, which is where the session enforces what the SDK cannot be told:
 * <ul>
 *   <li>the check's deadline, as the request's HTTP timeout (the JDK then ends the exchange and
 *       closes its connection), and no request at all once the deadline has passed;</li>
 *   <li>the vetted address: a request to the registered origin goes to the address that
 *       {@link TargetVetting} vetted ({@link Route}), as an IP literal with the registered name in
 *       {@code Host} (http and https alike); any other origin is refused;</li>
 *   <li>{@link #abort()}: every exchange still open is cancelled and its connection closed, and
 *       nothing is sent afterwards (a check that was cancelled or a session in doubt);</li>
 *   <li>the status line and headers of the last refused exchange (status ≥ 400): the SDK reports
 *       a refusal as an exception whose only trace of the status is its message text, and the
 *       probe needs the status (429, 401, a dropped session's 404) and {@code Retry-After};</li>
 *   <li>a refused event stream (GET) is reported to {@link #onRefusedStream};</li>
 *   <li>a 2xx answer (JSON body or event-stream message) that is not a JSON-RPC message is reported
 *       to {@link #onMalformedAnswer} ({@link AnswerWatch}): the SDK only logs it and lets the
 *       request wait for its timeout.</li>
 * </ul>
 *
 * <p>Going through a shared client keeps the cost of a session at a few objects: every JDK
 * {@code HttpClient} owns a selector thread, so one per backend would not scale. Only an
 * {@code https://} name needs a client of its own (one per name and port, shared by its sessions).
 *
 * <p>Thread-safe. Closing it (JDK 21+) does not close the shared client.
 */
final class ObservedHttpClient extends HttpClient {

    /** Where a check's requests go and until when: the registered origin, the vetted address, the deadline. */
    record Route(String scheme, String host, int port, InetAddress address, long deadlineNanos) {
        static Route of(URI registered, InetAddress vetted, long deadlineNanos) {
            return new Route(registered.getScheme(), registered.getHost(), portOf(registered), vetted, deadlineNanos);
        }
    }

    private final HttpClient shared;
    private final Set<Exchange> open = ConcurrentHashMap.newKeySet();
    private volatile HttpResponse.ResponseInfo lastRefusal;
    /** Whether the request {@link #lastRefusal} answered carried an {@code Mcp-Session-Id}; written just before it. */
    private volatile boolean lastRefusalHadSessionId;
    private volatile Route route;
    private volatile boolean aborted;
    private volatile boolean optionalStream;
    private volatile McpLeanPing.SessionHeaders sessionHeaders =
            new McpLeanPing.SessionHeaders(Optional.empty(), Optional.empty());
    private volatile Consumer<String> malformedAnswer = text -> {};
    private volatile Consumer<HttpResponse.ResponseInfo> refusedStream = info -> {};

    ObservedHttpClient(HttpClient shared, Route initial) {
        this.shared = shared;
        this.route = initial;
    }

    /** The last exchange answered with status ≥ 400 since {@link #forgetRefusal()}, if any. */
    Optional<HttpResponse.ResponseInfo> lastRefusal() {
        return Optional.ofNullable(lastRefusal);
    }

    /** Whether the request of {@link #lastRefusal()} carried an {@code Mcp-Session-Id} (a session-gone refusal). */
    boolean lastRefusalHadSessionId() {
        return lastRefusalHadSessionId;
    }

    void forgetRefusal() {
        lastRefusal = null;
    }

    /**
     * {@code Mcp-Session-Id} and {@code MCP-Protocol-Version} as the SDK sent them on its last POST:
     * after {@code initialize} that is the {@code notifications/initialized} of the session, so a
     * request of our own that carries them is on the session exactly as the SDK's next one would be.
     */
    McpLeanPing.SessionHeaders sessionHeaders() {
        return sessionHeaders;
    }

    /** From now on requests go to {@code next} (a new check: its vetted address and its deadline). */
    void route(Route next) {
        route = next;
    }

    /** Called with a short description when a 2xx JSON answer is not a JSON-RPC message. */
    void onMalformedAnswer(Consumer<String> listener) {
        malformedAnswer = listener;
    }

    /**
     * The event stream (GET) is optional (streamable HTTP): a server that does not offer one answers
     * 405, which refuses nothing the check asked for and so is not {@link #lastRefusal()}. Without
     * this, a malformed or timed-out ping on such a server read as "HTTP 405".
     */
    void eventStreamOptional() {
        optionalStream = true;
    }

    /** Called when a GET (an event stream) is refused with status ≥ 400. */
    void onRefusedStream(Consumer<HttpResponse.ResponseInfo> listener) {
        refusedStream = listener;
    }

    /** Cancels every open exchange (closing its connection) and refuses every later request; idempotent. */
    void abort() {
        aborted = true;
        for (Exchange exchange : open) {
            exchange.cancel();
        }
    }

    /** How many exchanges are still open (sent, and their answer not yet fully read). */
    int openExchanges() {
        return open.size();
    }

    /** A builder for the SDK's transport builders; its settings are ignored, {@code build()} returns this view. */
    HttpClient.Builder asBuilder() {
        return new FixedBuilder(this);
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        try {
            return sendAsync(request, handler).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return sendAsync(request, handler, null);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                            HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
        HttpRequest routed;
        try {
            routed = routed(request, route);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (request.method().equals("POST")) {
            sessionHeaders = new McpLeanPing.SessionHeaders(request.headers().firstValue("Mcp-Session-Id"),
                    request.headers().firstValue("MCP-Protocol-Version"));
        }
        Exchange exchange = new Exchange();
        open.add(exchange);
        CompletableFuture<HttpResponse<T>> sent;
        try {
            sent = pushPromiseHandler == null
                    ? shared.sendAsync(routed, observing(routed, handler, exchange))
                    : shared.sendAsync(routed, observing(routed, handler, exchange), pushPromiseHandler);
        } catch (RuntimeException e) {
            exchange.ended();
            return CompletableFuture.failedFuture(e);
        }
        exchange.sent(sent);
        sent.whenComplete((response, error) -> {
            if (error != null) {
                exchange.ended();
            }
        });
        if (aborted) {
            exchange.cancel(); // abort() ran while this request was being handed over
        }
        return sent;
    }

    /** The request as it goes out: to the vetted address, with the time left until the deadline as its timeout. */
    private HttpRequest routed(HttpRequest request, Route current) throws IOException {
        if (aborted) {
            throw new IOException("MCP session closed: request not sent");
        }
        URI uri = request.uri();
        if (!current.scheme().equalsIgnoreCase(uri.getScheme()) || !current.host().equalsIgnoreCase(uri.getHost())
                || current.port() != portOf(uri)) {
            throw new IOException("refused: MCP request to another origin than the registered one");
        }
        long left = current.deadlineNanos() - System.nanoTime();
        if (left <= 0) {
            throw new HttpTimeoutException("the check's deadline has passed: request not sent");
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(request, (name, value) -> true)
                .timeout(Duration.ofNanos(left));
        request.bodyPublisher().ifPresent(body -> builder.method(request.method(), new RequestIdTap(body)));
        if (!IpLiteral.looksLiteral(bare(uri.getHost()))) {
            if (!HostPinning.available()) {
                throw new IOException("cannot pin the MCP request to the vetted address: " + HostPinning.HOW_TO_ENABLE);
            }
            // Connect to the address that was vetted, not to whatever the name resolves to now (DNS rebinding);
            // the server still sees the name it was registered under. For https the client is the name's own
            // (PinnedTlsClients): SNI and the certificate check stay on the name.
            builder.uri(URI.create(uri.getScheme().toLowerCase(Locale.ROOT) + "://" + literal(current.address()) + ":"
                            + portOf(uri) + rawPathAndQuery(uri)))
                    .header("Host", uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort());
        }
        return builder.build();
    }

    private <T> HttpResponse.BodyHandler<T> observing(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                      Exchange exchange) {
        return info -> {
            if (info.statusCode() >= 400 && !(optionalStream && isGet(request) && info.statusCode() == 405)) {
                lastRefusalHadSessionId = request.headers().firstValue("Mcp-Session-Id").isPresent();
                lastRefusal = info;
                if (isGet(request)) {
                    refusedStream.accept(info);
                }
            }
            String type = info.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
            AnswerWatch watch = null;
            Supplier<Optional<Object>> requestId = () -> request.bodyPublisher()
                    .filter(RequestIdTap.class::isInstance).flatMap(tap -> ((RequestIdTap) tap).requestId());
            if (info.statusCode() / 100 == 2 && type.contains("application/json")) {
                watch = AnswerWatch.json(text -> malformedAnswer.accept(text), requestId);
            } else if (info.statusCode() / 100 == 2 && type.contains("text/event-stream")) {
                watch = AnswerWatch.eventStream(text -> malformedAnswer.accept(text), requestId);
            }
            return new TrackedBody<>(handler.apply(info), exchange, watch);
        };
    }

    private static boolean isGet(HttpRequest request) {
        return request.method().equals("GET");
    }

    static int portOf(URI uri) {
        if (uri.getPort() != -1) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    private static String bare(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private static String literal(InetAddress address) {
        return address instanceof Inet6Address ? "[" + address.getHostAddress() + "]" : address.getHostAddress();
    }

    private static String rawPathAndQuery(URI uri) {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    }

    /** One request in flight: its future until the answer's head, then its body's subscription until the end. */
    private final class Exchange {
        private CompletableFuture<?> sent;
        private Flow.Subscription body;
        private boolean cancelled;
        private boolean ended;

        synchronized void sent(CompletableFuture<?> future) {
            sent = future;
            if (cancelled) {
                future.cancel(true);
            }
        }

        synchronized boolean subscribed(Flow.Subscription subscription) {
            body = subscription;
            return !cancelled;
        }

        void ended() {
            synchronized (this) {
                ended = true;
            }
            open.remove(this);
        }

        void cancel() {
            CompletableFuture<?> future;
            Flow.Subscription subscription;
            synchronized (this) {
                if (ended || cancelled) {
                    return;
                }
                cancelled = true;
                future = sent;
                subscription = body;
            }
            // Before the head: cancelling the JDK's future ends the exchange; after it, cancelling the body does.
            // Either way the JDK closes the connection instead of returning it to the pool.
            if (future != null) {
                future.cancel(true);
            }
            if (subscription != null) {
                subscription.cancel();
            }
            open.remove(this);
        }
    }

    /** The SDK's body subscriber, watched: its subscription is kept for {@link Exchange#cancel()}, messages checked. */
    private static final class TrackedBody<T> implements HttpResponse.BodySubscriber<T> {
        private final HttpResponse.BodySubscriber<T> inner;
        private final Exchange exchange;
        private final AnswerWatch watch;

        TrackedBody(HttpResponse.BodySubscriber<T> inner, Exchange exchange, AnswerWatch watch) {
            this.inner = inner;
            this.exchange = exchange;
            this.watch = watch;
        }

        @Override
        public CompletionStage<T> getBody() {
            return inner.getBody();
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            inner.onSubscribe(subscription);
            if (!exchange.subscribed(subscription)) {
                subscription.cancel();
            }
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (watch != null) {
                for (ByteBuffer item : items) {
                    watch.bytes(item.duplicate()); // before the SDK sees it: our verdict comes first
                }
            }
            inner.onNext(items);
        }

        @Override
        public void onError(Throwable error) {
            exchange.ended();
            inner.onError(error);
        }

        @Override
        public void onComplete() {
            exchange.ended();
            if (watch != null) {
                watch.end();
            }
            inner.onComplete();
        }
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
        return shared.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
        return shared.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
        return shared.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
        return shared.proxy();
    }

    @Override
    public SSLContext sslContext() {
        return shared.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
        return shared.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
        return shared.authenticator();
    }

    @Override
    public Version version() {
        return shared.version();
    }

    @Override
    public Optional<Executor> executor() {
        return shared.executor();
    }

    /** JDK 21+ {@code HttpClient.close()}: the shared client outlives every session. */
    public void close() {}

    /** JDK 21+ {@code HttpClient.shutdown()}: as {@link #close()}. */
    public void shutdown() {}

    /** Hands the SDK this view; the SDK's client settings (connect timeout) are the shared client's business. */
    private record FixedBuilder(ObservedHttpClient client) implements HttpClient.Builder {
        @Override
        public Builder cookieHandler(CookieHandler cookieHandler) {
            return this;
        }

        @Override
        public Builder connectTimeout(Duration duration) {
            return this;
        }

        @Override
        public Builder sslContext(SSLContext sslContext) {
            return this;
        }

        @Override
        public Builder sslParameters(SSLParameters sslParameters) {
            return this;
        }

        @Override
        public Builder executor(Executor executor) {
            return this;
        }

        @Override
        public Builder followRedirects(Redirect policy) {
            return this;
        }

        @Override
        public Builder version(Version version) {
            return this;
        }

        @Override
        public Builder priority(int priority) {
            return this;
        }

        @Override
        public Builder proxy(ProxySelector proxySelector) {
            return this;
        }

        @Override
        public Builder authenticator(Authenticator authenticator) {
            return this;
        }

        @Override
        public HttpClient build() {
            return client;
        }
    }
}
