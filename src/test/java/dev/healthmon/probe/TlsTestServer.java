package dev.healthmon.probe;

import dev.healthmon.support.RequestHeads;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIMatcher;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.StandardConstants;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * An HTTPS/1.1 server for tests, on one address, with a certificate the test generated
 * ({@link Identity}), that records what clients showed it: the SNI names, where it was reached,
 * the request heads, how many connections, how many full (not resumed) handshakes, and how many
 * clients hung up on it. One thread per connection; each request is answered by a {@link Script}.
 */
final class TlsTestServer implements AutoCloseable {

    /** Answers request number {@code request} on connection number {@code connection} (both from 1). */
    @FunctionalInterface
    interface Script {
        /** The answer; null to close the connection; {@link #HOLD} to never answer and wait for the client to leave. */
        String answer(int connection, int request);
    }

    static final String HOLD = "\u0000hold";
    private static final String PASSWORD = "changeit";

    /** A key pair and a self-signed certificate for DNS names (and IP addresses as "ip:a.b.c.d"), by keytool. */
    record Identity(KeyStore keyStore, X509Certificate certificate) {

        static Identity generate(Path dir, String... names) throws Exception {
            Path store = dir.resolve("server-" + names[0] + ".p12");
            String san = Arrays.stream(names).map(n -> n.startsWith("ip:") ? n : "dns:" + n)
                    .collect(Collectors.joining(","));
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            Process process = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC",
                    "-groupname", "secp256r1", "-dname", "CN=" + names[0], "-ext", "SAN=" + san, "-validity", "2",
                    "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD)
                    .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("keytool failed: " + output);
            }
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                keyStore.load(in, PASSWORD.toCharArray());
            }
            return new Identity(keyStore, (X509Certificate) keyStore.getCertificate("server"));
        }

        /** A client context that trusts this certificate and nothing else. */
        SSLContext trustingClient() throws Exception {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("server", certificate);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        }
    }

    final List<String> serverNames = new CopyOnWriteArrayList<>();
    final List<InetAddress> reachedAt = new CopyOnWriteArrayList<>();
    final List<String> requests = new CopyOnWriteArrayList<>();
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger clientsGone = new AtomicInteger();
    /** Connections on which the server chose its certificate: full handshakes. A resumed one presents none. */
    private final Set<Socket> fullHandshakes = ConcurrentHashMap.newKeySet();
    private final SSLServerSocket socket;
    private final List<Socket> open = new CopyOnWriteArrayList<>();

    TlsTestServer(Identity identity, InetAddress address, int port, Script script) throws Exception {
        this(identity, address, port, script, "TLSv1.3", "TLSv1.2");
    }

    /** A server that speaks only {@code protocols} (e.g. "TLSv1.2"). */
    TlsTestServer(Identity identity, InetAddress address, int port, Script script, String... protocols)
            throws Exception {
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(identity.keyStore(), PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(new KeyManager[] {new Counting((X509ExtendedKeyManager) keys.getKeyManagers()[0])}, null, null);
        socket = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(port, 50, address);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setSNIMatchers(List.of(new SNIMatcher(StandardConstants.SNI_HOST_NAME) {
            @Override
            public boolean matches(SNIServerName name) {
                serverNames.add(((SNIHostName) name).getAsciiName());
                return true;
            }
        }));
        socket.setSSLParameters(parameters);
        socket.setEnabledProtocols(protocols);
        Thread acceptor = new Thread(() -> accept(script), "tls-test-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    int fullHandshakes() {
        return fullHandshakes.size();
    }

    private void accept(Script script) {
        while (!socket.isClosed()) {
            try {
                Socket s = socket.accept();
                open.add(s);
                reachedAt.add(s.getLocalAddress());
                int index = connections.incrementAndGet();
                Thread handler = new Thread(() -> serve(s, index, script));
                handler.setDaemon(true);
                handler.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket s, int connection, Script script) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            for (int request = 1; ; request++) {
                String head = RequestHeads.read(in);
                if (head == null) {
                    clientsGone.incrementAndGet();
                    return;
                }
                requests.add(head);
                String answer = script.answer(connection, request);
                if (answer == null) {
                    return;
                }
                if (answer.equals(HOLD)) {
                    in.transferTo(OutputStream.nullOutputStream()); // until the client leaves
                    clientsGone.incrementAndGet();
                    return;
                }
                out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
        } catch (IOException e) {
            clientsGone.incrementAndGet(); // the client hung up, or the handshake failed
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket s : open) {
            s.close();
        }
    }

    /** The server's key manager, noting each connection on which it had to choose a certificate. */
    private final class Counting extends X509ExtendedKeyManager {
        private final X509ExtendedKeyManager delegate;

        Counting(X509ExtendedKeyManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            String alias = delegate.chooseServerAlias(keyType, issuers, socket);
            if (alias != null) {
                fullHandshakes.add(socket);
            }
            return alias;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return delegate.chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return delegate.getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return delegate.chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return delegate.getServerAliases(keyType, issuers);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return delegate.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return delegate.getPrivateKey(alias);
        }
    }
}
