package dev.healthmon.probe;

import java.io.IOException;
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
            try {
                String content = Files.readString(Path.of(secretRef.substring(5)), StandardCharsets.UTF_8);
                return Optional.of(content.strip()).filter(s -> !s.isEmpty());
            } catch (IOException | SecurityException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }
}
