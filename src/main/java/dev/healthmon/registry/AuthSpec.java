package dev.healthmon.registry;

import java.util.Objects;

/**
 * How a probe authenticates. The registration names where the secret lives ({@code env:NAME} or
 * {@code file:/path}), never the secret itself.
 *
 * @param type      BEARER sends {@code Authorization: Bearer <secret>}; HEADER sends {@code header: <secret>}
 * @param header    the header name; for BEARER always {@code Authorization}
 * @param secretRef {@code env:NAME} or {@code file:/absolute/path}
 */
public record AuthSpec(Type type, String header, String secretRef) {

    public enum Type { BEARER, HEADER }

    public AuthSpec {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(secretRef, "secretRef");
    }

    @Override
    public String toString() {
        // secretRef names a location, not a value, but keep logs short and obviously secret-free.
        return "AuthSpec[type=" + type + ", header=" + header + ", secretRef=" + secretRef + "]";
    }
}
