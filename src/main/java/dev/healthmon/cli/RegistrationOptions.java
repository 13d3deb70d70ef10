package dev.healthmon.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** A registration given by flags; {@link RegisterCommand} turns it into JSON and validates it like any other. */
final class RegistrationOptions {

    @Option(names = "--id", required = true, description = "Backend id, [A-Za-z0-9._-]{1,200}; the record key.")
    String id;

    @Option(names = "--name", description = "Human name (default: the id).")
    String name;

    @Option(names = "--url", required = true, description = "http(s) URL of the backend.")
    String url;

    @Option(names = "--transport", defaultValue = "http",
            description = "streamable-http, sse or http (default ${DEFAULT-VALUE}).")
    String transport;

    @Option(names = "--check-type", description = "mcp, http or tcp (default from transport).")
    String checkType;

    @Option(names = "--path", description = "Path appended to the URL for http checks, e.g. /healthz.")
    String path;

    @Option(names = "--expect-status", description = "Accepted HTTP statuses, e.g. 200-399 or 200,204.")
    String expectStatus;

    @Option(names = "--mcp-method", description = "mcp checks: ping (default) or tools/list.")
    String mcpMethod;

    @Option(names = "--mcp-session", description = "mcp checks: reuse (default) or fresh.")
    String mcpSession;

    @Option(names = "--interval-ms")
    Long intervalMs;

    @Option(names = "--timeout-ms")
    Long timeoutMs;

    @Option(names = "--degraded-latency-ms")
    Long degradedLatencyMs;

    @Option(names = "--unhealthy-threshold")
    Integer unhealthyThreshold;

    @Option(names = "--healthy-threshold")
    Integer healthyThreshold;

    @Option(names = "--auth-type", description = "bearer or header.")
    String authType;

    @Option(names = "--auth-header", description = "Header name for --auth-type header.")
    String authHeader;

    @Option(names = "--secret-ref",
            description = "Name of a secret the monitor's operator declared (--secrets-file); never the credential.")
    String secretRef;

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "Repeatable, e.g. --label team=payments.")
    Map<String, String> labels = new LinkedHashMap<>();
}
