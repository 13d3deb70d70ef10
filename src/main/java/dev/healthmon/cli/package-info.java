/**
 * The {@code healthmon} command line (picocli): {@code monitor}, {@code aggregate}, {@code demo},
 * {@code topics}, {@code register}, {@code deregister}, {@code status}, {@code tail}, {@code acls},
 * {@code sample-backends}. Each command turns
 * its options into a configuration and hands it to a composition root; nothing else depends on this package.
 */
package dev.healthmon.cli;
