package dev.healthmon.registration;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/** How clients talk to a backend, as registered; decides the default check type. */
public enum Transport {
    STREAMABLE_HTTP("streamable-http", CheckType.MCP),
    SSE("sse", CheckType.MCP),
    HTTP("http", CheckType.HTTP);

    private final String wireName;
    private final CheckType defaultCheck;

    Transport(String wireName, CheckType defaultCheck) {
        this.wireName = wireName;
        this.defaultCheck = defaultCheck;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    public CheckType defaultCheck() {
        return defaultCheck;
    }

    public static Optional<Transport> fromWire(String name) {
        return Arrays.stream(values()).filter(t -> t.wireName.equals(name)).findFirst();
    }
}
