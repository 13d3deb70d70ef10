package dev.healthmon.probe;

import java.net.http.HttpClient;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The JDK HTTP clients of {@code https://} MCP checks whose URL names a host: one per (name, port),
 * so that a request sent to the vetted IP literal still verifies the certificate against the name
 * ({@link NameBoundSslContext}) and sends it as SNI. One client per name, not one for all: the JDK
 * keeps TLS settings per client and pools connections by IP and port, so a shared client would
 * hand a connection verified for one name to a request for another name on the same address.
 *
 * <p>Bounded: the {@value #MAX_CLIENTS} names used last are kept; an evicted client is dropped, not
 * closed (JDK 17 has no {@code close()}): the sessions still using it keep it, and once nothing
 * references it its selector thread ends by itself (the JDK's selector loop exits when the client
 * is no longer reachable and has no pending operation). Each client owns one selector thread, so
 * the threads are bounded by the kept clients plus the clients live sessions still hold.
 *
 * <p>Thread-safe: all under this object's lock.
 */
final class PinnedTlsClients {

    static final int MAX_CLIENTS = 256;

    private final HttpClient template;
    private final Supplier<SSLContext> trust;
    private final Map<Key, HttpClient> clients;
    private SSLContext base;

    /** Clients like {@code template} (version, redirects, connect timeout, executor) trusting {@code trust}. */
    PinnedTlsClients(HttpClient template, SSLContext trust) {
        this(template, () -> trust, MAX_CLIENTS);
    }

    /** Clients like {@code template} trusting what the JVM trusts ({@link SSLContext#getDefault()}, at first use). */
    PinnedTlsClients(HttpClient template) {
        this(template, PinnedTlsClients::jvmDefault, MAX_CLIENTS);
    }

    /** Keeping at most {@code maxClients}. */
    PinnedTlsClients(HttpClient template, Supplier<SSLContext> trust, int maxClients) {
        this.template = template;
        this.trust = trust;
        this.clients = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, HttpClient> eldest) {
                return size() > maxClients;
            }
        };
    }

    /** The client for {@code host} (a name, as in the URL) on {@code port}. */
    synchronized HttpClient client(String host, int port) {
        String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host; // as TlsChannel does
        return clients.computeIfAbsent(new Key(name.toLowerCase(Locale.ROOT), port), this::build);
    }

    /** How many clients are kept. */
    synchronized int size() {
        return clients.size();
    }

    private HttpClient build(Key key) {
        if (base == null) {
            base = trust.get();
        }
        SSLParameters parameters = base.getDefaultSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        try {
            parameters.setServerNames(List.of(new SNIHostName(key.name())));
        } catch (IllegalArgumentException e) {
            // Not a name SNI can carry (e.g. an underscore): sent without SNI; the certificate is still checked
            // against the name, the engine's peer.
            parameters.setServerNames(List.of());
        }
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(template.version())
                .followRedirects(template.followRedirects())
                .sslContext(new NameBoundSslContext(base, key.name(), key.port()))
                .sslParameters(parameters);
        template.connectTimeout().ifPresent(builder::connectTimeout);
        template.executor().ifPresent(builder::executor);
        return builder.build();
    }

    private static SSLContext jvmDefault() {
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no default TLS context", e);
        }
    }

    private record Key(String name, int port) {}
}
