package dev.healthmon.probe;

import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.events.McpServerInfo;
import dev.healthmon.registration.BackendRegistration;
import dev.healthmon.registration.CheckSettings;
import dev.healthmon.registration.McpMethod;
import dev.healthmon.registration.McpSessionMode;
import dev.healthmon.registration.Transport;
import dev.healthmon.status.Observation;
import dev.healthmon.status.Reason;
import dev.healthmon.target.IpLiteral;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpTransportSessionNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;

/**
 * The {@code mcp} check, for {@code streamable-http} and {@code sse} backends: the MCP
 * {@code initialize} handshake, then {@code ping} (or {@code tools/list}), through the official
 * MCP Java SDK ({@link McpSession}); the {@code ping} of an initialized streamable-HTTP session goes
 * through healthmon's own HTTP client instead when the probe has one ({@link McpLeanPing},
 * docs/design.md §10.26), and so does a whole fresh-session {@code ping} check of a streamable-HTTP
 * server ({@link McpLeanFresh}, §10.28), classified the same way.
 *
 * <p>Sessions ({@code healthCheck.mcpSession}): {@code reuse} keeps one initialized session per
 * check lifetime ({@link #openSession}), so a check is one {@code ping}; when the server has
 * dropped the session ({@link McpSession.Refusal#sessionGone}: 404, or 400 with its id) the check
 * initializes a new one and tries once more. A session is also dropped after a check that leaves it in doubt (timeout,
 * connection or protocol failure), so the next check starts clean. {@code fresh} initializes
 * and closes on every check.
 *
 * <p>Bounds: every request of a check carries the time left to the check's deadline as its HTTP
 * timeout and the whole exchange ends by the deadline; cancelling the returned future (the
 * monitor's timeout guard, a stop) cancels the vetting or the exchange and gives the session back
 * in doubt, which closes its connections. A closed {@link ProbeSession} sends nothing more.
 * Checks connect to the vetted address with the name in {@code Host} ({@link HostPinning}), so a
 * second DNS answer cannot change the target; {@code https://} checks of a name go through that
 * name's own client ({@link PinnedTlsClients}), which sends the name as SNI and checks the
 * certificate against the name only, never against the address.
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
    private final Optional<PlainHttpClient> lean;
    private final PinnedTlsClients pinnedTls;
    private final SecretResolver secrets;
    private final TargetVetting vetting;

    /**
     * Over {@code shared}; {@code https://} names get clients of their own trusting what the JVM trusts.
     *
     * @param lean the client for the lean ping of initialized streamable-HTTP sessions (its TLS trusting
     *             what the JVM trusts, as {@code shared} does); empty: every request goes through the SDK
     */
    public McpProbe(HttpClient shared, Optional<PlainHttpClient> lean, SecretResolver secrets,
                    TargetVetting vetting) {
        this(shared, lean, new PinnedTlsClients(shared), secrets, vetting);
    }

    /**
     * As above, {@code https://} names trusting what {@code trust} trusts (tests: their own certificates);
     * {@code lean}'s TLS must trust the same.
     */
    McpProbe(HttpClient shared, SSLContext trust, Optional<PlainHttpClient> lean, SecretResolver secrets,
             TargetVetting vetting) {
        this(shared, lean, new PinnedTlsClients(shared, trust), secrets, vetting);
    }

    private McpProbe(HttpClient shared, Optional<PlainHttpClient> lean, PinnedTlsClients pinnedTls,
                     SecretResolver secrets, TargetVetting vetting) {
        this.shared = shared;
        this.lean = lean;
        this.pinnedTls = pinnedTls;
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
                    McpSchema.ClientCapabilities.builder().build(),
                    new McpSchema.Implementation("healthmon", "warm-up")));
            McpSchema.deserializeJsonRpcMessage(json, json.writeValueAsString(request));
        } catch (IOException e) {
            throw new UncheckedIOException("the MCP SDK cannot map its own messages", e);
        }
        URI nowhere = URI.create("http://127.0.0.1:9/mcp");
        new McpSession(shared, lean, nowhere, Transport.STREAMABLE_HTTP, Duration.ofSeconds(1)).close();
        new McpSession(shared, lean, nowhere, Transport.SSE, Duration.ofSeconds(1)).close();
    }

    /** One check on a session of its own, closed afterwards (what {@code mcpSession: fresh} does every time). */
    @Override
    public CompletableFuture<ProbeResult> check(BackendRegistration registration, CheckSettings settings) {
        return run(registration, settings, new FreshSessions(settings));
    }

    @Override
    public ProbeSession openSession(CheckSettings settings) {
        Sessions sessions = settings.mcpSession() == McpSessionMode.FRESH
                ? new FreshSessions(settings) : new ReusedSession(settings);
        return new ProbeSession() {
            @Override
            public CompletableFuture<ProbeResult> check(BackendRegistration registration) {
                return run(registration, settings, sessions);
            }

            @Override
            public void close() {
                sessions.close();
            }
        };
    }

    /**
     * Where a check gets its MCP session, and what happens to it afterwards. A check holds its
     * session through a {@link Lease}, which it gives back exactly once: a check that gave its
     * lease back (it ended, or was cancelled) can neither renew it nor close any session but its own.
     *
     * <p>Threading: checks and {@link #close()} come from any thread; all under this object's lock.
     */
    private abstract class Sessions implements AutoCloseable {
        final CheckSettings settings;
        private boolean closed;

        Sessions(CheckSettings settings) {
            this.settings = settings;
        }

        /** A lease for a new check, or empty once {@link #close()} has run: a stopped backend gets no request. */
        final synchronized Optional<Lease> acquire(BackendRegistration registration) {
            return closed ? Optional.empty() : Optional.of(lease(registration));
        }

        /** False once {@link #close()} has run: a stopped backend gets no request. */
        final synchronized boolean open() {
            return !closed;
        }

        /** The server dropped the lease's session: a new one in its place, unless the check has ended meanwhile. */
        final synchronized Optional<McpSession> renew(Lease lease, BackendRegistration registration) {
            if (closed || lease.returned) {
                return Optional.empty();
            }
            McpSession lost = lease.session;
            lost.abandon();
            lease.session = newSession(registration);
            replaced(lost, lease.session);
            return Optional.of(lease.session);
        }

        /** The check on the lease ended; {@code keep}: its session is still sound. Only the first call counts. */
        final synchronized void release(Lease lease, boolean keep) {
            if (lease.returned) {
                return;
            }
            lease.returned = true;
            giveBack(lease.session, keep && !closed);
        }

        @Override
        public final synchronized void close() {
            closed = true;
            closeKept();
        }

        final McpSession newSession(BackendRegistration registration) {
            return new McpSession(clientFor(registration.url()), lean, registration, settings);
        }

        abstract Lease lease(BackendRegistration registration);

        abstract void replaced(McpSession lost, McpSession renewed);

        abstract void giveBack(McpSession session, boolean sound);

        abstract void closeKept();
    }

    /** A check's hold on one session: changed under its {@link Sessions}' lock, its session read from any thread. */
    private static final class Lease {
        private volatile McpSession session;
        private boolean returned;

        Lease(McpSession session) {
            this.session = session;
        }

        McpSession session() {
            return session;
        }
    }

    /** A new session for every check, closed when the check ends (politely when it ended sound). */
    private final class FreshSessions extends Sessions {
        FreshSessions(CheckSettings settings) {
            super(settings);
        }

        @Override
        Lease lease(BackendRegistration registration) {
            return new Lease(newSession(registration));
        }

        @Override
        void replaced(McpSession lost, McpSession renewed) {}

        @Override
        void giveBack(McpSession session, boolean sound) {
            if (sound) {
                session.close();
            } else {
                session.abandon();
            }
        }

        @Override
        void closeKept() {}
    }

    /**
     * One session kept across the checks of a check lifetime. A session is kept only while no
     * check holds it or the check that holds it gave it back sound; a check that never gave its
     * lease back (abandoned) loses the session to the next check, which starts a new one, so an
     * abandoned exchange can never share a session with, or close the session of, a later check.
     */
    private final class ReusedSession extends Sessions {
        private McpSession current;
        private Lease holder;

        ReusedSession(CheckSettings settings) {
            super(settings);
        }

        @Override
        Lease lease(BackendRegistration registration) {
            if (holder != null && !holder.returned && current != null) {
                current.abandon(); // still held by a check that never ended: in doubt
                current = null;
            }
            if (current == null) {
                current = newSession(registration);
            }
            holder = new Lease(current);
            return holder;
        }

        @Override
        void replaced(McpSession lost, McpSession renewed) {
            if (current == lost) {
                current = renewed;
            } else {
                renewed.abandon(); // the lease was overtaken by a newer check: its renewal is not kept
            }
        }

        @Override
        void giveBack(McpSession session, boolean sound) {
            if (session != current) {
                session.abandon(); // a session that was already replaced: never the current one
            } else if (!sound) {
                session.abandon();
                current = null;
            }
        }

        @Override
        void closeKept() {
            if (current != null) {
                if (holder != null && !holder.returned) {
                    current.abandon(); // a check is still on it: stop it
                } else {
                    current.close();
                }
                current = null;
            }
        }
    }

    private CompletableFuture<ProbeResult> run(BackendRegistration registration, CheckSettings settings,
                                               Sessions sessions) {
        long start = System.nanoTime();
        long deadline = start + settings.timeout().toNanos();
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
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        CompletableFuture<TargetVetting.Vetted> vetted = vetting.vet(registration.url().getHost(), settings.timeout());
        result.whenComplete((r, error) -> vetted.cancel(true)); // a cancelled check stops waiting for DNS
        vetted.whenComplete((target, error) -> {
            if (result.isDone()) {
                return; // cancelled while the name was being vetted: nothing is sent
            }
            if (error != null || target.failure().isPresent() || target.address().isEmpty()) {
                result.complete(ProbeResult.unhealthy(since(start), target != null && target.failure().isPresent()
                        ? target.failure().get() : Failure.of(FailureKind.INTERNAL, "target vetting failed")));
                return;
            }
            if (namesItsHost(registration.url()) && !HostPinning.available()) {
                result.complete(ProbeResult.unhealthy(since(start), Failure.of(FailureKind.INTERNAL,
                        "cannot connect to the vetted address of an MCP name: " + HostPinning.HOW_TO_ENABLE)));
                return;
            }
            if (lean.isPresent() && sessions instanceof FreshSessions && settings.mcpMethod() == McpMethod.PING
                    && registration.transport() == Transport.STREAMABLE_HTTP) {
                leanFresh(lean.get(), registration, settings, sessions, header, target.address().get(), start,
                        result);
            } else {
                exchange(registration, settings, sessions, header, target.address().get(), start, deadline, result);
            }
        });
        return result;
    }

    /**
     * A fresh-session ping check without the SDK ({@link McpLeanFresh}, docs/design.md §10.28), classified as
     * {@link #exchange} classifies the SDK's. Cancelling {@code result} abandons the exchange in flight (its
     * connection closed) and sends nothing more; a check that ended sound closes its session politely.
     */
    private void leanFresh(PlainHttpClient client, BackendRegistration registration, CheckSettings settings,
                           Sessions sessions, Optional<SecretResolver.Credential> credential, InetAddress address,
                           long start, CompletableFuture<ProbeResult> result) {
        if (!sessions.open()) {
            result.complete(ProbeResult.unhealthy(since(start), Failure.of(FailureKind.INTERNAL,
                    "check stopped: MCP session closed")));
            return;
        }
        McpLeanFresh.Run run = new McpLeanFresh(client, registration.url(), settings.timeout())
                .start(credential, address, start + settings.timeout().toNanos());
        result.whenComplete((r, error) -> run.abandon()); // a cancelled check stops its exchange; no-op once ended
        run.done().whenComplete((init, error) -> {
            Duration latency = since(start);
            ProbeResult outcome;
            if (error == null) {
                outcome = success(latency, settings).withMcp(McpSession.serverInfo(init));
            } else {
                Throwable cause = McpLeanPing.unwrap(error);
                ProbeResult failed = classify(cause, run.refusal(), registration, latency);
                // The session is gone, and the SDK forgets its initialize result with it: so do we.
                boolean gone = run.refusal().map(McpSession.Refusal::sessionGone).orElse(false);
                outcome = gone ? failed
                        : run.init().map(McpSession::serverInfo).map(failed::withMcp).orElse(failed);
            }
            if (!result.isDone() && sound(outcome, run.init().isPresent(), run.refusal())) {
                run.close();
            }
            result.complete(outcome);
        });
    }

    /**
     * Runs the exchange and completes {@code result} with its classified outcome. Cancelling
     * {@code result} disposes the exchange and gives its session back in doubt, which cancels its
     * open HTTP exchanges (closing their connections) and stops it from sending anything more.
     */
    private void exchange(BackendRegistration registration, CheckSettings settings, Sessions sessions,
                          Optional<SecretResolver.Credential> credential, InetAddress address, long start,
                          long deadline, CompletableFuture<ProbeResult> result) {
        Optional<Lease> acquired = sessions.acquire(registration);
        if (acquired.isEmpty()) {
            result.complete(ProbeResult.unhealthy(since(start), Failure.of(FailureKind.INTERNAL,
                    "check stopped: MCP session closed")));
            return;
        }
        Lease lease = acquired.get();
        McpSession first = lease.session();
        boolean wasInitialized = first.initialized();
        Disposable.Swap subscription = Disposables.swap();
        // Registered before anything is sent: a check cancelled from now on gives its lease back in doubt at once.
        result.whenComplete((r, error) -> {
            subscription.dispose();
            sessions.release(lease, r != null && keepsSession(r, lease.session()));
        });
        Mono<ProbeResult> check = attempt(first, registration, settings, credential, address, start, deadline)
                .onErrorResume(error -> {
                    if (!wasInitialized || !sessionLost(error, first)) {
                        return Mono.just(failure(error, first, registration, since(start)));
                    }
                    Optional<McpSession> renewed = sessions.renew(lease, registration);
                    if (renewed.isEmpty()) {
                        return Mono.just(failure(error, first, registration, since(start))); // ended meanwhile
                    }
                    return attempt(renewed.get(), registration, settings, credential, address, start, deadline)
                            .onErrorResume(again -> Mono.just(
                                    failure(again, renewed.get(), registration, since(start))));
                });
        // The lease goes back before the result is seen: a caller that checks again as soon as it has the result
        // (a benchmark, a test) must find the session free, not still held by this check and so in doubt.
        subscription.update(check.subscribe(r -> {
            sessions.release(lease, keepsSession(r, lease.session()));
            result.complete(r);
        }, error -> result.complete(ProbeResult.unhealthy(since(start),
                Failure.of(FailureKind.INTERNAL, "mcp probe failed: " + error.getClass().getSimpleName())))));
    }

    private Mono<ProbeResult> attempt(McpSession session, BackendRegistration registration, CheckSettings settings,
                                      Optional<SecretResolver.Credential> credential, InetAddress address, long start,
                                      long deadline) {
        return session.exchange(settings.mcpMethod(), credential, address, deadline)
                .map(init -> success(since(start), settings).withMcp(McpSession.serverInfo(init)));
    }

    private static ProbeResult success(Duration latency, CheckSettings settings) {
        Observation observation = latency.compareTo(settings.degradedLatency()) > 0
                ? Observation.degraded(Reason.SLOW) : Observation.healthy();
        return ProbeResult.success(observation, latency);
    }

    /** A URL with a name, not an IP literal: reaching the vetted address needs the {@code Host} header. */
    private static boolean namesItsHost(URI url) {
        String host = url.getHost();
        String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        return !IpLiteral.looksLiteral(bare);
    }

    /**
     * The HTTP client of a session to {@code url}: for an {@code https://} name, the name's own client
     * (its certificate checked against the name although the connection goes to the vetted address);
     * otherwise the shared one.
     */
    private HttpClient clientFor(URI url) {
        return "https".equalsIgnoreCase(url.getScheme()) && namesItsHost(url)
                ? pinnedTls.client(url.getHost(), ObservedHttpClient.portOf(url)) : shared;
    }

    /**
     * A session survives a success and an HTTP-level refusal on an initialized session; anything else leaves it in
     * doubt.
     */
    private static boolean keepsSession(ProbeResult result, McpSession session) {
        return sound(result, session.initialized(), session.lastRefusal());
    }

    /**
     * Whether a check leaves its session sound: a success, or an HTTP-level refusal once initialized that does not
     * say the session is gone ({@link McpSession.Refusal#sessionGone}).
     */
    private static boolean sound(ProbeResult result, boolean initialized, Optional<McpSession.Refusal> refusal) {
        if (result.failure().isEmpty()) {
            return true;
        }
        FailureKind kind = result.failure().get().kind();
        return initialized && (kind == FailureKind.HTTP_STATUS || kind == FailureKind.AUTH)
                && !refusal.map(McpSession.Refusal::sessionGone).orElse(false);
    }

    private static boolean sessionLost(Throwable error, McpSession session) {
        return find(error, McpTransportSessionNotFoundException.class).isPresent()
                || session.lastRefusal().map(McpSession.Refusal::sessionGone).orElse(false);
    }

    private static ProbeResult failure(Throwable error, McpSession session, BackendRegistration registration,
            Duration latency) {
        Optional<McpSession.Refusal> refusal = session.lastRefusal();
        ProbeResult result = classify(error, refusal, registration, latency);
        if (refusal.map(McpSession.Refusal::sessionGone).orElse(false)) {
            return result; // the session is gone, and the SDK forgets its initialize result with it
        }
        return session.serverInfo().map(result::withMcp).orElse(result);
    }

    /** One classification for the SDK's failures and the lean paths', which fail with the same exception types. */
    private static ProbeResult classify(Throwable error, Optional<McpSession.Refusal> refusal,
                                        BackendRegistration registration, Duration latency) {
        if (refusal.isPresent()) {
            int status = refusal.get().status();
            if (status == 429) {
                return HttpAnswers.rateLimited(latency, refusal.get().retryAfter());
            }
            if (HttpAnswers.isAuthChallenge(status)) {
                return HttpAnswers.authChallenge(status, latency, registration.auth().isPresent());
            }
            return ProbeResult.unhealthy(latency, Failure.http(FailureKind.HTTP_STATUS, status,
                    "MCP endpoint answered HTTP " + status));
        }
        Optional<McpSession.MalformedAnswerException> malformed =
                find(error, McpSession.MalformedAnswerException.class);
        if (malformed.isPresent()) {
            return ProbeResult.unhealthy(latency, Failure.of(FailureKind.PROTOCOL,
                    "malformed MCP answer: " + malformed.get().getMessage()));
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
