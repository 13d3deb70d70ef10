package dev.healthmon.probe;

import java.net.http.HttpRequest;
import java.util.Locale;

/**
 * Whether the JDK's HTTP client lets us send a request to an IP address with the name in its
 * {@code Host} header, which is how an MCP check of a name (http or https) reaches the address
 * that was vetted while the server still sees the registered name.
 *
 * <p>The JDK refuses a {@code Host} header unless the system property
 * {@code jdk.httpclient.allowRestrictedHeaders} names it, and reads that property once, when its
 * HTTP classes are first used: {@link #enable()} must run before anything in the process builds
 * an {@code HttpRequest} ({@code healthmon}'s main does it first thing). When it is not in force,
 * MCP checks of a name fail closed (INTERNAL, with {@link #HOW_TO_ENABLE}) rather than resolve
 * the name a second time. Thread-safe.
 */
public final class HostPinning {

    static final String PROPERTY = "jdk.httpclient.allowRestrictedHeaders";
    static final String HOW_TO_ENABLE = "start the JVM with -D" + PROPERTY + "=host";

    private HostPinning() {}

    /** Adds {@code host} to the JDK's allowed restricted headers; effective only before the JDK reads the property. */
    public static void enable() {
        String current = System.getProperty(PROPERTY, "").trim();
        if (!current.toLowerCase(Locale.ROOT).matches("(.*,)?\\s*host\\s*(,.*)?")) {
            System.setProperty(PROPERTY, current.isEmpty() ? "host" : current + ",host");
        }
    }

    /** Whether the JDK accepts a {@code Host} header in this process. */
    static boolean available() {
        return Holder.AVAILABLE;
    }

    private static final class Holder {
        static final boolean AVAILABLE = probe();

        private static boolean probe() {
            try {
                HttpRequest.newBuilder().header("Host", "healthmon.invalid");
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
    }
}
