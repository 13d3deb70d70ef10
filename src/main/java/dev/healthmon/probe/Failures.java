package dev.healthmon.probe;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/** Maps the exceptions of network I/O to a {@link Failure} kind. */
final class Failures {

    private static final java.util.Map<FailureKind, String> DEFAULT_MESSAGES = java.util.Map.of(
            FailureKind.TIMEOUT, "timed out",
            FailureKind.CONNECTION_REFUSED, "connection refused",
            FailureKind.DNS, "host name not resolved",
            FailureKind.TLS, "TLS handshake failed",
            FailureKind.PROTOCOL, "malformed or closed response");

    private Failures() {}

    static Failure classify(Throwable error) {
        Throwable e = unwrap(error);
        FailureKind kind;
        if (e instanceof HttpConnectTimeoutException || e instanceof HttpTimeoutException || e instanceof TimeoutException) {
            kind = FailureKind.TIMEOUT;
        } else if (e instanceof ConnectException || e instanceof NoRouteToHostException) {
            kind = hasCause(e, UnresolvedAddressException.class) ? FailureKind.DNS : FailureKind.CONNECTION_REFUSED;
        } else if (e instanceof UnknownHostException || e instanceof UnresolvedAddressException) {
            kind = FailureKind.DNS;
        } else if (e instanceof PlainHttpClient.ClientFailure) {
            kind = FailureKind.INTERNAL; // our client failed, not the backend
        } else if (e instanceof SSLException) {
            kind = FailureKind.TLS;
        } else if (e instanceof IOException) {
            kind = FailureKind.PROTOCOL;
        } else {
            kind = FailureKind.INTERNAL;
        }
        // JDK network exceptions often have no message; say what happened in words instead.
        String message = e.getMessage() == null || e.getMessage().isBlank()
                ? DEFAULT_MESSAGES.getOrDefault(kind, e.getClass().getSimpleName())
                : e.getMessage();
        return Failure.of(kind, message);
    }

    private static Throwable unwrap(Throwable e) {
        Throwable current = e;
        while ((current instanceof CompletionException || current instanceof ExecutionException) && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
