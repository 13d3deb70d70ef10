package dev.healthmon.secrets;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * A secret the monitor's operator declared: its name (what registrations write in
 * {@code auth.secretRef}), where its value lives, and where it may be sent.
 *
 * @param allowedTargets at least one; a request URL must be admitted by one of them
 */
public record DeclaredSecret(String name, SecretSource source, List<AllowedTarget> allowedTargets) {

    public DeclaredSecret {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        allowedTargets = List.copyOf(allowedTargets);
        if (allowedTargets.isEmpty()) {
            throw new IllegalArgumentException("allowedTargets: at least one target is required");
        }
    }

    public boolean admits(URI url) {
        return allowedTargets.stream().anyMatch(target -> target.admits(url));
    }
}
