package dev.healthmon.bench;

import com.sun.net.httpserver.HttpServer;
import dev.healthmon.support.McpTestServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The backends benchmarks check, run in a JVM of their own so that the benchmark's CPU time is
 * the monitor side's alone: an MCP server (the SDK's, streamable HTTP) and a plain HTTP health
 * endpoint. Prints {@code mcp=<url> http=<url>} and runs until its standard input closes.
 */
public final class BenchServers {

    public static void main(String[] args) throws Exception {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
        http.createContext("/health", exchange -> {
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        http.setExecutor(Executors.newFixedThreadPool(8));
        http.start();
        try (McpTestServer mcp = McpTestServer.start(McpTestServer.Kind.STREAMABLE_HTTP, false)) {
            System.out.println("mcp=" + mcp.url() + " http=http://127.0.0.1:" + http.getAddress().getPort()
                    + "/health");
            System.out.flush();
            while (System.in.read() != -1) {
                // wait for the parent to close our stdin
            }
        } finally {
            http.stop(0);
            System.exit(0);
        }
    }
}
