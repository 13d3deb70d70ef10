package dev.healthmon.secrets;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A URL in the one form secret bindings compare: lower-case scheme, canonical host (lower case,
 * one trailing dot removed, IPv6 literals in full form), the port made explicit, and the path as
 * percent-decoded segments. A URL that could mean something else to the backend than to us is
 * unusable (empty from {@link #of}), so it matches nothing: userinfo, an IPv6 zone, a {@code .}
 * or {@code ..} segment (also encoded, or hidden behind {@code ;params}), an encoded {@code /} or
 * {@code \}, a {@code %} left after decoding (double encoding), control characters.
 *
 * <p>The comparison only ever errs towards "not admitted": two texts are the same target only
 * when they canonicalise to equal values, never by DNS or by guessing what a server would do.
 */
record TargetUrl(String scheme, String host, int port, List<String> segments) {

    private static final Pattern IPV6_LITERAL = Pattern.compile("\\[[0-9a-f:.]{2,60}]");

    static Optional<TargetUrl> of(URI uri) {
        if (uri.getScheme() == null || uri.getRawUserInfo() != null) {
            return Optional.empty();
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int defaultPort = switch (scheme) {
            case "http" -> 80;
            case "https" -> 443;
            default -> -1;
        };
        if (defaultPort < 0) {
            return Optional.empty();
        }
        Optional<String> host = canonicalHost(uri.getHost());
        Optional<List<String>> segments = segments(uri.getRawPath());
        if (host.isEmpty() || segments.isEmpty()) {
            return Optional.empty();
        }
        int port = uri.getPort() == -1 ? defaultPort : uri.getPort();
        return Optional.of(new TargetUrl(scheme, host.get(), port, segments.get()));
    }

    /** Lower case, one trailing dot removed, IPv6 literals in full bracketed form; empty when unusable. */
    static Optional<String> canonicalHost(String raw) {
        if (raw == null || raw.isEmpty()) {
            return Optional.empty();
        }
        String host = raw.toLowerCase(Locale.ROOT);
        if (host.startsWith("[")) {
            if (!IPV6_LITERAL.matcher(host).matches()) {
                return Optional.empty(); // a zone id (%eth0) or anything odd: never equal to a declared target
            }
            try {
                // Only hex digits, colons and dots: InetAddress parses this as a literal, without DNS.
                InetAddress address = InetAddress.getByName(host.substring(1, host.length() - 1));
                String text = address instanceof Inet4Address
                        ? "::ffff:" + address.getHostAddress() : address.getHostAddress();
                return Optional.of("[" + text + "]");
            } catch (UnknownHostException e) {
                return Optional.empty();
            }
        }
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        if (host.isEmpty() || host.endsWith(".") || host.startsWith(".")) {
            return Optional.empty();
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.')) {
                return Optional.empty();
            }
        }
        return Optional.of(host);
    }

    /** The decoded path segments without the leading empty one; empty when the path is unusable. */
    static Optional<List<String>> segments(String rawPath) {
        List<String> segments = new ArrayList<>();
        if (rawPath == null || rawPath.isEmpty() || rawPath.equals("/")) {
            return Optional.of(segments);
        }
        if (!rawPath.startsWith("/")) {
            return Optional.empty();
        }
        for (String raw : rawPath.substring(1).split("/", -1)) {
            Optional<String> decoded = decode(raw);
            if (decoded.isEmpty()) {
                return Optional.empty();
            }
            String segment = decoded.get();
            int params = segment.indexOf(';');
            String base = params < 0 ? segment : segment.substring(0, params);
            if (base.equals(".") || base.equals("..") || segment.indexOf('/') >= 0 || segment.indexOf('\\') >= 0
                    || segment.indexOf('%') >= 0) {
                return Optional.empty();
            }
            segments.add(segment);
        }
        return Optional.of(segments);
    }

    private static Optional<String> decode(String raw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int i = 0;
        while (i < raw.length()) {
            int c = raw.codePointAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return Optional.empty();
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return Optional.empty();
                }
                bytes.write(hi * 16 + lo);
                i += 3;
            } else {
                byte[] utf8 = new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8);
                bytes.write(utf8, 0, utf8.length);
                i += Character.charCount(c);
            }
        }
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
            for (int j = 0; j < text.length(); j++) {
                if (Character.isISOControl(text.charAt(j))) {
                    return Optional.empty();
                }
            }
            return Optional.of(text);
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    /** True when {@code prefix} is this path's first segments (a trailing empty segment of the prefix ignored). */
    boolean pathStartsWith(List<String> prefix) {
        List<String> wanted = !prefix.isEmpty() && prefix.get(prefix.size() - 1).isEmpty()
                ? prefix.subList(0, prefix.size() - 1) : prefix;
        return segments.size() >= wanted.size() && segments.subList(0, wanted.size()).equals(wanted);
    }

    /** {@code scheme://host:port}, for messages (no path: it may be long or odd). */
    String origin() {
        return scheme + "://" + host + ":" + port;
    }
}
