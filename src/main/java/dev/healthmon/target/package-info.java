/**
 * Where a probe may connect: {@link dev.healthmon.target.TargetPolicy} judges an address against
 * denied ranges (metadata endpoints always; private ranges by the operator's choice), seeing
 * through IPv4-embedding IPv6 forms (docs/security.md). Pure; no I/O, no DNS.
 */
package dev.healthmon.target;
