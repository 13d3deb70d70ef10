package dev.healthmon.registry;

import java.util.Comparator;

/**
 * A record's claim on a backend id when the id is live in more than one registry partition: the
 * newer claim wins — the later record timestamp, and on equal timestamps the higher partition
 * number — so every instance and every restart picks the same one whatever order the partitions
 * are read in.
 *
 * @param tombstone true when the record is a deregistration
 */
record Claim(long timestamp, int partition, long offset, boolean tombstone) implements Comparable<Claim> {

    private static final Comparator<Claim> ORDER =
            Comparator.comparingLong(Claim::timestamp).thenComparingInt(Claim::partition);

    @Override
    public int compareTo(Claim other) {
        return ORDER.compare(this, other);
    }

    boolean newerThan(Claim other) {
        return compareTo(other) > 0;
    }

    String where() {
        return partition + "@" + offset + " (timestamp " + timestamp + ")";
    }
}
