package dev.healthmon.support;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Loopback ports for tests that need a port before anything listens on it: a port to pin a broker
 * to, or a port that must refuse connections.
 *
 * <p>A port from {@code new ServerSocket(0)} comes from the kernel's ephemeral range (32768–60999
 * on Linux, 49152+ elsewhere) and, once closed, can be handed out again at any moment: to another
 * listener bound to port 0 or as the local port of an outgoing connection. A broker pinned to it
 * then fails to bind, and a "closed" port may answer. These ports lie below that range, where the
 * kernel never hands ports out on its own, and no two calls in one JVM return the same port.
 */
public final class LoopbackPorts {

    private static final int FIRST = 20_000;
    private static final int LAST = 32_000;
    private static final AtomicInteger next = new AtomicInteger(FIRST
            + ThreadLocalRandom.current().nextInt(LAST - FIRST));

    private LoopbackPorts() {}

    /** A port nothing listens on now, on 127.0.0.1. */
    public static int unused() throws IOException {
        for (int attempt = 0; attempt < LAST - FIRST; attempt++) {
            int port = FIRST + Math.floorMod(next.getAndIncrement() - FIRST, LAST - FIRST);
            try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return probe.getLocalPort();
            } catch (BindException taken) {
                // someone else's: try the next one
            }
        }
        throw new BindException("no unused loopback port in " + FIRST + "–" + LAST);
    }
}
