package dev.healthmon.aggregate;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.RandomAccess;

/**
 * A backend's transitions as its {@code statuses} store value holds them (field 5 of {@link StatusStoreCodec}):
 * checked when read, made objects only when asked for. Almost no event adds a transition, and each used to
 * decode the whole history into objects and encode it back unchanged (docs/BENCHMARKS.md, "the status value's
 * allocations"); the fold now carries these bytes through and the codec writes them back as they are.
 *
 * <p>Immutable. Threading: the objects are made on first use, at most once per thread that races to it (each
 * makes equal ones), so a query thread may read an instance the stream thread made.
 */
final class StoredHistory extends AbstractList<StatusTransition> implements RandomAccess {

    private final byte[] body;
    private final BackendStatus view;
    private final int size;
    private volatile List<StatusTransition> decoded;

    private StoredHistory(byte[] body, BackendStatus view, int size) {
        this.body = body;
        this.view = view;
        this.size = size;
    }

    /**
     * Reads field 5's body (a count, then the transitions) for {@code view}, whose id, name and labels the
     * transitions without their own take. Every part is checked as the objects' reading would check it.
     *
     * @throws IllegalArgumentException for a malformed body, as {@link StatusStoreCodec} does
     */
    static StoredHistory read(StoreBytes.Reader r, BackendStatus view) {
        if (view == null) {
            throw new IllegalArgumentException("status store value has its history before its view");
        }
        int from = r.position();
        int n = r.count();
        for (int i = 0; i < n; i++) {
            StatusStoreCodec.skipTransition(r);
        }
        return new StoredHistory(r.copySince(from), view, n);
    }

    /** Whether the bytes mean the same under {@code other}: transitions without their own id, name, labels. */
    boolean writableFor(BackendStatus other) {
        return other.id().equals(view.id()) && other.name().equals(view.name()) && other.labels().equals(view.labels());
    }

    /** Writes the body as it was read. */
    void writeTo(StoreBytes.Writer w) {
        w.bytes(body, 0, body.length);
    }

    @Override
    public StatusTransition get(int index) {
        return decoded().get(index);
    }

    @Override
    public int size() {
        return size;
    }

    private List<StatusTransition> decoded() {
        List<StatusTransition> d = decoded;
        if (d == null) {
            StoreBytes.Reader r = new StoreBytes.Reader(body, 0);
            int n = r.count();
            List<StatusTransition> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                list.add(StatusStoreCodec.transition(r, view));
            }
            d = List.copyOf(list);
            decoded = d;
        }
        return d;
    }
}
