package dev.healthmon.probe;

import dev.healthmon.registry.BackendRegistration;
import dev.healthmon.registry.CheckSettings;
import dev.healthmon.registry.HttpTarget;
import dev.healthmon.status.Observation;
import dev.healthmon.status.Reason;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The {@code http} check: {@code GET url + path}, classified by status (DESIGN.md §2). The host is
 * first resolved and vetted against the target policy ({@link TargetVetting}); then the request
 * goes out — {@code http://} through the shared {@link PlainHttpClient} (a health check's fixed
 * GET at a fraction of the JDK client's cost) to the vetted address itself, {@code https://}
 * through one shared JDK {@link HttpClient} (TLS), which resolves the name again: a name whose
 * DNS answer changes between the two lookups (rebinding) can reach an address the policy refuses
 * over https, never over http. No thread waits on a backend; redirects are not followed;
 * at most {@link #BODY_CAP_BYTES} of the body are read.
 *
 * <p>Classification, first match wins: 429 → DEGRADED/RATE_LIMITED (with Retry-After);
 * a status in {@code expectStatus} → HEALTHY, or DEGRADED/SLOW when slower than
 * {@code degradedLatency}; 401/403 → HEALTHY when the registration has {@code auth} (the backend
 * is up and asks for credentials), otherwise UNAUTHENTICATED; any other status → UNHEALTHY with
 * HTTP_STATUS; I/O errors → UNHEALTHY with TIMEOUT, CONNECTION_REFUSED, DNS, TLS or PROTOCOL.
 */
public final class HttpProbe implements Probe {

    public static final int BODY_CAP_BYTES = 64 * 1024;
    private static final String USER_AGENT = "healthmon/0.1";

    private final PlainHttpClient plain;
    private final HttpClient tls;
    private final SecretResolver secrets;
    private final TargetVetting vetting;

    public HttpProbe(PlainHttpClient plain, HttpClient tls, SecretResolver secrets, TargetVetting vetting) {
        this.plain = plain;
        this.tls = tls;
        this.secrets = secrets;
        this.vetting = vetting;
    }

    /**
     * The client for {@code https://} checks, with the settings every probe needs: no redirects, HTTP/1.1 (what health endpoints
     * speak). Dependent tasks run on the client's own selector thread instead of hopping to a pool:
     * what runs there (classify, publish to a queue, schedule) is short and never blocks, and the
     * hop cost about 15 % of a check's CPU (ProbeCostBench: 0.93 → 0.78 ms/check).
     */
    public static HttpClient defaultClient() {
        return HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .executor(Runnable::run)
                .build();
    }

    @Override
    public CompletableFuture<ProbeResult> check(BackendRegistration registration, CheckSettings settings) {
        long start = System.nanoTime();
        Optional<SecretResolver.Credential> credential = Optional.empty();
        if (registration.auth().isPresent()) {
            try {
                credential = Optional.of(secrets.credential(registration.auth().get()));
            } catch (SecretResolver.UnusableSecretException e) {
                return internalFailure(e.getMessage());
            }
        }
        URI target = HttpTarget.of(registration.url(), settings.path());
        return "http".equalsIgnoreCase(target.getScheme())
                ? checkPlain(target, credential, registration, settings, start)
                : checkTls(target, credential, registration, settings, start);
    }

    private CompletableFuture<ProbeResult> checkPlain(URI target, Optional<SecretResolver.Credential> credential,
                                                      BackendRegistration registration, CheckSettings settings, long start) {
        byte[] request = requestHead(target, credential);
        int port = target.getPort() == -1 ? 80 : target.getPort();
        ExchangeLink exchange = new ExchangeLink();
        CompletableFuture<ProbeResult> result = vetting.vet(target.getHost()).thenCompose(vetted -> {
            if (vetted.failure().isPresent()) {
                return CompletableFuture.completedFuture(
                        ProbeResult.unhealthy(Duration.ofNanos(System.nanoTime() - start), vetted.failure().get()));
            }
            CompletableFuture<PlainHttpClient.Response> sent = plain.send(
                    new InetSocketAddress(vetted.address().orElseThrow(), port), request, settings.timeout(), BODY_CAP_BYTES);
            exchange.set(sent);
            return sent.handle((response, error) -> {
                Duration latency = Duration.ofNanos(System.nanoTime() - start);
                return error != null
                        ? ProbeResult.unhealthy(latency, Failures.classify(error))
                        : classify(response.status(), Optional.ofNullable(response.retryAfter()), latency, registration, settings);
            });
        });
        cancelWith(result, exchange);
        return result;
    }

    /**
     * The request head: origin-form target, {@code Host}, and the credential if any. Its parts
     * cannot smuggle a line break: a URI's raw path and query have none, a header name is a
     * token (RegistrationCodec), and {@link SecretResolver} refuses values with control characters.
     */
    static byte[] requestHead(URI target, Optional<SecretResolver.Credential> credential) {
        if (!isAscii(target.getRawPath()) || !isAscii(target.getRawQuery())) {
            target = URI.create(target.toASCIIString()); // percent-encodes what the registration left raw
        }
        String path = target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
        StringBuilder head = new StringBuilder(160).append("GET ").append(path);
        if (target.getRawQuery() != null) {
            head.append('?').append(target.getRawQuery());
        }
        head.append(" HTTP/1.1\r\nHost: ").append(target.getHost());
        if (target.getPort() != -1) {
            head.append(':').append(target.getPort());
        }
        head.append("\r\nUser-Agent: ").append(USER_AGENT).append("\r\nAccept: */*\r\n");
        credential.ifPresent(c -> head.append(c.header()).append(": ").append(c.value()).append("\r\n"));
        return head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static boolean isAscii(String s) {
        if (s != null) {
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) > 0x7f) {
                    return false;
                }
            }
        }
        return true;
    }

    private CompletableFuture<ProbeResult> checkTls(URI target, Optional<SecretResolver.Credential> credential,
                                                    BackendRegistration registration, CheckSettings settings, long start) {
        HttpRequest.Builder request = HttpRequest.newBuilder(target)
                .timeout(settings.timeout())
                .header("User-Agent", USER_AGENT)
                .GET();
        credential.ifPresent(c -> request.header(c.header(), c.value()));
        HttpRequest built = request.build();
        ExchangeLink exchange = new ExchangeLink();
        CompletableFuture<ProbeResult> result = vetting.vet(registration.url().getHost()).thenCompose(vetted -> {
            if (vetted.failure().isPresent()) {
                return CompletableFuture.completedFuture(
                        ProbeResult.unhealthy(Duration.ofNanos(System.nanoTime() - start), vetted.failure().get()));
            }
            CompletableFuture<HttpResponse<Long>> sent = tls.sendAsync(built, CappedBody.handler(BODY_CAP_BYTES));
            exchange.set(sent);
            return sent.handle((response, error) -> {
                Duration latency = Duration.ofNanos(System.nanoTime() - start);
                return error != null
                        ? ProbeResult.unhealthy(latency, Failures.classify(error))
                        : classify(response.statusCode(), response.headers().firstValue("Retry-After"), latency,
                                registration, settings);
            });
        });
        cancelWith(result, exchange);
        return result;
    }

    /** Cancelling a dependent stage need not reach the exchange; this does (the client then aborts it). */
    private static void cancelWith(CompletableFuture<ProbeResult> result, ExchangeLink exchange) {
        result.whenComplete((r, error) -> {
            if (result.isCancelled()) {
                exchange.cancel();
            }
        });
    }

    /** Carries a cancel from a check's result to its exchange, whichever of the two exists first. */
    private static final class ExchangeLink {
        private CompletableFuture<?> exchange;
        private boolean cancelled;

        synchronized void set(CompletableFuture<?> sent) {
            exchange = sent;
            if (cancelled) {
                sent.cancel(true);
            }
        }

        synchronized void cancel() {
            cancelled = true;
            if (exchange != null) {
                exchange.cancel(true);
            }
        }
    }

    private static CompletableFuture<ProbeResult> internalFailure(String message) {
        return CompletableFuture.completedFuture(ProbeResult.unhealthy(Duration.ZERO, Failure.of(FailureKind.INTERNAL, message)));
    }

    private static ProbeResult classify(int status, Optional<String> retryAfter, Duration latency,
                                        BackendRegistration registration, CheckSettings settings) {
        if (status == 429) {
            return HttpAnswers.rateLimited(latency, retryAfter);
        }
        if (settings.expectStatus().contains(status)) {
            return ProbeResult.success(latency.compareTo(settings.degradedLatency()) > 0
                    ? Observation.degraded(Reason.SLOW) : Observation.healthy(), latency);
        }
        if (HttpAnswers.isAuthChallenge(status)) {
            return HttpAnswers.authChallenge(status, latency, registration.auth().isPresent());
        }
        return ProbeResult.unhealthy(latency, Failure.http(FailureKind.HTTP_STATUS, status,
                "HTTP " + status + " is not in expectStatus " + settings.expectStatus()));
    }
}
