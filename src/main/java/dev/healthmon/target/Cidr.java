package dev.healthmon.target;

import java.net.InetAddress;

/**
 * An IPv4 or IPv6 address range, {@code 169.254.0.0/16} or {@code fe80::/10}. IPv4-mapped ranges
 * such as {@code ::ffff:0:0/96} stay IPv6 ranges (16 bytes): see {@link IpLiteral}.
 */
public record Cidr(String text, byte[] network, int prefix) {

    /** @throws IllegalArgumentException naming the text when it is not a CIDR range */
    public static Cidr parse(String text) {
        String[] parts = text.trim().split("/", 2);
        try {
            // Only a.b.c.d for IPv4 here: the JDK's short forms (127.1) would be a confusing way to write a range.
            byte[] network = parts[0].indexOf(':') >= 0 || parts[0].split("\\.", -1).length == 4
                    ? IpLiteral.parse(parts[0]).orElseThrow(() -> new IllegalArgumentException("not an address"))
                    : null;
            if (network == null) {
                throw new IllegalArgumentException("not an address");
            }
            int prefix = parts.length == 2 ? Integer.parseInt(parts[1]) : network.length * 8;
            if (prefix < 0 || prefix > network.length * 8) {
                throw new IllegalArgumentException("prefix out of range");
            }
            return new Cidr(text.trim(), network, prefix);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not a CIDR range like 169.254.0.0/16 or fe80::/10");
        }
    }

    public boolean contains(InetAddress address) {
        return contains(address.getAddress());
    }

    /** Whether the 4- or 16-byte {@code candidate} lies in this range (an IPv4 address is never in an IPv6 range). */
    public boolean contains(byte[] candidate) {
        if (candidate.length != network.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (candidate[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xff << (8 - rest) & 0xff;
        return (candidate[full] & mask) == (network[full] & mask);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr other && other.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
