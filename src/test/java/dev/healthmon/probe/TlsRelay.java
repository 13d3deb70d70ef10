package dev.healthmon.probe;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIMatcher;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.StandardConstants;

/**
 * TLS in front of a plain-text test server (an MCP server in Jetty on 127.0.0.1): accepts TLS on
 * one address with a certificate the test generated, records the SNI name of every handshake, and
 * relays each connection's bytes to the plain server unchanged (so the plain server sees the
 * client's own {@code Host} header). One thread per direction.
 */
final class TlsRelay implements AutoCloseable {

    private static final String PASSWORD = "changeit";

    /** The SNI name of every handshake the client began (refused ones too), in order. */
    final List<String> serverNames = new CopyOnWriteArrayList<>();
    private final SSLServerSocket socket;
    private final int targetPort;
    private final List<Socket> open = new CopyOnWriteArrayList<>();

    TlsRelay(TlsTestServer.Identity identity, InetAddress address, int targetPort) throws Exception {
        this.targetPort = targetPort;
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(identity.keyStore(), PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        socket = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 50, address);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setSNIMatchers(List.of(new SNIMatcher(StandardConstants.SNI_HOST_NAME) {
            @Override
            public boolean matches(SNIServerName name) {
                serverNames.add(((SNIHostName) name).getAsciiName());
                return true;
            }
        }));
        socket.setSSLParameters(parameters);
        daemon(this::accept);
    }

    int port() {
        return socket.getLocalPort();
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                SSLSocket client = (SSLSocket) socket.accept();
                open.add(client);
                daemon(() -> relay(client));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void relay(SSLSocket client) {
        try {
            client.startHandshake();
            Socket plain = new Socket(InetAddress.getLoopbackAddress(), targetPort);
            open.add(plain);
            daemon(() -> pipe(plain, client));
            pipe(client, plain);
        } catch (IOException e) {
            close(client); // the client refused the certificate, or left
        }
    }

    private static void pipe(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) != -1; ) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException ended) {
            // one side closed: close both below
        } finally {
            close(from);
            close(to);
        }
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    private static void daemon(Runnable body) {
        Thread thread = new Thread(body, "tls-relay");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        open.forEach(TlsRelay::close);
    }
}
