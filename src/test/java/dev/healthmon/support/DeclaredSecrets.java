package dev.healthmon.support;

import dev.healthmon.secrets.AllowedTarget;
import dev.healthmon.secrets.DeclaredSecret;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.secrets.SecretSource;
import java.util.Arrays;
import java.util.List;

/** Secrets declared for tests, as an operator would in {@code --secrets-file}. */
public final class DeclaredSecrets {

    private DeclaredSecrets() {}

    /** {@code name} read from {@code source} ({@code env:…}/{@code file:…}), allowed to loopback servers only. */
    public static DeclaredSecret toLoopback(String name, String source) {
        return new DeclaredSecret(name, SecretSource.parse(source), List.of(AllowedTarget.parse("127.0.0.1"),
                AllowedTarget.parse("localhost"), AllowedTarget.parse("[::1]")));
    }

    /** {@code name} read from {@code source}, allowed to {@code targets} (URL prefixes or host patterns). */
    public static DeclaredSecret to(String name, String source, String... targets) {
        return new DeclaredSecret(name, SecretSource.parse(source),
                Arrays.stream(targets).map(AllowedTarget::parse).toList());
    }

    public static SecretCatalog catalog(DeclaredSecret... secrets) {
        return SecretCatalog.of(secrets);
    }
}
