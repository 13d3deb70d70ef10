package dev.healthmon.registration;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Builds the URL an {@code http} check requests: the registration's URL with {@code healthCheck.path} appended to its
 * path.
 */
public final class HttpTarget {

    private HttpTarget() {}

    /**
     * {@code base} with {@code path} appended to its path; its query and fragment are kept.
     *
     * @throws InvalidRegistrationException naming {@code healthCheck.path} when the result is not a valid URI
     */
    public static URI of(URI base, String path) {
        if (path.isEmpty()) {
            return base;
        }
        String basePath = base.getRawPath() == null ? "" : base.getRawPath();
        String joined = (basePath.endsWith("/") ? basePath.substring(0, basePath.length() - 1) : basePath) + path;
        try {
            URI target = new URI(base.getScheme() + "://" + base.getRawAuthority() + joined
                    + (base.getRawQuery() == null ? "" : "?" + base.getRawQuery()));
            return target;
        } catch (URISyntaxException e) {
            throw new InvalidRegistrationException("healthCheck.path", "does not make a valid URL: " + e.getReason());
        }
    }
}
