package dev.healthmon.registration;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/** The request an {@code mcp} check sends after {@code initialize} ({@code healthCheck.mcpMethod}). */
public enum McpMethod {
    /** The cheapest request every MCP server must answer. */
    PING("ping"),
    /** Proves the server can serve its tools; only sent when the server advertised the tools capability. */
    TOOLS_LIST("tools/list");

    private final String wireName;

    McpMethod(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    public static Optional<McpMethod> fromWire(String name) {
        return Arrays.stream(values()).filter(m -> m.wireName.equals(name)).findFirst();
    }
}
