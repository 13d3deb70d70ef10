package dev.healthmon.secrets;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The secrets a monitor's operator declared ({@code monitor --secrets-file}), by name. A
 * registration may only name one of these in {@code auth.secretRef}, and its request URL must be
 * within the secret's allowed targets: registry writers are untrusted, so they choose neither
 * where a secret comes from nor where it goes. Immutable; thread-safe.
 *
 * <p>The file (YAML, or JSON which is YAML too):
 * <pre>
 * secrets:
 *   team-a-token:
 *     source: env:TEAM_A_TOKEN
 *     allowedTargets:
 *       - https://api.team-a.internal:8443/health
 *       - "*.team-a.svc.cluster.local"
 * </pre>
 */
public final class SecretCatalog {

    /** What {@code auth.secretRef} may hold: a secret's name, never a source or a value. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    /** No secrets: every registration with {@code auth} is refused. */
    public static final SecretCatalog EMPTY = new SecretCatalog(Map.of());

    private static final Set<String> ENTRY_FIELDS = Set.of("source", "allowedTargets");
    private final Map<String, DeclaredSecret> byName;

    private SecretCatalog(Map<String, DeclaredSecret> byName) {
        this.byName = Map.copyOf(byName);
    }

    public static SecretCatalog of(DeclaredSecret... secrets) {
        Map<String, DeclaredSecret> byName = new LinkedHashMap<>();
        for (DeclaredSecret secret : secrets) {
            if (byName.put(secret.name(), secret) != null) {
                throw new IllegalArgumentException("secret " + secret.name() + " is declared twice");
            }
        }
        return new SecretCatalog(byName);
    }

    public Optional<DeclaredSecret> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public Set<String> names() {
        return byName.keySet();
    }

    /**
     * Why a secret named {@code name} may not be sent in a request to {@code url}, or empty when it
     * may. The reason never repeats {@code name} when it is not declared: a registry writer may have
     * pasted a real secret there.
     */
    public Optional<String> refusal(String name, URI url) {
        DeclaredSecret secret = byName.get(name);
        if (secret == null) {
            return Optional.of("the named secret is not declared by this monitor's operator (--secrets-file); "
                    + "the name is not repeated here in case it is a secret itself");
        }
        if (!secret.admits(url)) {
            String where = TargetUrl.of(url).map(TargetUrl::origin).orElse("this url (it cannot be matched safely)");
            return Optional.of("secret " + name + " may not be sent to " + where + ": not within its allowedTargets");
        }
        return Optional.empty();
    }

    /**
     * Reads a secrets file. Nothing is resolved here: values are read at each check.
     *
     * @throws IllegalArgumentException naming the file, the entry and the field that is wrong
     */
    public static SecretCatalog load(Path file) {
        JsonNode root;
        try {
            // A name declared twice must not silently take the last entry's targets.
            ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
                    .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            root = yaml.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("--secrets-file " + file + ": not valid YAML or JSON: "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("--secrets-file " + file + ": cannot read it: " + e.getMessage());
        }
        String where = "--secrets-file " + file + ": ";
        if (root == null || !root.isObject() || root.size() != 1 || !root.has("secrets")
                || !root.get("secrets").isObject()) {
            throw new IllegalArgumentException(where
                    + "must hold one key, secrets, mapping names to {source, allowedTargets}");
        }
        List<DeclaredSecret> secrets = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : root.get("secrets").properties()) {
            secrets.add(entry(where + "secrets." + entry.getKey(), entry.getKey(), entry.getValue()));
        }
        return of(secrets.toArray(DeclaredSecret[]::new));
    }

    private static DeclaredSecret entry(String where, String name, JsonNode node) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(where + ": the name must match " + NAME.pattern());
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + ": must be an object with source and allowedTargets");
        }
        node.fieldNames().forEachRemaining(field -> {
            if (!ENTRY_FIELDS.contains(field)) {
                throw new IllegalArgumentException(where + "." + field
                        + ": unknown field (expected source, allowedTargets)");
            }
        });
        JsonNode source = node.get("source");
        if (source == null || !source.isTextual()) {
            throw new IllegalArgumentException(where + ".source: required, env:NAME or file:/absolute/path");
        }
        SecretSource parsed;
        try {
            parsed = SecretSource.parse(source.textValue());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ".source: " + e.getMessage());
        }
        JsonNode targets = node.get("allowedTargets");
        if (targets == null || !targets.isArray() || targets.isEmpty()) {
            throw new IllegalArgumentException(where + ".allowedTargets: required, a list of at least one URL prefix "
                    + "or host pattern");
        }
        List<AllowedTarget> allowed = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            JsonNode target = targets.get(i);
            String field = where + ".allowedTargets[" + i + "]: ";
            if (!target.isTextual()) {
                throw new IllegalArgumentException(field + "must be a string");
            }
            try {
                allowed.add(AllowedTarget.parse(target.textValue().strip()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(field + "\"" + target.textValue() + "\": " + e.getMessage());
            }
        }
        return new DeclaredSecret(name, parsed, allowed);
    }
}
