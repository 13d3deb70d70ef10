package dev.healthmon.bench;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Simulated backends for the load run, in a process of their own: {@code servers} HTTP servers on
 * 127.0.0.1, 127.0.0.2, … (a port each), every path answers like a health endpoint: after
 * {@code latencyMs} ± {@code jitterMs} (0 = at once), with 503 for a {@code failureRate} share of
 * requests. Prints {@code farm=<host:port>,<host:port>,…} and runs until its standard input closes.
 *
 * <p>Arguments: servers latencyMs jitterMs failureRate
 */
public final class TargetFarm {

    public static void main(String[] args) throws Exception {
        int servers = Integer.parseInt(args[0]);
        long latencyMs = Long.parseLong(args[1]);
        long jitterMs = Long.parseLong(args[2]);
        double failureRate = Double.parseDouble(args[3]);
        List<String> addresses = new ArrayList<>();
        List<HttpServer> started = new ArrayList<>();
        for (int i = 0; i < servers; i++) {
            String host = "127.0.0." + (i + 1);
            HttpServer server = HttpServer.create(new InetSocketAddress(host, 0), 1024);
            server.createContext("/", exchange -> {
                long delay = latencyMs + (jitterMs == 0 ? 0 : ThreadLocalRandom.current().nextLong(-jitterMs, jitterMs + 1));
                if (delay > 0) {
                    try {
                        Thread.sleep(delay); // the simulated backend's own latency
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                boolean fail = ThreadLocalRandom.current().nextDouble() < failureRate;
                exchange.sendResponseHeaders(fail ? 503 : 200, -1);
                exchange.close();
            });
            server.setExecutor(latencyMs > 0 ? Executors.newCachedThreadPool() : Executors.newFixedThreadPool(2));
            server.start();
            started.add(server);
            addresses.add(host + ":" + server.getAddress().getPort());
        }
        System.out.println("farm=" + String.join(",", addresses));
        System.out.flush();
        while (System.in.read() != -1) {
            // until the parent closes our stdin
        }
        started.forEach(s -> s.stop(0));
        System.exit(0);
    }
}
