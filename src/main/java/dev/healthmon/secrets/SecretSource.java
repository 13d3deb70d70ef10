package dev.healthmon.secrets;

import java.util.regex.Pattern;

/**
 * Where a declared secret's value lives, as the monitor's operator wrote it in the secrets file:
 * {@code env:NAME} (an environment variable of the monitor) or {@code file:/absolute/path} (read at
 * every check, so a rotated file is picked up). Registrations never see or choose a source.
 *
 * @param kind     ENV or FILE
 * @param locator  the variable name or the absolute path
 */
public record SecretSource(Kind kind, String locator) {

    public enum Kind { ENV, FILE }

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,199}");

    /**
     * Parses {@code env:NAME} or {@code file:/absolute/path}.
     *
     * @throws IllegalArgumentException saying what is wrong (the text is operator configuration, not a secret)
     */
    public static SecretSource parse(String text) {
        if (text.startsWith("env:")) {
            String name = text.substring(4);
            if (!ENV_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("env: must be followed by a variable name [A-Za-z_][A-Za-z0-9_]*");
            }
            return new SecretSource(Kind.ENV, name);
        }
        if (text.startsWith("file:")) {
            String path = text.substring(5);
            if (!path.startsWith("/") || path.length() > 4000 || path.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("file: must be followed by an absolute path");
            }
            return new SecretSource(Kind.FILE, path);
        }
        throw new IllegalArgumentException("must be env:NAME or file:/absolute/path");
    }

    @Override
    public String toString() {
        return (kind == Kind.ENV ? "env:" : "file:") + locator;
    }
}
