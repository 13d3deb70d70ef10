package dev.healthmon.target;

import java.util.Optional;

/**
 * Parses an IP address literal into its bytes without any name lookup, and without the JDK's
 * habit of turning {@code ::ffff:a.b.c.d} into a 4-byte address: the target policy must see the
 * IPv6 form to say which rule matched. IPv4 follows the JDK's own literal rules (one to four
 * decimal parts: {@code 127.1}, {@code 2130706433} and {@code 0} are addresses to
 * {@link java.net.InetAddress#getByName}), because that is what a probe would connect to.
 */
public final class IpLiteral {

    private IpLiteral() {}

    /** 4 or 16 bytes, or empty when {@code host} (brackets allowed around IPv6) is not a literal. */
    public static Optional<byte[]> parse(String host) {
        String text = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (text.indexOf(':') >= 0) {
            return Optional.ofNullable(ipv6(text));
        }
        return text.equals(host) ? Optional.ofNullable(ipv4(text)) : Optional.empty();
    }

    /** Whether {@code host} is written as an address rather than a name (it may still be an invalid one). */
    public static boolean looksLiteral(String host) {
        return host.indexOf(':') >= 0 || host.startsWith("[") || !host.isEmpty() && host.chars().allMatch(
                c -> c == '.' || c >= '0' && c <= '9');
    }

    /** The JDK's IPv4 literal forms: a.b.c.d, a.b.c (c fills 16 bits), a.b (b fills 24 bits), a (32 bits). */
    static byte[] ipv4(String text) {
        if (text.isEmpty() || text.length() > 15 || text.startsWith(".") || text.endsWith(".")) {
            return null;
        }
        String[] parts = text.split("\\.", -1);
        if (parts.length > 4) {
            return null;
        }
        long[] values = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isEmpty() || parts[i].length() > 10 || !parts[i].chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            values[i] = Long.parseLong(parts[i]);
        }
        int last = parts.length - 1;
        long lastMax = (1L << (8 * (4 - last))) - 1;
        if (values[last] > lastMax) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < last; i++) {
            if (values[i] > 255) {
                return null;
            }
            bytes[i] = (byte) values[i];
        }
        for (int i = 3; i >= last; i--) {
            bytes[i] = (byte) (values[last] >> (8 * (3 - i)));
        }
        return bytes;
    }

    private static byte[] ipv6(String text) {
        int gap = text.indexOf("::");
        if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        String head = gap >= 0 ? text.substring(0, gap) : text;
        String tail = gap >= 0 ? text.substring(gap + 2) : "";
        byte[] front = groups(head, gap < 0);
        byte[] back = groups(tail, true);
        if (front == null || back == null) {
            return null;
        }
        int length = front.length + back.length;
        if (gap < 0 ? length != 16 : length > 14) {
            return null;
        }
        byte[] bytes = new byte[16];
        System.arraycopy(front, 0, bytes, 0, front.length);
        System.arraycopy(back, 0, bytes, 16 - back.length, back.length);
        return bytes;
    }

    /** Colon-separated hex groups, the last of which may be a dotted quad when {@code quadAllowed}. */
    private static byte[] groups(String text, boolean quadAllowed) {
        if (text.isEmpty()) {
            return new byte[0];
        }
        String[] parts = text.split(":", -1);
        byte[] bytes = new byte[16];
        int n = 0;
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            if (quadAllowed && i == parts.length - 1 && part.indexOf('.') >= 0) {
                byte[] quad = part.split("\\.", -1).length == 4 ? ipv4(part) : null;
                if (quad == null || n + 4 > 16) {
                    return null;
                }
                System.arraycopy(quad, 0, bytes, n, 4);
                n += 4;
            } else {
                if (part.isEmpty() || part.length() > 4 || n + 2 > 16) {
                    return null;
                }
                int value;
                try {
                    value = Integer.parseInt(part, 16);
                } catch (NumberFormatException e) {
                    return null;
                }
                if (part.startsWith("+") || part.startsWith("-")) {
                    return null;
                }
                bytes[n++] = (byte) (value >> 8);
                bytes[n++] = (byte) value;
            }
        }
        byte[] result = new byte[n];
        System.arraycopy(bytes, 0, result, 0, n);
        return result;
    }
}
