package dev.healthmon.registration;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * How a probe authenticates. The registration names a secret the monitor's operator declared
 * (its source and allowed targets live in the monitor's secrets file), never the secret itself
 * nor where it is stored.
 *
 * @param type      BEARER sends {@code Authorization: Bearer <secret>}; HEADER sends {@code header: <secret>}
 * @param header    the header name; for BEARER always {@code Authorization}
 * @param secretRef the name of a declared secret, {@code [A-Za-z0-9._-]{1,100}}
 */
public record AuthSpec(Type type, String header, String secretRef) {

    /** In JSON lower case, as the schema spells them. */
    public enum Type {
        @JsonProperty("bearer") BEARER,
        @JsonProperty("header") HEADER
    }

    public AuthSpec {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(secretRef, "secretRef");
    }

    @Override
    public String toString() {
        // secretRef is a name, not a value (the codec refuses anything else), but keep logs obviously secret-free.
        return "AuthSpec[type=" + type + ", header=" + header + ", secretRef=" + secretRef + "]";
    }
}
