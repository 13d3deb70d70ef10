package dev.healthmon.aggregate;

import dev.healthmon.status.Outcome;
import java.time.Instant;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.RandomAccess;

/**
 * A backend's recent checks as its {@code statuses} store value holds them (field 6 of {@link StatusStoreCodec}:
 * a count, then per check its time as milliseconds after the one before, its outcome and its latency), made
 * objects only when asked for. Each event appends one check, and used to decode all thirty into objects, copy
 * them twice and encode them back (docs/BENCHMARKS.md); {@link #append} now works on the bytes: the new check
 * after them, and once there are {@link RecentChecks#CAPACITY}, the oldest cut off with the next one's time made
 * absolute.
 *
 * <p>Immutable. Threading: as {@link StoredHistory}.
 */
final class StoredChecks extends AbstractList<RecentChecks.Check> implements RandomAccess {

    private final byte[] body;
    private final int size;
    /** Where the checks start: after the count. */
    private final int first;
    /** Where the second check starts; the body's length when there is none. */
    private final int second;
    private final long firstMs;
    private final long lastMs;
    private volatile List<RecentChecks.Check> decoded;

    private StoredChecks(byte[] body, int size, int first, int second, long firstMs, long lastMs) {
        this.body = body;
        this.size = size;
        this.first = first;
        this.second = second;
        this.firstMs = firstMs;
        this.lastMs = lastMs;
    }

    /**
     * Reads field 6's body, checking every part. A body of more than {@link RecentChecks#CAPACITY} checks (written
     * with another capacity) is read as objects, which keep the newest.
     *
     * @throws IllegalArgumentException for a malformed body
     */
    static RecentChecks read(StoreBytes.Reader r) {
        int from = r.position();
        StoredChecks stored = scan(r, from);
        if (stored.size > RecentChecks.CAPACITY) {
            return new RecentChecks(new ArrayList<>(stored));
        }
        return new RecentChecks(stored);
    }

    /** Reads a body from {@code from} (where {@code r} stands) to its last check. */
    private static StoredChecks scan(StoreBytes.Reader r, int from) {
        int n = r.count();
        int first = r.position() - from;
        int second = first;
        long firstMs = 0;
        long at = 0;
        for (int i = 0; i < n; i++) {
            at += r.number();
            r.name(Outcome.class);
            r.unsigned();
            if (i == 0) {
                firstMs = at;
                second = r.position() - from;
            }
        }
        byte[] body = r.copySince(from);
        return new StoredChecks(body, n, first, n > 0 ? second : body.length, firstMs, at);
    }

    /** These checks and {@code check} after them; the oldest falls out once there are {@link RecentChecks#CAPACITY}. */
    StoredChecks append(RecentChecks.Check check) {
        StoreBytes.Writer w = new StoreBytes.Writer();
        if (size < RecentChecks.CAPACITY) {
            w.unsigned(size + 1).bytes(body, first, body.length);
        } else {
            StoreBytes.Reader next = new StoreBytes.Reader(body, second);
            long secondMs = firstMs + next.number();
            w.unsigned(size).number(secondMs).bytes(body, next.position(), body.length);
        }
        long ms = check.at().toEpochMilli();
        w.number(ms - lastMs).name(check.outcome()).unsigned(check.latencyMs());
        byte[] appended = w.toByteArray();
        return scan(new StoreBytes.Reader(appended, 0), 0);
    }

    /** Writes the body as it is. */
    void writeTo(StoreBytes.Writer w) {
        w.bytes(body, 0, body.length);
    }

    @Override
    public RecentChecks.Check get(int index) {
        return decoded().get(index);
    }

    @Override
    public int size() {
        return size;
    }

    private List<RecentChecks.Check> decoded() {
        List<RecentChecks.Check> d = decoded;
        if (d == null) {
            StoreBytes.Reader r = new StoreBytes.Reader(body, 0);
            int n = r.count();
            List<RecentChecks.Check> list = new ArrayList<>(n);
            long at = 0;
            for (int i = 0; i < n; i++) {
                at += r.number();
                list.add(new RecentChecks.Check(Instant.ofEpochMilli(at), r.name(Outcome.class), r.unsigned()));
            }
            d = List.copyOf(list);
            decoded = d;
        }
        return d;
    }
}
