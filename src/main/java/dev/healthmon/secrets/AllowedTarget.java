package dev.healthmon.secrets;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One place a declared secret may be sent to, as the operator wrote it in {@code allowedTargets}:
 * <ul>
 *   <li>a URL prefix, {@code https://api.team-a.internal:8443/health}: same scheme, host and port
 *       (the scheme's default when left out), and a path that starts with the prefix's path on a
 *       segment boundary ({@code /health} admits {@code /health} and {@code /health/live}, not
 *       {@code /healthz});</li>
 *   <li>a host pattern, {@code *.team-a.svc.cluster.local} (any subdomain, not the domain itself;
 *       the domain has at least two labels)
 *       or one exact host, {@code api.team-a.internal}: any scheme, any port, any path.</li>
 * </ul>
 * Matching compares canonical forms ({@link TargetUrl}); a URL that could be read two ways
 * matches nothing.
 */
public sealed interface AllowedTarget {

    /** True when a secret bound to this target may be sent in a request to {@code url}. */
    boolean admits(URI url);

    /**
     * Parses one {@code allowedTargets} entry.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    static AllowedTarget parse(String text) {
        return text.contains("://") ? UrlPrefix.parse(text) : HostPattern.parse(text);
    }

    /** Scheme, host and port equal; the path within the prefix's path. */
    record UrlPrefix(String text, TargetUrl prefix) implements AllowedTarget {

        static UrlPrefix parse(String text) {
            URI uri;
            try {
                uri = new URI(text);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("not a valid URL: " + e.getReason());
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new IllegalArgumentException("a URL prefix has no query or fragment");
            }
            if (uri.getRawUserInfo() != null) {
                throw new IllegalArgumentException("a URL prefix has no user info");
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException("scheme must be http or https");
            }
            TargetUrl prefix = TargetUrl.of(uri).orElseThrow(() -> new IllegalArgumentException(
                    "host or path cannot be matched safely (no host, IPv6 zone, . or .. or encoded / in the path)"));
            return new UrlPrefix(text, prefix);
        }

        @Override
        public boolean admits(URI url) {
            return TargetUrl.of(url).filter(t -> t.scheme().equals(prefix.scheme()) && t.host().equals(prefix.host())
                    && t.port() == prefix.port() && t.pathStartsWith(prefix.segments())).isPresent();
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /**
     * {@code *.suffix}: a host that ends with {@code .suffix}; or one exact host. Any scheme, port and path.
     *
     * @param suffix the domain after {@code *.}, or empty for an exact host
     * @param host   the exact host, or empty for a wildcard
     */
    record HostPattern(String text, String suffix, String host) implements AllowedTarget {

        private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

        static HostPattern parse(String text) {
            if (text.startsWith("*.")) {
                String suffix = TargetUrl.canonicalHost(text.substring(2)).orElse("");
                List<String> labels = List.of(suffix.split("\\.", -1));
                // At least two labels: "*.com" would hand the secret to half the internet.
                if (labels.size() < 2 || !labels.stream().allMatch(l -> LABEL.matcher(l).matches())
                        || labels.get(labels.size() - 1).chars().allMatch(Character::isDigit)) {
                    throw new IllegalArgumentException("*. must be followed by a DNS domain of at least two labels, "
                            + "such as team-a.svc.cluster.local");
                }
                return new HostPattern(text, suffix, "");
            }
            if (text.contains("*") || text.contains("/")) {
                throw new IllegalArgumentException("a host pattern is *.domain or one host name; a URL prefix starts "
                        + "with http:// or https://");
            }
            String host = TargetUrl.canonicalHost(text).orElseThrow(() -> new IllegalArgumentException(
                    "not a host name, IPv4 address or [IPv6] literal"));
            return new HostPattern(text, "", host);
        }

        @Override
        public boolean admits(URI url) {
            return TargetUrl.of(url).filter(t -> host.isEmpty()
                    ? t.host().endsWith("." + suffix) && !t.host().startsWith("[")
                    : t.host().equals(host)).isPresent();
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
