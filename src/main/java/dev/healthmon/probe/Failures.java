package dev.healthmon.probe;

import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Maps the exceptions of network I/O to a {@link Failure} kind. A failure of the monitor itself
 * (its own client closed, out of file descriptors) is INTERNAL, never the backend's fault.
 */
final class Failures {

    private static final Map<FailureKind, String> DEFAULT_MESSAGES = Map.of(
            FailureKind.TIMEOUT, "timed out",
            FailureKind.CONNECTION_REFUSED, "connection refused",
            FailureKind.DNS, "host name not resolved",
            FailureKind.TLS, "TLS handshake failed",
            FailureKind.PROTOCOL, "malformed or closed response");

    /** The text of EMFILE and ENFILE ("... in system") on Linux and macOS; the JDK has no type for it. */
    private static final String TOO_MANY_OPEN_FILES = "Too many open files";

    private Failures() {}

    static Failure classify(Throwable error) {
        Throwable e = unwrap(error);
        if (outOfFileDescriptors(e)) {
            // EMFILE/ENFILE: the JDK reports it as a plain IOException, which the clients wrap as a
            // connect failure; the backend was never asked, so it must not be blamed.
            return Failure.of(FailureKind.INTERNAL, "monitor out of file descriptors: " + TOO_MANY_OPEN_FILES);
        }
        FailureKind kind;
        if (e instanceof HttpConnectTimeoutException || e instanceof HttpTimeoutException
                || e instanceof TimeoutException) {
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
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    private static boolean outOfFileDescriptors(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(TOO_MANY_OPEN_FILES)) {
                return true;
            }
        }
        return false;
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
