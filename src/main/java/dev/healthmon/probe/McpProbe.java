package dev.healthmon.probe;

import dev.healthmon.registry.BackendRegistration;
import dev.healthmon.registry.CheckSettings;
import dev.healthmon.registry.McpSessionMode;
import dev.healthmon.registry.Transport;
import dev.healthmon.status.Observation;
import dev.healthmon.status.Reason;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpTransportSessionNotFoundException;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * The {@code mcp} check, for {@code streamable-http} and {@code sse} backends: the MCP
 * {@code initialize} handshake, then {@code ping} (or {@code tools/list}), through the official
 * MCP Java SDK ({@link McpSession}).
 *
 * <p>Sessions ({@code healthCheck.mcpSession}): {@code reuse} keeps one initialized session per
 * check lifetime ({@link #openSession}), so a check is one {@code ping}; when the server has
 * dropped the session (404, or the SDK's session-not-found) the check initializes a new one and
 * tries once more. A session is also dropped after a check that leaves it in doubt (timeout,
 * connection or protocol failure), so the next check starts clean. {@code fresh} initializes
 * and closes on every check.
 *
 * <p>Classification: success → HEALTHY, or DEGRADED/SLOW above {@code degradedLatency}; HTTP 429
 * → DEGRADED/RATE_LIMITED with Retry-After; 401/403 → the auth rule of {@link HttpAnswers}; any
 * other HTTP status ≥ 400 → HTTP_STATUS; a JSON-RPC error or a malformed answer → PROTOCOL; no
 * answer in time → TIMEOUT; network failures as for HTTP. Results carry the server's
 * {@link McpServerInfo} once {@code initialize} has succeeded.
 */
public final class McpProbe implements Probe {

    private static final int MAX_MESSAGE_CHARS = 300;

    private final HttpClient shared;
    private final SecretResolver secrets;
    private final TargetVetting vetting;

    public McpProbe(HttpClient shared, SecretResolver secrets, TargetVetting vetting) {
        this.shared = shared;
        this.secrets = secrets;
        this.vetting = vetting;
    }

    /**
     * Loads and initializes the SDK now (its JSON mapping, Reactor, both transports), so that the
     * first check of a backend is not charged for loading it (hundreds of milliseconds on a cold
     * JVM, against timeouts that may be as short as 10 ms). Sends nothing.
     */
    public void warmUp() {
        McpJsonMapper json = McpJsonDefaults.getMapper();
        try {
            McpSchema.JSONRPCRequest request = new McpSchema.JSONRPCRequest(McpSchema.JSONRPC_VERSION,
                    McpSchema.METHOD_INITIALIZE, "warm-up", new McpSchema.InitializeRequest("2025-06-18",
                    McpSchema.ClientCapabilities.builder().build(), new McpSchema.Implementation("healthmon", "warm-up")));
            McpSchema.deserializeJsonRpcMessage(json, json.writeValueAsString(request));
        } catch (IOException e) {
            throw new UncheckedIOException("the MCP SDK cannot map its own messages", e);
        }
        URI nowhere = URI.create("http://127.0.0.1:9/mcp");
        new McpSession(shared, nowhere, Transport.STREAMABLE_HTTP, Duration.ofSeconds(1)).close();
        new McpSession(shared, nowhere, Transport.SSE, Duration.ofSeconds(1)).close();
    }

    /** One check on a session of its own, closed afterwards (what {@code mcpSession: fresh} does every time). */
    @Override
    public CompletableFuture<ProbeResult> check(BackendRegistration registration, CheckSettings settings) {
        return run(registration, settings, new FreshSessions(settings));
    }

    @Override
    public ProbeSession openSession(CheckSettings settings) {
        if (settings.mcpSession() == McpSessionMode.FRESH) {
            return Probe.super.openSession(settings);
        }
        ReusedSession reused = new ReusedSession(settings);
        return new ProbeSession() {
            @Override
            public CompletableFuture<ProbeResult> check(BackendRegistration registration) {
                return run(registration, settings, reused);
            }

            @Override
            public void close() {
                reused.close();
            }
        };
    }

    /** Where a check gets its MCP session and what happens to it afterwards. */
    private interface Sessions {
        McpSession acquire(BackendRegistration registration);

        /** The server dropped {@code lost}: a new session in its place. */
        McpSession renew(McpSession lost, BackendRegistration registration);

        /** The check on {@code session} ended; {@code keep} says whether its session is still sound. */
        void release(McpSession session, boolean keep);
    }

    private final class FreshSessions implements Sessions {
        private final CheckSettings settings;

        FreshSessions(CheckSettings settings) {
            this.settings = settings;
        }

        @Override
        public McpSession acquire(BackendRegistration registration) {
            return new McpSession(shared, registration, settings);
        }

        @Override
        public McpSession renew(McpSession lost, BackendRegistration registration) {
            lost.close();
            return acquire(registration);
        }

        @Override
        public void release(McpSession session, boolean keep) {
            session.close();
        }
    }

    /** Threading: checks come one at a time, {@link #close()} from the monitor's thread; all under this lock. */
    private final class ReusedSession implements Sessions, AutoCloseable {
        private final CheckSettings settings;
        private McpSession current;
        private boolean closed;

        ReusedSession(CheckSettings settings) {
            this.settings = settings;
        }

        @Override
        public synchronized McpSession acquire(BackendRegistration registration) {
            if (current == null) {
                current = new McpSession(shared, registration, settings);
            }
            return current;
        }

        @Override
        public synchronized McpSession renew(McpSession lost, BackendRegistration registration) {
            lost.close();
            current = new McpSession(shared, registration, settings);
            return current;
        }

        @Override
        public synchronized void release(McpSession session, boolean keep) {
            if (closed || !keep || session != current) {
                session.close();
                if (session == current) {
                    current = null;
                }
            }
        }

        @Override
        public synchronized void close() {
            closed = true;
            if (current != null) {
                current.close();
                current = null;
            }
        }
    }

    private CompletableFuture<ProbeResult> run(BackendRegistration registration, CheckSettings settings, Sessions sessions) {
        long start = System.nanoTime();
        Optional<SecretResolver.Credential> credential = Optional.empty();
        if (registration.auth().isPresent()) {
            try {
                credential = Optional.of(secrets.credential(registration.auth().get(), registration.url()));
            } catch (SecretResolver.UnusableSecretException e) {
                return CompletableFuture.completedFuture(
                        ProbeResult.unhealthy(Duration.ZERO, Failure.of(FailureKind.INTERNAL, e.getMessage())));
            }
        }
        Optional<SecretResolver.Credential> header = credential;
        return vetting.vet(registration.url().getHost()).thenCompose(vetted -> vetted.failure().isPresent()
                ? CompletableFuture.completedFuture(ProbeResult.unhealthy(since(start), vetted.failure().get()))
                : exchange(registration, settings, sessions, header, start));
    }

    private CompletableFuture<ProbeResult> exchange(BackendRegistration registration, CheckSettings settings,
                                                    Sessions sessions, Optional<SecretResolver.Credential> credential,
                                                    long start) {
        McpSession first = sessions.acquire(registration);
        boolean wasInitialized = first.initialized();
        McpSession[] used = {first};
        Mono<ProbeResult> check = attempt(first, registration, settings, credential, start).onErrorResume(error -> {
            if (wasInitialized && sessionLost(error, first)) {
                McpSession renewed = sessions.renew(first, registration);
                used[0] = renewed;
                return attempt(renewed, registration, settings, credential, start)
                        .onErrorResume(again -> Mono.just(failure(again, renewed, registration, since(start))));
            }
            return Mono.just(failure(error, first, registration, since(start)));
        });
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        Disposable subscription = check.subscribe(result::complete, error -> result.complete(ProbeResult.unhealthy(
                since(start), Failure.of(FailureKind.INTERNAL, "mcp probe failed: " + error.getClass().getSimpleName()))));
        result.whenComplete((r, error) -> {
            if (result.isCancelled()) {
                subscription.dispose(); // timed out or stopped: abandon the exchange
            }
            sessions.release(used[0], r != null && keepsSession(r, used[0]));
        });
        return result;
    }

    private Mono<ProbeResult> attempt(McpSession session, BackendRegistration registration, CheckSettings settings,
                                      Optional<SecretResolver.Credential> credential, long start) {
        return session.exchange(settings.mcpMethod(), credential).map(init -> {
            Duration latency = since(start);
            Observation observation = latency.compareTo(settings.degradedLatency()) > 0
                    ? Observation.degraded(Reason.SLOW) : Observation.healthy();
            return ProbeResult.success(observation, latency).withMcp(McpSession.serverInfo(init));
        });
    }

    /** A session survives a success and an HTTP-level refusal on an initialized session; anything else leaves it in doubt. */
    private static boolean keepsSession(ProbeResult result, McpSession session) {
        if (result.failure().isEmpty()) {
            return true;
        }
        FailureKind kind = result.failure().get().kind();
        return session.initialized() && (kind == FailureKind.HTTP_STATUS || kind == FailureKind.AUTH)
                && result.failure().get().httpStatus().orElse(0) != 404;
    }

    private static boolean sessionLost(Throwable error, McpSession session) {
        return find(error, McpTransportSessionNotFoundException.class).isPresent()
                || session.lastRefusal().map(HttpResponse.ResponseInfo::statusCode).orElse(0) == 404;
    }

    private static ProbeResult failure(Throwable error, McpSession session, BackendRegistration registration, Duration latency) {
        ProbeResult result = classify(error, session, registration, latency);
        return session.serverInfo().map(result::withMcp).orElse(result);
    }

    private static ProbeResult classify(Throwable error, McpSession session, BackendRegistration registration,
                                        Duration latency) {
        Optional<HttpResponse.ResponseInfo> refusal = session.lastRefusal();
        if (refusal.isPresent()) {
            int status = refusal.get().statusCode();
            if (status == 429) {
                return HttpAnswers.rateLimited(latency, refusal.get().headers().firstValue("Retry-After"));
            }
            if (HttpAnswers.isAuthChallenge(status)) {
                return HttpAnswers.authChallenge(status, latency, registration.auth().isPresent());
            }
            return ProbeResult.unhealthy(latency, Failure.http(FailureKind.HTTP_STATUS, status,
                    "MCP endpoint answered HTTP " + status));
        }
        Optional<McpError> rpcError = find(error, McpError.class);
        if (rpcError.isPresent()) {
            McpSchema.JSONRPCResponse.JSONRPCError detail = rpcError.get().getJsonRpcError();
            String text = detail == null ? String.valueOf(rpcError.get().getMessage())
                    : "JSON-RPC error " + detail.code() + ": " + detail.message();
            return ProbeResult.unhealthy(latency, Failure.of(FailureKind.PROTOCOL, shorten(text)));
        }
        if (find(error, TimeoutException.class).isPresent() || find(error, HttpTimeoutException.class).isPresent()) {
            return ProbeResult.unhealthy(latency, Failure.of(FailureKind.TIMEOUT, "no MCP answer in time"));
        }
        Optional<IOException> io = find(error, IOException.class);
        if (io.isPresent()) {
            return ProbeResult.unhealthy(latency, Failures.classify(io.get()));
        }
        // The SDK's own complaints (malformed or unexpected answers, unsupported protocol version).
        Throwable root = rootCause(error);
        return ProbeResult.unhealthy(latency, Failure.of(FailureKind.PROTOCOL,
                shorten("malformed or unexpected MCP answer: " + root.getClass().getSimpleName()
                        + (root.getMessage() == null ? "" : ": " + root.getMessage()))));
    }

    private static <T extends Throwable> Optional<T> find(Throwable error, Class<T> type) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return Optional.of(type.cast(t));
            }
        }
        return Optional.empty();
    }

    private static Throwable rootCause(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }

    private static String shorten(String text) {
        return text.length() <= MAX_MESSAGE_CHARS ? text : text.substring(0, MAX_MESSAGE_CHARS) + "…";
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }
}
