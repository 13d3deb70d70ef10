package dev.healthmon.registry;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** An IPv4 or IPv6 address range, {@code 169.254.0.0/16} or {@code fe80::/10}. */
public record Cidr(String text, byte[] network, int prefix) {

    private static final Pattern LITERAL = Pattern.compile("[0-9.]+|[0-9A-Fa-f:.]+");

    /** @throws IllegalArgumentException naming the text when it is not a CIDR range */
    public static Cidr parse(String text) {
        String[] parts = text.trim().split("/", 2);
        try {
            if (!LITERAL.matcher(parts[0]).matches()) {
                throw new IllegalArgumentException("not an address");
            }
            byte[] network = InetAddress.getByName(parts[0]).getAddress(); // a literal: no name lookup
            int prefix = parts.length == 2 ? Integer.parseInt(parts[1]) : network.length * 8;
            if (prefix < 0 || prefix > network.length * 8) {
                throw new IllegalArgumentException("prefix out of range");
            }
            return new Cidr(text.trim(), network, prefix);
        } catch (UnknownHostException | IllegalArgumentException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not a CIDR range like 169.254.0.0/16 or fe80::/10");
        }
    }

    public boolean contains(InetAddress address) {
        byte[] candidate = address.getAddress();
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
