package dev.healthmon.aggregate;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.status.UntrustedText;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.IntPredicate;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Asks the other aggregator instances for their part of a query, all at once, under one deadline and a bound on
 * what their answers may hold (docs/design.md §8.6).
 *
 * <ul>
 *   <li>Time: every instance is asked at the same moment, and the whole fan-out — every answer, bodies included —
 *       must be done within {@link Limits#deadline}, however many instances there are. The first failure ends it
 *       at once; whatever is still in flight is cancelled (the exchange aborted, its connection closed).
 *   <li>Memory: an answer holds at most {@link Limits#maxAnswerBytes}, and is decoded as it arrives
 *       ({@link PeerItems}). The answers of all the queries this instance is answering hold at most
 *       {@link Limits#maxHeldBytes} together: each answer reserves its length when its headers arrive (its
 *       {@code Content-Length}; an answer of unknown length, as instances now send their pages, reserves its
 *       bytes as they arrive), and gives it back when the query that asked {@linkplain Query#close() closes},
 *       after it has built its own answer. An answer that does not fit is refused ({@link OverBudgetException}, a
 *       503) instead of waited for.
 * </ul>
 *
 * <p>Thread-safe: query threads call {@link #ask}; the HTTP client's threads decode and reserve. Those are
 * {@link #THREADS} daemon threads of its own ({@code healthmon-peer-fanout-N}), ended by {@link #close()}: the JDK
 * client's default executor is a cached pool, which starts a thread for every task that finds none idle, so the
 * answers of many queries at once (anyone may send them) made as many threads.
 */
final class PeerFanout implements AutoCloseable {

    /**
     * The HTTP client's threads: they only decode chunks as they arrive and complete futures (nothing there blocks),
     * so a few keep up with the cores the aggregator has; more would only contend for them.
     */
    static final int THREADS = 2;

    private static final AtomicInteger THREAD_NUMBER = new AtomicInteger();

    /**
     * @param deadline       the time the whole fan-out may take, bodies included
     * @param maxAnswerBytes the most one instance's answer may hold
     * @param maxHeldBytes   the most all the answers held by queries in progress may hold together
     */
    record Limits(Duration deadline, int maxAnswerBytes, long maxHeldBytes) {
        /**
         * 64 MiB an answer: every status ({@code scope=local}, no limit) at ~500 bytes each is 32 MiB for 64,000
         * backends. 64 MiB held at once, whatever the number of queries and instances: decoded, statuses hold ~1.5×
         * their JSON (~96 MiB), and a hostile peer's tiny labels ~6× (~390 MiB), within a heap of ~768 MiB
         * (docs/design.md §8.6).
         */
        static final Limits DEFAULTS = new Limits(Duration.ofSeconds(5), 64 * 1024 * 1024, 64L * 1024 * 1024);
    }

    /** An answer that would take the answers held by queries in progress past {@link Limits#maxHeldBytes}. */
    static final class OverBudgetException extends IOException {
        OverBudgetException(String message) {
            super(message);
        }
    }

    private final Limits limits;
    private final ObjectMapper mapper;
    private final ExecutorService threads;
    private final HttpClient http;
    private final Object budget = new Object();
    /** Bytes reserved by the answers of queries not closed yet; guarded by {@link #budget}. */
    private long held;
    /** The most {@link #held} has been; guarded by {@link #budget}. */
    private long mostHeld;

    PeerFanout(Limits limits, ObjectMapper mapper) {
        this.limits = limits;
        this.mapper = mapper;
        this.threads = Executors.newFixedThreadPool(THREADS, task -> {
            Thread thread = new Thread(task, "healthmon-peer-fanout-" + THREAD_NUMBER.incrementAndGet());
            thread.setDaemon(true); // never what keeps the process alive
            return thread;
        });
        this.http = HttpClient.newBuilder().connectTimeout(limits.deadline()).executor(threads).build();
    }

    /**
     * Ends the HTTP client's threads; a fan-out still in flight then fails (a 502, or a 503 once the server stops).
     * Java 17's {@link HttpClient} has no close: its selector thread ends once the client is unreachable.
     */
    @Override
    public void close() {
        threads.shutdownNow();
    }

    /** A query's hold on the answers it asks for: close it once they are no longer needed. */
    final class Query implements AutoCloseable {
        /** One deadline for every fan-out of the query (a summary may need two): {@link System#nanoTime}. */
        private final long deadline = System.nanoTime() + limits.deadline().toNanos();
        private long reserved; // guarded by budget
        private boolean closed; // guarded by budget

        /**
         * Takes {@code bytes} of {@code peer}'s answer from the budget; refused when they do not fit beside the
         * answers held, or when the query is over (an answer whose headers came after it gave up).
         */
        void reserve(String peer, long bytes) throws OverBudgetException {
            if (bytes < 0) {
                throw new IllegalArgumentException(peer + ": a negative reservation: " + bytes);
            }
            synchronized (budget) {
                if (!closed && held + bytes <= limits.maxHeldBytes()) {
                    held += bytes;
                    reserved += bytes;
                    mostHeld = Math.max(mostHeld, held);
                    return;
                }
            }
            throw new OverBudgetException(peer + ": " + bytes + " more bytes of its answer do not fit beside what this "
                    + "instance holds of other instances' answers for queries in progress (at most "
                    + limits.maxHeldBytes() + " bytes together); retry");
        }

        @Override
        public void close() {
            synchronized (budget) {
                held -= reserved;
                reserved = 0;
                closed = true;
            }
        }
    }

    Query open() {
        return new Query();
    }

    /** The most the answers held at once have reserved since this instance started (for tests). */
    long mostHeldBytes() {
        synchronized (budget) {
            return mostHeld;
        }
    }

    /**
     * GETs {@code pathAndQuery} from every one of {@code peers} at once and decodes each answer's items. Blocks up to
     * {@link Limits#deadline}.
     *
     * @param absent the HTTP statuses that mean "nothing here" (an empty list) rather than a failure
     * @return each peer's items, in the order of {@code peers}
     * @throws HttpTimeoutException naming the instances whose answers were not done in time
     * @throws OverBudgetException  when an answer does not fit beside the others held
     * @throws IOException          naming the instance that did not answer, or answered something else
     */
    <T> List<List<T>> ask(Query query, List<HostInfo> peers, String pathAndQuery, PeerItems.Shape shape,
                          PeerItems.Decoder<T> decode, IntPredicate absent) throws IOException, InterruptedException {
        return fanOut(query, peers, pathAndQuery, shape, decode, absent, (items, fields) -> items);
    }

    /** A page another instance answered: its items and the fields {@link PeerItems#fields()} keeps. */
    record Answer<T>(List<T> items, Map<String, String> fields) {}

    /** As {@link #ask}, for pages whose {@code total} and {@code scope} the query needs too. */
    <T> List<Answer<T>> askPages(Query query, List<HostInfo> peers, String pathAndQuery, PeerItems.Decoder<T> decode,
                                 IntPredicate absent) throws IOException, InterruptedException {
        return fanOut(query, peers, pathAndQuery, PeerItems.Shape.PAGE, decode, absent, Answer::new);
    }

    private <T, R> List<R> fanOut(Query query, List<HostInfo> peers, String pathAndQuery, PeerItems.Shape shape,
            PeerItems.Decoder<T> decode, IntPredicate absent, BiFunction<List<T>, Map<String, String>, R> result)
            throws IOException, InterruptedException {
        long deadline = query.deadline;
        // Every request is made before any is sent: a member whose advertised host makes no URI is its failure
        // (a 502 naming it), not the caller's bad parameter, and leaves nothing in flight.
        List<HttpRequest> requests = new ArrayList<>();
        for (HostInfo peer : peers) {
            try {
                requests.add(HttpRequest.newBuilder(URI.create("http://" + peer.host() + ":" + peer.port()
                        + pathAndQuery)).timeout(limits.deadline()).GET().build());
            } catch (IllegalArgumentException e) {
                throw new IOException("aggregator " + UntrustedText.escape(peer.host(), 200) + ":" + peer.port()
                        + " advertises an address that is not one: " + e.getMessage());
            }
        }
        CompletableFuture<Void> firstFailure = new CompletableFuture<>();
        List<CompletableFuture<HttpResponse<R>>> answers = new ArrayList<>();
        List<CompletableFuture<?>> named = new ArrayList<>();
        for (int p = 0; p < peers.size(); p++) {
            HostInfo peer = peers.get(p);
            String name = "aggregator " + peer.host() + ":" + peer.port();
            HttpRequest request = requests.get(p);
            CompletableFuture<HttpResponse<R>> answer = http.sendAsync(request,
                    info -> body(query, name, info, shape, decode, absent, result));
            // Waited for through its named failure: when the other answers were done already, the whole could
            // complete with the bare exception (a refused connection's has no message) before firstFailure did.
            named.add(answer.handle((response, error) -> {
                if (error != null) {
                    IOException failure = naming(name, error);
                    firstFailure.completeExceptionally(failure);
                    throw new CompletionException(failure);
                }
                return response;
            }));
            answers.add(answer);
        }
        try {
            CompletableFuture.anyOf(CompletableFuture.allOf(named.toArray(CompletableFuture[]::new)), firstFailure)
                    .get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            List<String> late = new ArrayList<>();
            for (int i = 0; i < peers.size(); i++) {
                if (!answers.get(i).isDone()) {
                    late.add(peers.get(i).host() + ":" + peers.get(i).port());
                }
            }
            cancel(answers);
            throw new HttpTimeoutException("aggregator " + String.join(", aggregator ", late)
                    + " did not answer within " + limits.deadline().toSeconds() + " s");
        } catch (InterruptedException e) {
            cancel(answers);
            throw e;
        } catch (ExecutionException e) {
            cancel(answers); // since JDK 16 this also aborts each exchange and closes its connection
            throw failure(e.getCause());
        }
        return answers.stream().map(answer -> answer.join().body()).toList();
    }

    private <T, R> HttpResponse.BodySubscriber<R> body(Query query, String peer, HttpResponse.ResponseInfo info,
            PeerItems.Shape shape, PeerItems.Decoder<T> decode, IntPredicate absent,
            BiFunction<List<T>, Map<String, String>, R> result) {
        if (info.statusCode() != 200) {
            return absent.test(info.statusCode()) ? HttpResponse.BodySubscribers.replacing(result.apply(List.of(),
                    Map.of()))
                    : PeerItems.refused(new IOException(peer + " answered HTTP " + info.statusCode()));
        }
        OptionalLong length = info.headers().firstValueAsLong("Content-Length");
        if (length.isPresent() && length.getAsLong() < 0) { // the JDK client lets it through
            return PeerItems.refused(new IOException(peer + " answered with a negative Content-Length: "
                    + length.getAsLong()));
        }
        if (length.isPresent() && length.getAsLong() > limits.maxAnswerBytes()) {
            return PeerItems.refused(new IOException(peer + " answered more than " + limits.maxAnswerBytes()
                    + " bytes (its Content-Length: " + length.getAsLong() + ")"));
        }
        if (length.isEmpty()) { // a body of unknown length: what it holds is reserved as it arrives
            return with(new PeerItems<>(mapper, shape, decode, limits.maxAnswerBytes(), peer,
                    bytes -> query.reserve(peer, bytes)), result);
        }
        try {
            query.reserve(peer, length.getAsLong()); // all at once: admitted or refused before any is read
        } catch (OverBudgetException e) {
            return PeerItems.refused(e);
        }
        return with(new PeerItems<>(mapper, shape, decode, length.getAsLong(), peer, bytes -> { }), result);
    }

    /** {@code items}' body made {@code result} once complete (its fields are then complete too). */
    private static <T, R> HttpResponse.BodySubscriber<R> with(PeerItems<T> items,
            BiFunction<List<T>, Map<String, String>, R> result) {
        return HttpResponse.BodySubscribers.mapping(items, list -> result.apply(list, items.fields()));
    }

    private static void cancel(List<? extends CompletableFuture<?>> answers) {
        answers.forEach(answer -> answer.cancel(true));
    }

    private static IOException failure(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause instanceof IOException io ? io : new IOException(cause.toString(), cause);
    }

    /** {@code error} as an IOException that names {@code peer} (a refused connection's does not). */
    private static IOException naming(String peer, Throwable error) {
        IOException failure = failure(error);
        return failure.getMessage() != null && failure.getMessage().startsWith(peer) ? failure
                : new IOException(peer + " did not answer: " + failure, failure);
    }
}
