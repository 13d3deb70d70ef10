package dev.healthmon.aggregate;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteBufferFeeder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.DateTimeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Another instance's answer, decoded as its bytes arrive: each chunk goes through a non-blocking JSON parser and
 * is let go; each item, once its last token has come, becomes a record. Nothing holds the whole body, a copy of it
 * or a JSON tree of it (docs/design.md §8.6): only the records, the item being read and the parser's state.
 *
 * <p>Refuses (the body fails with an IOException naming the peer, and the exchange is cancelled) an answer of
 * more than {@code max} bytes, one whose bytes the budget refuses, one that is not JSON, and one whose items the
 * decoder refuses ({@link IllegalArgumentException} or {@link DateTimeException}: the peer's fault, not the
 * caller's).
 *
 * <p>Threading: the HTTP client calls it one signal at a time, as the Flow contract says; it asks for one chunk at a
 * time, so a slow decoder slows the read instead of letting chunks queue up.
 */
final class PeerItems<T> implements HttpResponse.BodySubscriber<List<T>> {

    /** Where the items are in the answer. */
    enum Shape {
        /** The elements of the {@code items} array of a page ({@code {"items": [...], ...}}). */
        PAGE,
        /** The whole answer is one item ({@code GET /api/status/{id}}). */
        ONE
    }

    /** Makes one item's record from its tokens; refuses with IllegalArgumentException or DateTimeException. */
    @FunctionalInterface
    interface Decoder<T> {
        T decode(JsonParser item);
    }

    /** Where the bytes of an answer of unknown length are reserved as they arrive ({@link PeerFanout}). */
    @FunctionalInterface
    interface Budget {
        void reserve(long bytes) throws PeerFanout.OverBudgetException;
    }

    /**
     * The most bytes one item may span. Its tokens are held until its last one has come, at up to ~14× their bytes
     * on the heap (a short string or number per token), so one item of a whole answer's 64 MiB would take the heap;
     * a status, a transition or a backend's recent checks is a few KiB at most (64 labels of 256 characters: ~100 KiB).
     */
    static final long MAX_ITEM_BYTES = 1024 * 1024;

    /** The page fields kept besides the items ({@link #fields()}). */
    private static final Set<String> FIELDS = Set.of("total", "scope");

    private final ObjectMapper mapper;
    private final Budget budget;
    private final Shape shape;
    private final Decoder<T> decode;
    private final long max;
    private final String peer;
    private final CompletableFuture<List<T>> body = new CompletableFuture<>();
    private final List<T> items = new ArrayList<>();
    /** The page's scalar fields named in {@link #FIELDS}, as text; complete once {@link #getBody()} is. */
    private final Map<String, String> fields = new HashMap<>();
    private final JsonParser parser;
    private final ByteBufferFeeder feeder;
    private Flow.Subscription subscription;
    private long received;
    /** Containers of the page open at the parser, outside any item. */
    private int depth;
    private String field;
    private boolean inItems;
    private boolean rootDone;
    /** The tokens of the item being read, until its last one; null between items. */
    private TokenBuffer item;
    private int itemDepth;
    private long itemStart;

    PeerItems(ObjectMapper mapper, Shape shape, Decoder<T> decode, long max, String peer, Budget budget) {
        this.mapper = mapper;
        this.budget = budget;
        this.shape = shape;
        this.decode = decode;
        this.max = max;
        this.peer = peer;
        try {
            this.parser = mapper.getFactory().createNonBlockingByteBufferParser();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // creating a parser reads nothing: not expected
        }
        this.feeder = (ByteBufferFeeder) parser.getNonBlockingInputFeeder();
    }

    /** A body that is refused at once, before any of it is read (the exchange is cancelled). */
    static <R> HttpResponse.BodySubscriber<R> refused(IOException why) {
        return new HttpResponse.BodySubscriber<>() {
            @Override
            public CompletionStage<R> getBody() {
                return CompletableFuture.failedFuture(why);
            }

            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.cancel();
            }

            @Override
            public void onNext(List<ByteBuffer> item) {
            }

            @Override
            public void onError(Throwable throwable) {
            }

            @Override
            public void onComplete() {
            }
        };
    }

    @Override
    public CompletionStage<List<T>> getBody() {
        return body;
    }

    /**
     * The fields of a page besides its items that the query needs ({@code total}, and {@code scope}, which says an
     * instance answered for itself alone), as their text; read once {@link #getBody()} is complete.
     */
    Map<String, String> fields() {
        return Map.copyOf(fields);
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        subscription.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
        if (body.isDone()) {
            return; // refused already: what was in flight when the exchange was cancelled
        }
        try {
            for (ByteBuffer buffer : buffers) {
                received += buffer.remaining();
                if (received > max) {
                    refuse(new IOException(peer + " answered more than " + max + " bytes"));
                    return;
                }
                budget.reserve(buffer.remaining());
                feeder.feedInput(buffer); // read whole by drain(): the parser keeps no reference to it after
                drain();
            }
        } catch (IOException | IllegalArgumentException | DateTimeException e) {
            refuse(e);
            return;
        } catch (RuntimeException e) {
            fail(e); // a fault of this instance's decoder: the query ends with it rather than wait for the deadline
            return;
        }
        subscription.request(1);
    }

    @Override
    public void onError(Throwable error) {
        closeParser();
        body.completeExceptionally(error);
    }

    @Override
    public void onComplete() {
        if (body.isDone()) {
            return;
        }
        try {
            feeder.endOfInput();
            drain();
            if (!rootDone) {
                throw new IOException("the answer ended before its JSON did");
            }
        } catch (IOException | IllegalArgumentException | DateTimeException e) {
            refuse(e);
            return;
        } catch (RuntimeException e) {
            fail(e);
            return;
        }
        closeParser();
        body.complete(items);
    }

    private void drain() throws IOException {
        for (JsonToken token = parser.nextToken(); token != null && token != JsonToken.NOT_AVAILABLE;
                token = parser.nextToken()) {
            onToken(token);
        }
    }

    private void onToken(JsonToken token) throws IOException {
        if (rootDone) {
            throw new IllegalArgumentException("more than one JSON value");
        }
        boolean itemStarts = item == null && !token.isStructEnd()
                && (shape == Shape.ONE ? depth == 0 : inItems && depth == 2);
        if (itemStarts) {
            item = new TokenBuffer(parser);
            itemDepth = 0;
            itemStart = parser.currentTokenLocation().getByteOffset();
        }
        if (item != null) {
            if (parser.currentLocation().getByteOffset() - itemStart > MAX_ITEM_BYTES) {
                throw new IllegalArgumentException("an item of more than " + MAX_ITEM_BYTES + " bytes");
            }
            item.copyCurrentEvent(parser);
            itemDepth += token.isStructStart() ? 1 : token.isStructEnd() ? -1 : 0;
            if (itemDepth == 0) {
                items.add(decode.decode(item.asParser()));
                item = null;
                rootDone = shape == Shape.ONE;
            }
            return;
        }
        onPageToken(token);
    }

    /** A token of the page around the items: only {@code items} is read; other fields are skipped. */
    private void onPageToken(JsonToken token) throws IOException {
        if (token.isStructStart()) {
            if (depth == 0 && token != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a page of items: it starts with " + token);
            }
            depth++;
            if (depth == 2 && "items".equals(field)) {
                if (token != JsonToken.START_ARRAY) {
                    throw new IllegalArgumentException("items is not an array");
                }
                inItems = true;
            }
        } else if (token.isStructEnd()) {
            depth--;
            inItems = false;
            rootDone = depth == 0;
        } else if (token == JsonToken.FIELD_NAME) {
            if (depth == 1) {
                field = parser.currentName();
            }
        } else if (depth == 0) {
            throw new IllegalArgumentException("not a page of items: it is a " + token);
        } else if (depth == 1 && FIELDS.contains(field)) { // only these: a hostile page's other fields hold nothing
            fields.put(field, parser.getText());
        }
    }

    /** The peer's fault: an IOException naming it (a 502). */
    private void refuse(Exception why) {
        fail(why instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith(peer) ? io
                : new IOException(peer + " answered something else than statuses or transitions: "
                + why.getMessage(), why));
    }

    private void fail(Exception error) {
        body.completeExceptionally(error);
        subscription.cancel();
        closeParser();
    }

    private void closeParser() {
        try {
            parser.close();
        } catch (IOException e) {
            // nothing to release but buffers: nothing to do
        }
        item = null;
    }
}
