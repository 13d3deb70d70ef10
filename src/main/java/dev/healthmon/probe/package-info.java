/**
 * One check of one backend: HTTP (healthmon's own client, TLS over {@code SSLEngine}), MCP (the MCP
 * Java SDK, pinned to the vetted address) and TCP. A probe connects only to an address the target policy
 * admitted and is bounded by the check's timeout; it knows nothing of Kafka or of schedules.
 */
package dev.healthmon.probe;
