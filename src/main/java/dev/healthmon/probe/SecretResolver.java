package dev.healthmon.probe;

import dev.healthmon.registration.AuthSpec;
import dev.healthmon.secrets.DeclaredSecret;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.secrets.SecretSource;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;

/**
 * Resolves a registration's {@code auth} to the header to send, at check time. The registration
 * only NAMES a secret; the {@link SecretCatalog} the operator declared says where its value lives
 * ({@code env:NAME}, or {@code file:/path} re-read at every check so a rotated file is picked up)
 * and which targets it may be sent to. The binding is checked here again before anything is read,
 * although the monitor already dead-letters registrations that break it: a value is never
 * resolved for a request it may not go with. The secret is returned to the caller only; it is
 * never logged, and errors name the secret, never a value. Thread-safe.
 */
public final class SecretResolver {

    /** Secrets are tokens and keys, not files: a larger file is refused rather than read. */
    public static final int MAX_SECRET_BYTES = 8 * 1024;

    private final SecretCatalog catalog;
    private final Function<String, String> environment;

    public SecretResolver(SecretCatalog catalog) {
        this(catalog, System::getenv);
    }

    public SecretResolver(SecretCatalog catalog, Function<String, String> environment) {
        this.catalog = catalog;
        this.environment = environment;
    }

    /** @return the secret's current value, or empty when its source holds nothing usable */
    public Optional<String> resolve(SecretSource source) {
        return switch (source.kind()) {
            case ENV -> Optional.ofNullable(environment.apply(source.locator())).filter(s -> !s.isEmpty());
            case FILE -> readSmallRegularFile(source.locator());
        };
    }

    /** The header a registration's {@code auth} sends: its name and the resolved value. Never log it. */
    public record Credential(String header, String value) {
        @Override
        public String toString() {
            return "Credential[header=" + header + ", value=<redacted>]";
        }
    }

    /** Why a credential cannot be sent; the message names the rule or the secret, never a value. */
    public static final class UnusableSecretException extends Exception {
        UnusableSecretException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Resolves {@code auth} to the header to send in a request to {@code target}:
     * {@code Authorization: Bearer <secret>} or the named header with the secret as its value.
     *
     * @throws UnusableSecretException when the secret is not declared, not bound to {@code target},
     *         missing, or not a valid header value (nothing is read in the first two cases)
     */
    public Credential credential(AuthSpec auth, URI target) throws UnusableSecretException {
        Optional<String> refusal = catalog.refusal(auth.secretRef(), target);
        if (refusal.isPresent()) {
            throw new UnusableSecretException("auth.secretRef: " + refusal.get());
        }
        DeclaredSecret declared = catalog.find(auth.secretRef()).orElseThrow();
        Optional<String> secret = resolve(declared.source());
        if (secret.isEmpty()) {
            throw new UnusableSecretException("secret " + declared.name()
                    + " is missing, empty, not a regular file or over 8 KiB");
        }
        String value = auth.type() == AuthSpec.Type.BEARER ? "Bearer " + secret.get() : secret.get();
        if (!headerSafe(value)) {
            // Never pass it on: the JDK's error message would quote the secret.
            throw new UnusableSecretException("secret " + declared.name()
                    + " holds characters not allowed in an HTTP header");
        }
        return new Credential(auth.header(), value);
    }

    /**
     * Reads at most {@link #MAX_SECRET_BYTES}; anything but a regular file (a pipe that would block
     * the scheduler, a device) counts as missing.
     */
    private static Optional<String> readSmallRegularFile(String file) {
        try {
            Path path = Path.of(file);
            if (!Files.isRegularFile(path)) {
                return Optional.empty();
            }
            try (InputStream in = Files.newInputStream(path)) {
                byte[] bytes = in.readNBytes(MAX_SECRET_BYTES + 1);
                if (bytes.length > MAX_SECRET_BYTES) {
                    return Optional.empty();
                }
                return Optional.of(new String(bytes, StandardCharsets.UTF_8).strip()).filter(s -> !s.isEmpty());
            }
        } catch (IOException | SecurityException | InvalidPathException e) {
            return Optional.empty();
        }
    }

    /**
     * True when {@code value} may be sent as an HTTP header value (visible ASCII, space, tab). The
     * JDK's own check quotes the value in its error message, so callers check first and report
     * without it.
     */
    public static boolean headerSafe(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != '\t' && (c < 0x20 || c > 0x7e)) {
                return false;
            }
        }
        return true;
    }
}
