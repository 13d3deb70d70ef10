package dev.healthmon.probe;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.ProtocolVersions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A check on a fresh streamable-HTTP session without the MCP SDK (docs/design.md §10.28), through
 * healthmon's own HTTP client to the vetted address, as {@link McpLeanPing} sends the ping of a kept
 * session: {@code initialize} (our latest protocol version, no capabilities, client {@code healthmon}),
 * its answer read as JSON or as an event stream, the negotiated version checked against the versions
 * the SDK supports, the session's {@code Mcp-Session-Id} taken when the server names one,
 * {@code notifications/initialized}, {@code ping}; then, if the check ended sound, a {@code DELETE}
 * of the session, not waited for and its answer ignored (a {@code 405}: the server ends no sessions).
 *
 * <p>Outcomes are what the SDK path fails with, so that one classification ({@link McpProbe})
 * serves both: a refusal (status ≥ 400) as {@link McpLeanPing.Refused}, read back through
 * {@link Run#refusal()}; a JSON-RPC error, and a protocol version we do not support (the SDK's own
 * {@code -32602 Unsupported protocol version}), as {@link McpError}; a 2xx answer that is not the
 * response as {@link McpSession.MalformedAnswerException}; no answer in time as
 * {@link HttpTimeoutException} (or, for a 2xx answer that carried no response, a
 * {@link TimeoutException} at the deadline: the SDK would wait for the response); network and TLS
 * failures as the client's {@link IOException}s. Every request carries the time left to the check's
 * deadline and reads at most {@link McpSession#MAX_RESPONSE_BYTES} of a JSON answer, or per line and event of an
 * event stream (as the SDK).
 *
 * <p>Threading: {@link #start} from any thread; each next request is sent from the client's selector
 * thread when the previous answer completes; {@link Run#abandon()} from any thread; {@link Run#close()}
 * from any thread once {@link Run#done()} completed (it reads the session, final by then, and sends
 * without waiting).
 */
final class McpLeanFresh {

    /** The versions the SDK's streamable-HTTP transport accepts (1.1.5), oldest first; we offer the last. */
    static final List<String> SUPPORTED_VERSIONS = List.of(ProtocolVersions.MCP_2024_11_05,
            ProtocolVersions.MCP_2025_03_26, ProtocolVersions.MCP_2025_06_18, ProtocolVersions.MCP_2025_11_25);
    /** The {@code initialize} request's params, as the SDK's client builds them: mapped once. */
    private static final String INITIALIZE_PARAMS = initializeParams();
    private static final String INITIALIZED =
            "{\"jsonrpc\":\"2.0\",\"method\":\"" + McpSchema.METHOD_NOTIFICATION_INITIALIZED + "\"}";
    private static final AtomicLong IDS = new AtomicLong();

    private final PlainHttpClient client;
    private final URI url;
    private final McpLeanPing ping;
    private final Duration timeout;

    /** @param timeout the check's timeout: bounds the {@code DELETE}, which runs after the check's deadline */
    McpLeanFresh(PlainHttpClient client, URI url, Duration timeout) {
        this.client = client;
        this.url = url;
        this.ping = new McpLeanPing(client, url, McpSession.USER_AGENT);
        this.timeout = timeout;
    }

    private static String initializeParams() {
        McpJsonMapper json = McpJsonDefaults.getMapper();
        try {
            return json.writeValueAsString(new McpSchema.InitializeRequest(
                    SUPPORTED_VERSIONS.get(SUPPORTED_VERSIONS.size() - 1),
                    McpSchema.ClientCapabilities.builder().build(),
                    new McpSchema.Implementation(McpSession.CLIENT_NAME, McpSession.CLIENT_VERSION)));
        } catch (IOException e) {
            throw new UncheckedIOException("the MCP SDK cannot map its own initialize request", e);
        }
    }

    /** Sends {@code initialize} now and the rest as each answer comes; see {@link Run}. */
    Run start(Optional<SecretResolver.Credential> credential, InetAddress address, long deadlineNanos) {
        Run run = new Run(credential, address, deadlineNanos);
        run.initialize();
        return run;
    }

    /**
     * One check's exchanges. {@link #done()} completes with the server's {@code initialize} result once
     * the ping has been answered, or exceptionally with what the check failed with (see the class): on
     * the client's selector thread as a rule, on the JDK's delay thread for a 2xx answer without the
     * response (it fails at the deadline), and on the thread that called {@link #start} or
     * {@link #abandon()} when a request was not sent at all (deadline passed, check abandoned). What it
     * read ({@link #init()}, {@link #refusal()}) is final once it completed.
     */
    final class Run {
        private final Optional<SecretResolver.Credential> credential;
        private final InetSocketAddress target;
        private final long deadline;
        private final CompletableFuture<McpSchema.InitializeResult> done = new CompletableFuture<>();
        private volatile McpSchema.InitializeResult init;
        private volatile McpLeanPing.SessionHeaders session = new McpLeanPing.SessionHeaders(
                Optional.empty(), Optional.empty());
        private volatile McpSession.Refusal refusal;
        /** The exchange in flight: cancelled (its connection closed) when the check is abandoned. */
        private volatile CompletableFuture<?> current;
        private volatile boolean abandoned;

        private Run(Optional<SecretResolver.Credential> credential, InetAddress address, long deadline) {
            this.credential = credential;
            this.target = new InetSocketAddress(address, ObservedHttpClient.portOf(url));
            this.deadline = deadline;
        }

        CompletableFuture<McpSchema.InitializeResult> done() {
            return done;
        }

        /** The server's {@code initialize} result, once it came and was accepted. */
        Optional<McpSchema.InitializeResult> init() {
            return Optional.ofNullable(init);
        }

        /** The answer with status ≥ 400 that ended the check, if one did. */
        Optional<McpSession.Refusal> refusal() {
            return Optional.ofNullable(refusal);
        }

        /**
         * Ends the check where it is: the exchange in flight is cancelled (its connection closed) and nothing more is
         * sent, not even the {@code DELETE}. Idempotent; harmless once {@link #done()} completed.
         */
        void abandon() {
            abandoned = true;
            CompletableFuture<?> exchange = current;
            if (exchange != null) {
                exchange.cancel(true);
            }
        }

        /**
         * Ends the session politely, without waiting: a {@code DELETE} with its id (none if the server named no
         * session), within the check's timeout, its answer ignored.
         */
        void close() {
            if (abandoned || session.sessionId().isEmpty()) {
                return;
            }
            client.send(McpLeanPing.route(url, target),
                    McpLeanPing.delete(url, McpSession.USER_AGENT, session, credential), timeout, 0);
        }

        private void initialize() {
            String id = "healthmon-init-" + IDS.incrementAndGet();
            String request = "{\"jsonrpc\":\"2.0\",\"id\":\"" + id + "\",\"method\":\""
                    + McpSchema.METHOD_INITIALIZE + "\",\"params\":" + INITIALIZE_PARAMS + "}";
            McpLeanPing.Answer answer = new McpLeanPing.Answer(Optional.of(id));
            exchange(request, answer).thenAccept(response -> initialized(answer, answer.verdict(response)))
                    .exceptionally(this::fail);
        }

        /** The answer to {@code initialize} came: check it, keep the session it names, and go on. */
        private void initialized(McpLeanPing.Answer answer, McpSchema.JSONRPCResponse response) {
            if (response == null) {
                failAtTheDeadline(); // as the SDK: no response yet, so the check waits for one
                return;
            }
            McpSchema.InitializeResult result;
            try {
                result = McpJsonDefaults.getMapper().convertValue(response.result(), McpSchema.InitializeResult.class);
            } catch (RuntimeException e) {
                throw new McpSession.MalformedAnswerException("the initialize result is not one ("
                        + e.getClass().getSimpleName() + ")");
            }
            if (result == null || !SUPPORTED_VERSIONS.contains(result.protocolVersion())) {
                // What the SDK fails with, so that both paths report it alike.
                throw McpError.builder(McpSchema.ErrorCodes.INVALID_PARAMS).message("Unsupported protocol version")
                        .data("Unsupported protocol version from the server: "
                                + (result == null ? null : result.protocolVersion())).build();
            }
            McpLeanPing.SessionHeaders headers = new McpLeanPing.SessionHeaders(answer.sessionId(),
                    Optional.of(result.protocolVersion()));
            if (!headers.sendable()) {
                // A session id a header cannot carry as it is (the spec asks for visible ASCII) would let the server
                // write our next request.
                throw new McpSession.MalformedAnswerException("the Mcp-Session-Id is not visible ASCII");
            }
            session = headers;
            init = result;
            McpLeanPing.Answer ack = new McpLeanPing.Answer(Optional.empty());
            exchange(INITIALIZED, ack).thenAccept(acked -> {
                ack.verdict(acked);
                ping();
            }).exceptionally(this::fail);
        }

        private void ping() {
            if (abandoned) {
                return;
            }
            CompletableFuture<Void> pinged = ping.send(session, credential, target.getAddress(), deadline);
            current = pinged;
            if (abandoned) {
                pinged.cancel(true); // abandon() ran while the ping was being handed over
            }
            pinged.thenRun(() -> done.complete(init)).exceptionally(this::fail);
        }

        /** Sends one POST of the check, unless the check was abandoned or its deadline has passed. */
        private CompletableFuture<PlainHttpClient.Response> exchange(String json, McpLeanPing.Answer answer) {
            long left = deadline - System.nanoTime();
            if (abandoned) {
                return CompletableFuture.failedFuture(new IOException("MCP check abandoned: request not sent"));
            }
            if (left <= 0) {
                return CompletableFuture.failedFuture(
                        new HttpTimeoutException("the check's deadline has passed: request not sent"));
            }
            CompletableFuture<PlainHttpClient.Response> sent = client.send(McpLeanPing.route(url, target),
                    McpLeanPing.post(url, McpSession.USER_AGENT, json, session, credential), Duration.ofNanos(left),
                    McpSession.MAX_RESPONSE_BYTES, answer);
            current = sent;
            if (abandoned) {
                sent.cancel(true); // abandon() ran while the request was being handed over
            }
            return sent;
        }

        private Void fail(Throwable error) {
            Throwable cause = McpLeanPing.unwrap(error);
            if (cause instanceof McpLeanPing.Refused refused) {
                // Only initialize goes without the session's id: the session is set before anything else is sent.
                refusal = new McpSession.Refusal(refused.status(), refused.retryAfter(),
                        session.sessionId().isPresent());
            }
            if (cause instanceof McpLeanPing.Unanswered) {
                failAtTheDeadline();
            } else {
                done.completeExceptionally(cause);
            }
            return null;
        }

        /** A 2xx answer without the response: nothing more comes; the check ends as TIMEOUT at its deadline. */
        private void failAtTheDeadline() {
            long left = Math.max(0, deadline - System.nanoTime());
            // Run on the JDK's delay thread itself: the default executor on 2 cores would start a thread per task.
            CompletableFuture.delayedExecutor(left, TimeUnit.NANOSECONDS, Runnable::run).execute(
                    () -> done.completeExceptionally(new TimeoutException("no MCP response in time")));
        }
    }
}
