package dev.healthmon.probe;

import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.status.Observation;
import dev.healthmon.status.Reason;
import java.time.Duration;
import java.util.Optional;

/**
 * The HTTP answers every HTTP-based probe (http, mcp) classifies the same way (docs/design.md §4.3):
 * 429 and an auth challenge.
 */
final class HttpAnswers {

    private HttpAnswers() {}

    static boolean isAuthChallenge(int status) {
        return status == 401 || status == 403;
    }

    /** 429: the backend is up but refusing us; DEGRADED/RATE_LIMITED, and its Retry-After is honoured. */
    static ProbeResult rateLimited(Duration latency, Optional<String> retryAfterHeader) {
        return new ProbeResult(Observation.degraded(Reason.RATE_LIMITED), latency,
                Optional.of(Failure.http(FailureKind.HTTP_STATUS, 429, "HTTP 429 Too Many Requests")),
                RetryAfter.parse(retryAfterHeader));
    }

    /**
     * 401/403: HEALTHY when the registration has {@code auth} (the backend is up and asks for
     * credentials), otherwise UNAUTHENTICATED.
     */
    static ProbeResult authChallenge(int status, Duration latency, boolean registrationHasAuth) {
        Failure failure = Failure.http(FailureKind.AUTH, status, "HTTP " + status + " asks for credentials");
        return registrationHasAuth
                ? ProbeResult.success(Observation.healthy(), latency)
                : ProbeResult.failed(Observation.unauthenticated(), latency, failure);
    }
}
