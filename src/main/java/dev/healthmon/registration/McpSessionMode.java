package dev.healthmon.registration;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** How an {@code mcp} check treats its MCP session ({@code healthCheck.mcpSession}). */
public enum McpSessionMode {
    /**
     * Keep one initialized session per backend; each check is one request on it, and the session
     * is initialized again when the server drops it. Cheap for both sides, and it does not fill
     * the server's log with handshakes.
     */
    REUSE,
    /** Initialize, send the request and close, on every check. */
    FRESH;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<McpSessionMode> fromWire(String name) {
        return Arrays.stream(values()).filter(m -> m.wireName().equals(name)).findFirst();
    }
}
