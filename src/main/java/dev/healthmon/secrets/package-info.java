/**
 * The secrets a monitor's operator declares ({@code monitor --secrets-file}) and the targets each
 * may be sent to. Registrations only name them (docs/security.md).
 */
package dev.healthmon.secrets;
