package dev.healthmon.probe;

import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A view of the probes' one shared {@link HttpClient} for one MCP session, which remembers the
 * status line and headers of the last refused exchange (status ≥ 400).
 *
 * <p>Why: the MCP SDK's transports report a refused HTTP exchange as an exception whose only
 * trace of the status is its message text, and they drop the headers. The probe needs the status
 * (429 vs 401 vs 503, a dropped session's 404) and {@code Retry-After}. Going through one shared
 * client also keeps the cost of a session at a few objects: every JDK {@code HttpClient} owns a
 * selector thread, so one per backend would not scale.
 *
 * <p>Thread-safe. Closing it (JDK 21+) does not close the shared client.
 */
final class ObservedHttpClient extends HttpClient {

    private final HttpClient shared;
    private volatile HttpResponse.ResponseInfo lastRefusal;

    ObservedHttpClient(HttpClient shared) {
        this.shared = shared;
    }

    /** The last exchange answered with status ≥ 400 since {@link #forgetRefusal()}, if any. */
    Optional<HttpResponse.ResponseInfo> lastRefusal() {
        return Optional.ofNullable(lastRefusal);
    }

    void forgetRefusal() {
        lastRefusal = null;
    }

    /** A builder for the SDK's transport builders; its settings are ignored, {@code build()} returns this view. */
    HttpClient.Builder asBuilder() {
        return new FixedBuilder(this);
    }

    private <T> HttpResponse.BodyHandler<T> observing(HttpResponse.BodyHandler<T> handler) {
        return info -> {
            if (info.statusCode() >= 400) {
                lastRefusal = info;
            }
            return handler.apply(info);
        };
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        return shared.send(request, observing(handler));
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return shared.sendAsync(request, observing(handler));
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                            HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
        return shared.sendAsync(request, observing(handler), pushPromiseHandler);
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
