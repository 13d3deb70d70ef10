package dev.healthmon.probe;

import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.registration.BackendRegistration;
import dev.healthmon.registration.CheckSettings;
import dev.healthmon.registration.HttpTarget;
import dev.healthmon.status.Observation;
import dev.healthmon.status.Reason;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The {@code http} check: {@code GET url + path}, classified by status (docs/design.md §4.3). The host is
 * first resolved and vetted against the target policy ({@link TargetVetting}); then the request
 * goes out through the shared {@link PlainHttpClient} (a health check's fixed GET at a fraction of
 * the JDK client's cost) to the vetted address itself, for {@code https://} too: TLS sends the
 * URL's host name as SNI and checks the certificate against that name, and {@code Host} carries
 * it, but nothing resolves the name again, so a second DNS answer (rebinding) cannot change the
 * address a check reaches. No thread waits on a backend; redirects are not followed; at most
 * {@link #BODY_CAP_BYTES} of the body are read.
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

    private final PlainHttpClient client;
    private final SecretResolver secrets;
    private final TargetVetting vetting;

    public HttpProbe(PlainHttpClient client, SecretResolver secrets, TargetVetting vetting) {
        this.client = client;
        this.secrets = secrets;
        this.vetting = vetting;
    }

    @Override
    public CompletableFuture<ProbeResult> check(BackendRegistration registration, CheckSettings settings) {
        long start = System.nanoTime();
        URI target = HttpTarget.of(registration.url(), settings.path());
        Optional<SecretResolver.Credential> credential = Optional.empty();
        if (registration.auth().isPresent()) {
            try {
                credential = Optional.of(secrets.credential(registration.auth().get(), target));
            } catch (SecretResolver.UnusableSecretException e) {
                return internalFailure(e.getMessage());
            }
        }
        boolean tls = !"http".equalsIgnoreCase(target.getScheme());
        byte[] request = requestHead(target, credential);
        int port = target.getPort() != -1 ? target.getPort() : tls ? 443 : 80;
        ExchangeLink exchange = new ExchangeLink();
        CompletableFuture<TargetVetting.Vetted> vet = vetting.vet(target.getHost(), settings.timeout());
        CompletableFuture<ProbeResult> result = vet.thenCompose(vetted -> {
            if (vetted.failure().isPresent()) {
                return CompletableFuture.completedFuture(
                        ProbeResult.unhealthy(Duration.ofNanos(System.nanoTime() - start), vetted.failure().get()));
            }
            InetSocketAddress address = new InetSocketAddress(vetted.address().orElseThrow(), port);
            CompletableFuture<PlainHttpClient.Response> sent = client.send(
                    tls ? PlainHttpClient.Route.tls(address, target.getHost()) : PlainHttpClient.Route.plain(address),
                    request, settings.timeout(), BODY_CAP_BYTES);
            exchange.set(sent);
            return sent.handle((response, error) -> {
                Duration latency = Duration.ofNanos(System.nanoTime() - start);
                return error != null
                        ? ProbeResult.unhealthy(latency, Failures.classify(error))
                        : classify(response.status(), Optional.ofNullable(response.retryAfter()), latency,
                                registration, settings);
            });
        });
        cancelWith(result, vet, exchange);
        return result;
    }

    /**
     * The request head: origin-form target, {@code Host}, and the credential if any. Its parts
     * cannot smuggle a line break: a URI's raw path and query have none, a header name is a
     * token (RegistrationCodec), and {@link SecretResolver} refuses values with control characters.
     */
    static byte[] requestHead(URI target, Optional<SecretResolver.Credential> credential) {
        StringBuilder head = requestLineAndHost("GET", target, "/", 160);
        head.append("\r\nUser-Agent: ").append(USER_AGENT).append("\r\nAccept: */*\r\n");
        credential.ifPresent(c -> head.append(c.header()).append(": ").append(c.value()).append("\r\n"));
        return head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * {@code METHOD origin-form HTTP/1.1}, CRLF and {@code Host: host[:port]}, without the CRLF after it; the
     * path and query percent-encoded where the registration left them raw (a URI's raw parts hold no line
     * break or space: only characters above ASCII need it), {@code defaultPath} for an empty path.
     */
    static StringBuilder requestLineAndHost(String method, URI target, String defaultPath, int capacity) {
        if (!isAscii(target.getRawPath()) || !isAscii(target.getRawQuery())) {
            target = URI.create(target.toASCIIString()); // percent-encodes what the registration left raw
        }
        String path = target.getRawPath() == null || target.getRawPath().isEmpty() ? defaultPath : target.getRawPath();
        StringBuilder head = new StringBuilder(capacity).append(method).append(' ').append(path);
        if (target.getRawQuery() != null) {
            head.append('?').append(target.getRawQuery());
        }
        head.append(" HTTP/1.1\r\nHost: ").append(target.getHost());
        if (target.getPort() != -1) {
            head.append(':').append(target.getPort());
        }
        return head;
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

    /** Cancelling a dependent stage need not reach the lookup or the exchange; this does (the client aborts it). */
    private static void cancelWith(CompletableFuture<ProbeResult> result, CompletableFuture<?> vet,
                                   ExchangeLink exchange) {
        result.whenComplete((r, error) -> {
            if (result.isCancelled()) {
                vet.cancel(true); // a lookup still running is not waited for (TargetVetting allows it)
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
        return CompletableFuture.completedFuture(ProbeResult.unhealthy(Duration.ZERO,
                Failure.of(FailureKind.INTERNAL, message)));
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
