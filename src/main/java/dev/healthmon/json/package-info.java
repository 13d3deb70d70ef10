/**
 * The one Jackson configuration of healthmon's records ({@link dev.healthmon.json.Json}): how
 * optionals, times and maps are written. The records carry their own field names and order as
 * annotations, next to their components; this package knows none of them, so every layer can use
 * it. Depends on no other healthmon package.
 */
package dev.healthmon.json;
