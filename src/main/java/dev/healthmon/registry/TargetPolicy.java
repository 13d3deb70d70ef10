package dev.healthmon.registry;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which addresses healthmon may send probes to, so that the registry topic cannot be used to
 * reach link-local and cloud-metadata endpoints (169.254.169.254 and friends). Denied by default:
 * {@link #DEFAULT_DENY}; loopback and private ranges are allowed. An allow-list entry wins over a
 * deny-list entry. Thread-safe (immutable).
 *
 * <p>A URL with a literal address is judged when the registration is decoded (an invalid one goes
 * to the dead-letter topic); a host name is judged by the probe after resolving it and before
 * connecting, on every check, so a name that later resolves to a denied address is refused too.
 */
public final class TargetPolicy {

    public static final List<Cidr> DEFAULT_DENY = List.of(
            Cidr.parse("169.254.0.0/16"), Cidr.parse("fe80::/10"), Cidr.parse("fd00:ec2::254/128"));
    public static final TargetPolicy DEFAULT = new TargetPolicy(DEFAULT_DENY, List.of());
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

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
        if (allow.stream().anyMatch(c -> c.contains(address))) {
            return Optional.empty();
        }
        return deny.stream().filter(c -> c.contains(address)).findFirst().map(c -> "address "
                + address.getHostAddress() + " is in the denied range " + c
                + " (link-local or cloud metadata); allow it with --allow-target-cidr");
    }

    /** For a URL whose host is a literal IP address: why it may not be probed. Host names give empty. */
    public Optional<String> refusalOfLiteral(URI url) {
        String host = url.getHost();
        boolean ipv6 = host.startsWith("[") && host.endsWith("]");
        if (!ipv6 && !IPV4.matcher(host).matches()) {
            return Optional.empty();
        }
        try {
            return refusal(InetAddress.getByName(ipv6 ? host.substring(1, host.length() - 1) : host));
        } catch (UnknownHostException e) {
            return Optional.of("host " + host + " is not a valid address");
        }
    }
}
