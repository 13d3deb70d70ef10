package dev.healthmon.probe;

import dev.healthmon.registry.AuthSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;

/**
 * Resolves a registration's {@code secretRef} to the secret at check time: {@code env:NAME}
 * reads the environment, {@code file:/path} reads the file (trailing newline removed), so a
 * rotated file is picked up by the next check. The secret is returned to the caller only; it is
 * never logged, and errors name the reference, never a value. Thread-safe.
 */
public final class SecretResolver {

    /** Secrets are tokens and keys, not files: a larger file is refused rather than read. */
    public static final int MAX_SECRET_BYTES = 8 * 1024;

    private final Function<String, String> environment;

    public SecretResolver() {
        this(System::getenv);
    }

    public SecretResolver(Function<String, String> environment) {
        this.environment = environment;
    }

    /** @return the secret, or empty when the reference points at nothing */
    public Optional<String> resolve(String secretRef) {
        if (secretRef.startsWith("env:")) {
            return Optional.ofNullable(environment.apply(secretRef.substring(4))).filter(s -> !s.isEmpty());
        }
        if (secretRef.startsWith("file:")) {
            return readSmallRegularFile(Path.of(secretRef.substring(5)));
        }
        return Optional.empty();
    }

    /** The header a registration's {@code auth} sends: its name and the resolved value. Never log it. */
    public record Credential(String header, String value) {
        @Override
        public String toString() {
            return "Credential[header=" + header + ", value=<redacted>]";
        }
    }

    /** Why a credential cannot be sent; the message names the reference, never a value. */
    public static final class UnusableSecretException extends Exception {
        UnusableSecretException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Resolves {@code auth} to the header to send: {@code Authorization: Bearer <secret>} or the
     * named header with the secret as its value.
     */
    public Credential credential(AuthSpec auth) throws UnusableSecretException {
        Optional<String> secret = resolve(auth.secretRef());
        if (secret.isEmpty()) {
            throw new UnusableSecretException("secret " + auth.secretRef()
                    + " is missing, empty, not a regular file or over 8 KiB");
        }
        String value = auth.type() == AuthSpec.Type.BEARER ? "Bearer " + secret.get() : secret.get();
        if (!headerSafe(value)) {
            // Never pass it on: the JDK's error message would quote the secret.
            throw new UnusableSecretException("secret " + auth.secretRef() + " holds characters not allowed in an HTTP header");
        }
        return new Credential(auth.header(), value);
    }

    /**
     * Reads at most {@link #MAX_SECRET_BYTES}; anything but a regular file (a pipe that would block
     * the scheduler, a device) counts as missing.
     */
    private static Optional<String> readSmallRegularFile(Path path) {
        try {
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
        } catch (IOException | SecurityException | java.nio.file.InvalidPathException e) {
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
