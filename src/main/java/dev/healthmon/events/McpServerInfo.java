package dev.healthmon.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * What an MCP server said about itself in {@code initialize}: the protocol version negotiated
 * with us and its {@code serverInfo}. Published in {@code HealthEvent.mcp}.
 */
public record McpServerInfo(@JsonProperty(required = true) String protocolVersion,
                            @JsonProperty(required = true) String serverName,
                            @JsonProperty(required = true) String serverVersion) {

    public McpServerInfo {
        Objects.requireNonNull(protocolVersion, "protocolVersion");
        Objects.requireNonNull(serverName, "serverName");
        Objects.requireNonNull(serverVersion, "serverVersion");
    }
}
