package dev.healthmon.target;

import java.net.InetAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which addresses healthmon may send probes to, so that the registry topic cannot be used to
 * reach link-local and cloud-metadata endpoints (169.254.169.254 and friends). Denied by default:
 * {@link #DEFAULT_DENY}; loopback and private ranges are allowed. An allow-list entry wins over a
 * deny-list entry. Thread-safe (immutable).
 *
 * <p>An address is judged under every name it answers to, and refused when any of them is refused:
 * <ul>
 *   <li>itself (so a range written for it, {@code --deny-target-cidr 0.0.0.0/8}, applies);</li>
 *   <li>{@code 0.0.0.0/8} and {@code ::} mean "this host" (connecting to them reaches the local host),
 *       so they are also judged as loopback, {@code 127.0.0.1} and {@code ::1}: denying loopback denies
 *       them, allowing loopback allows them;</li>
 *   <li>an IPv6 address that carries an IPv4 address — IPv4-mapped {@code ::ffff:0:0/96},
 *       IPv4-compatible {@code ::/96}, NAT64 {@code 64:ff9b::/96}, 6to4 {@code 2002::/16} — is also
 *       judged as that IPv4 address (which may itself be "this host").</li>
 * </ul>
 *
 * <p>A URL with a literal address is judged when the registration is decoded (an invalid one goes
 * to the dead-letter topic); a host name is judged by the probe after resolving it and before
 * connecting, on every check, so a name that later resolves to a denied address is refused too.
 */
public final class TargetPolicy {

    public static final List<Cidr> DEFAULT_DENY = List.of(
            Cidr.parse("169.254.0.0/16"), Cidr.parse("fe80::/10"), Cidr.parse("fd00:ec2::254/128"));
    public static final TargetPolicy DEFAULT = new TargetPolicy(DEFAULT_DENY, List.of());
    /** Why each default range is denied, for refusal messages; other ranges came from --deny-target-cidr. */
    private static final Map<String, String> DEFAULT_REASONS = Map.of(
            "169.254.0.0/16", "link-local, cloud metadata", "fe80::/10", "link-local",
            "fd00:ec2::254/128", "cloud metadata");
    private static final byte[] LOOPBACK_V4 = {127, 0, 0, 1};
    private static final byte[] LOOPBACK_V6 = new byte[16];

    static {
        LOOPBACK_V6[15] = 1;
    }

    private final List<Cidr> deny;
    private final List<Cidr> allow;

    public TargetPolicy(List<Cidr> deny, List<Cidr> allow) {
        this.deny = List.copyOf(deny);
        this.allow = List.copyOf(allow);
    }

    /** The default deny-list plus {@code extraDeny}, with {@code allow} taking precedence. */
    public static TargetPolicy of(List<String> extraDeny, List<String> allow) {
        List<Cidr> denied = new ArrayList<>(DEFAULT_DENY);
        extraDeny.stream().map(Cidr::parse).forEach(denied::add);
        return new TargetPolicy(denied, allow.stream().map(Cidr::parse).toList());
    }

    /** Why {@code address} may not be probed, or empty when it may. */
    public Optional<String> refusal(InetAddress address) {
        return refusal(address.getAddress());
    }

    /** Why the 4- or 16-byte {@code address} may not be probed, or empty when it may. */
    public Optional<String> refusal(byte[] address) {
        String text = format(address);
        Optional<String> own = denial(address).map(range -> "address " + text + " is " + range);
        if (own.isPresent() || !isThisHost(address) && embeddedIpv4(address).isEmpty()) {
            return own;
        }
        if (isThisHost(address)) {
            byte[] loopback = address.length == 4 ? LOOPBACK_V4 : LOOPBACK_V6;
            return denial(loopback).map(range -> "address " + text + " means this host and is judged as "
                    + format(loopback) + ", which is " + range);
        }
        byte[] embedded = embeddedIpv4(address).orElseThrow();
        return refusal(embedded).map(inner -> "address " + text + " embeds " + format(embedded)
                + " (" + embeddingKind(address) + "): " + inner);
    }

    /** For a URL whose host is a literal IP address: why it may not be probed. Host names give empty. */
    public Optional<String> refusalOfLiteral(URI url) {
        return refusalOfLiteral(url.getHost());
    }

    /**
     * For a host written as an address ({@code 10.0.0.1}, {@code [::1]}, the JDK's short forms such as
     * {@code 0} or {@code 127.1}): why it may not be probed. Host names give empty.
     */
    public Optional<String> refusalOfLiteral(String host) {
        if (!IpLiteral.looksLiteral(host)) {
            return Optional.empty();
        }
        return IpLiteral.parse(host).map(this::refusal).orElseGet(() -> Optional.of("host " + host
                + " is not a valid address"));
    }

    /** "in the denied range R (why); allow it with ..." when the address is denied and not allowed. */
    private Optional<String> denial(byte[] address) {
        if (allow.stream().anyMatch(c -> c.contains(address))) {
            return Optional.empty();
        }
        return deny.stream().filter(c -> c.contains(address)).findFirst().map(c -> "in the denied range " + c
                + " (" + DEFAULT_REASONS.getOrDefault(c.text(), "--deny-target-cidr")
                + "); allow it with --allow-target-cidr");
    }

    /** 0.0.0.0/8 or :: (connecting to either reaches the local host). */
    static boolean isThisHost(byte[] address) {
        return address.length == 4 ? address[0] == 0 : Arrays.equals(address, new byte[16]);
    }

    /** The IPv4 address an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 address carries. */
    static Optional<byte[]> embeddedIpv4(byte[] address) {
        return switch (embeddingKind(address)) {
            case "IPv4-mapped", "IPv4-compatible", "NAT64" -> Optional.of(Arrays.copyOfRange(address, 12, 16));
            case "6to4" -> Optional.of(Arrays.copyOfRange(address, 2, 6));
            default -> Optional.empty();
        };
    }

    private static String embeddingKind(byte[] a) {
        if (a.length != 16) {
            return "";
        }
        if (a[0] == 0x20 && a[1] == 0x02) {
            return "6to4";
        }
        if (a[0] == 0 && a[1] == 0x64 && a[2] == (byte) 0xff && a[3] == (byte) 0x9b && zero(a, 4, 12)) {
            return "NAT64";
        }
        if (zero(a, 0, 10) && a[10] == (byte) 0xff && a[11] == (byte) 0xff) {
            return "IPv4-mapped";
        }
        boolean thisHostOrLoopback = zero(a, 12, 15) && (a[15] == 0 || a[15] == 1);
        return zero(a, 0, 12) && !thisHostOrLoopback ? "IPv4-compatible" : ""; // :: and ::1 are IPv6 themselves
    }

    private static boolean zero(byte[] a, int from, int to) {
        for (int i = from; i < to; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static String format(byte[] address) {
        if (address.length == 4) {
            return (address[0] & 0xff) + "." + (address[1] & 0xff) + "." + (address[2] & 0xff) + "."
                    + (address[3] & 0xff);
        }
        if (embeddingKind(address).equals("IPv4-mapped")) {
            return "::ffff:" + format(Arrays.copyOfRange(address, 12, 16));
        }
        StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < 16; i += 2) {
            int group = (address[i] & 0xff) << 8 | address[i + 1] & 0xff;
            text.append(i == 0 ? "" : ":").append(Integer.toHexString(group));
        }
        // Close to the form people write: the first run of two or more zero groups becomes "::".
        return text.toString().replaceFirst("(^|:)0(:0)+(:|$)", "::");
    }
}
