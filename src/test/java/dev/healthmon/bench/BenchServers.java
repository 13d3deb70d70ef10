package dev.healthmon.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.healthmon.support.McpTestServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The backends benchmarks check, run in a JVM of their own so that the benchmark's CPU time is
 * the monitor side's alone: an MCP server (the SDK's, streamable HTTP) and a plain HTTP health
 * endpoint, in plain text and over TLS (with the PKCS12 key store named by the first argument, password the second).
 * Prints {@code mcp=<url>,<url>,… http=<url>,<url>,… https=<url>,<url>,…} and runs until its standard input closes.
 *
 * <p>A line {@code connections} on its standard input is answered with {@code connections http=<n> https=<n>}: how
 * many connections (distinct client address and port) have carried a {@code /health} request so far, per scheme,
 * so that the benchmark can say how many checks opened a connection (over TLS: a handshake) rather than reused one.
 */
public final class BenchServers {

    /**
     * Servers per scheme: the probes keep at most {@code PlainHttpClient.MAX_IDLE_PER_ADDRESS} (8) idle connections
     * to one address, so the benchmark's 50 backends, checked all at once, are spread over 7 ports as backends on
     * hosts of their own would be; on one port, 42 of them would open a new connection (a TLS handshake) each time.
     */
    static final int SERVERS_PER_SCHEME = 7;

    /** The client ends of the connections that carried a request, per scheme (any server thread). */
    private static final Set<String> HTTP_CLIENTS = ConcurrentHashMap.newKeySet();
    private static final Set<String> HTTPS_CLIENTS = ConcurrentHashMap.newKeySet();

    public static void main(String[] args) throws Exception {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        SSLContext tls = serverTls(Path.of(args[0]), args[1].toCharArray());
        List<HttpServer> servers = new ArrayList<>();
        List<String> httpUrls = new ArrayList<>();
        List<String> httpsUrls = new ArrayList<>();
        for (int i = 0; i < SERVERS_PER_SCHEME; i++) {
            HttpServer http = HttpServer.create(loopback, 200);
            HttpsServer https = HttpsServer.create(loopback, 200);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            http.createContext("/health", exchange -> answerOk(exchange, HTTP_CLIENTS));
            https.createContext("/health", exchange -> answerOk(exchange, HTTPS_CLIENTS));
            for (HttpServer server : List.of(http, https)) {
                server.setExecutor(Executors.newFixedThreadPool(2));
                server.start();
                servers.add(server);
            }
            httpUrls.add("http://127.0.0.1:" + http.getAddress().getPort() + "/health");
            httpsUrls.add("https://127.0.0.1:" + https.getAddress().getPort() + "/health");
        }
        // MCP too: the lean ping goes through the same client as http, which keeps 8 idle connections per address.
        List<McpTestServer> mcpServers = new ArrayList<>();
        try {
            for (int i = 0; i < SERVERS_PER_SCHEME; i++) {
                mcpServers.add(McpTestServer.start(McpTestServer.Kind.STREAMABLE_HTTP, false));
            }
            System.out.println("mcp=" + String.join(",", mcpServers.stream().map(McpTestServer::url).toList())
                    + " http=" + String.join(",", httpUrls) + " https=" + String.join(",", httpsUrls));
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String command;
            while ((command = in.readLine()) != null) { // until the parent closes our stdin
                if (command.equals("connections")) {
                    System.out.println("connections http=" + HTTP_CLIENTS.size() + " https=" + HTTPS_CLIENTS.size());
                    System.out.flush();
                }
            }
        } finally {
            for (McpTestServer mcp : mcpServers) {
                mcp.close();
            }
            servers.forEach(server -> server.stop(0));
            System.exit(0);
        }
    }

    private static void answerOk(HttpExchange exchange, Set<String> clients) throws IOException {
        clients.add(exchange.getRemoteAddress().toString());
        byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static SSLContext serverTls(Path keyStore, char[] password) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            keys.load(in, password);
        }
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(keys, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(factory.getKeyManagers(), null, null);
        return context;
    }
}
