package dev.healthmon.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Simulated backends for the load run, in a process of its own and on one thread, so that the
 * farm takes as little of the machine as it can: {@code targets} listening sockets spread over
 * {@code targets / portsPerAddress} loopback addresses (127.1.0.1, 127.1.0.2, …), each answering
 * every request like a health endpoint — {@code 200 ok}, or {@code 503} for a {@code failureRate}
 * share — after {@code latencyMs} ± {@code jitterMs} (uniform; 0 = at once). Connections are kept
 * alive as HTTP/1.1 allows.
 *
 * <p>Prints {@code farm=<host:port>,<host:port>,…} and runs until its standard input closes.
 *
 * <p>Arguments: targets portsPerAddress latencyMs jitterMs failureRate
 */
public final class TargetFarm {

    private static final byte[] OK = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] UNAVAILABLE = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 4\r\n\r\ndown").getBytes(StandardCharsets.US_ASCII);

    /** A connection: finds the end of each request head ("\r\n\r\n") and queues the answers. */
    private static final class Client {
        final SocketChannel channel;
        int matched; // how much of "\r\n\r\n" the bytes so far end with
        ByteBuffer writing;

        Client(SocketChannel channel) {
            this.channel = channel;
        }
    }

    private record Due(long atNanos, Client client, byte[] answer) {}

    /**
     * Starts a farm in a process of its own (this JVM's class path, 512 MiB heap, stderr discarded); its first
     * line of output is {@code farm=…}. Closing the process's standard input ends it.
     */
    static Process start(int targets, int portsPerAddress, long latencyMs, long jitterMs, double failureRate)
            throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                TargetFarm.class.getName(), Integer.toString(targets), Integer.toString(portsPerAddress),
                Long.toString(latencyMs), Long.toString(jitterMs), Double.toString(failureRate))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    public static void main(String[] args) throws Exception {
        int targets = Integer.parseInt(args[0]);
        int portsPerAddress = Integer.parseInt(args[1]);
        long latencyNanos = Long.parseLong(args[2]) * 1_000_000;
        long jitterNanos = Long.parseLong(args[3]) * 1_000_000;
        double failureRate = Double.parseDouble(args[4]);
        SplittableRandom random = new SplittableRandom(42);

        Selector selector = Selector.open();
        List<String> addresses = new ArrayList<>();
        for (int i = 0; i < targets; i++) {
            int a = i / portsPerAddress;
            String host = "127.1." + (a / 250) + "." + (1 + a % 250);
            ServerSocketChannel server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress(host, 0), 1024);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            addresses.add(host + ":" + ((InetSocketAddress) server.getLocalAddress()).getPort());
        }
        System.out.println("farm=" + String.join(",", addresses));
        System.out.flush();
        Thread stdinWatch = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // until the parent closes our stdin
                }
            } catch (IOException ignored) {
                // parent gone
            }
            System.exit(0);
        });
        stdinWatch.setDaemon(true);
        stdinWatch.start();

        PriorityQueue<Due> due = new PriorityQueue<>((x, y) -> Long.compare(x.atNanos(), y.atNanos()));
        ByteBuffer in = ByteBuffer.allocateDirect(16 * 1024);
        while (true) {
            long waitMs = due.isEmpty() ? 0 : Math.max(1, (due.peek().atNanos() - System.nanoTime()) / 1_000_000);
            selector.select(key -> {
                try {
                    if (key.isAcceptable()) {
                        SocketChannel channel = ((ServerSocketChannel) key.channel()).accept();
                        if (channel != null) {
                            channel.configureBlocking(false);
                            channel.register(selector, SelectionKey.OP_READ, new Client(channel));
                        }
                        return;
                    }
                    Client client = (Client) key.attachment();
                    if (key.isWritable()) {
                        flush(client, key);
                        return;
                    }
                    in.clear();
                    if (client.channel.read(in) < 0) {
                        client.channel.close();
                        return;
                    }
                    in.flip();
                    while (in.hasRemaining()) {
                        byte b = in.get();
                        client.matched = b == (client.matched % 2 == 0 ? '\r' : '\n') ? client.matched + 1
                                : (b == '\r' ? 1 : 0);
                        if (client.matched == 4) {
                            client.matched = 0;
                            byte[] answer = random.nextDouble() < failureRate ? UNAVAILABLE : OK;
                            long delay = latencyNanos + (jitterNanos == 0 ? 0
                                    : random.nextLong(-jitterNanos, jitterNanos + 1));
                            if (delay <= 0) {
                                answer(client, key, answer);
                            } else {
                                due.add(new Due(System.nanoTime() + delay, client, answer));
                            }
                        }
                    }
                } catch (IOException e) {
                    closeQuietly(key);
                }
            }, waitMs);
            long now = System.nanoTime();
            while (!due.isEmpty() && due.peek().atNanos() <= now) {
                Due next = due.poll();
                SelectionKey key = next.client().channel.keyFor(selector);
                if (key != null && key.isValid()) {
                    try {
                        answer(next.client(), key, next.answer());
                    } catch (IOException e) {
                        closeQuietly(key);
                    }
                }
            }
        }
    }

    private static void answer(Client client, SelectionKey key, byte[] answer) throws IOException {
        if (client.writing != null) {
            // Still writing the previous answer (the client pipelines): append.
            ByteBuffer joined = ByteBuffer.allocate(client.writing.remaining() + answer.length);
            joined.put(client.writing).put(answer).flip();
            client.writing = joined;
            return;
        }
        client.writing = ByteBuffer.wrap(answer);
        flush(client, key);
    }

    private static void flush(Client client, SelectionKey key) throws IOException {
        client.channel.write(client.writing);
        if (client.writing.hasRemaining()) {
            key.interestOps(SelectionKey.OP_WRITE);
        } else {
            client.writing = null;
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    private static void closeQuietly(SelectionKey key) {
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
