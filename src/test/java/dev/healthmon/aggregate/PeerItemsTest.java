package dev.healthmon.aggregate;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.json.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Another instance's answer decoded as its chunks arrive ({@link PeerItems}): the same items however the bytes are
 * cut, and a refusal naming the peer for anything else. The HTTP client is played by the test, one signal at a time.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PeerItemsTest {

    private static final ObjectMapper MAPPER = Json.mapper();
    private static final String PEER = "aggregator 10.0.0.7:8080";
    private static final String PAGE = """
            {"before": {"items": [{"not": "these"}], "n": [1, [2]]},
             "items": [{"id": "a", "labels": {"k": "v \\"q\\" \\u00fc"}, "n": [1, 2.5, -3e2, true, null]},
                       {"id": "b-\u00e9\u20ac", "nested": {"deep": [{"x": {}}, []]}},
                       "scalar", 42, [], {}],
             "total": 6, "after": [{"items": ["nor these"]}]}""";

    @Test
    void decodesTheSameItemsHoweverTheAnswerIsCutIntoChunks() throws Exception {
        List<JsonNode> expected = List.copyOf(MAPPER.readTree(PAGE).withArray("items").valueStream().toList());

        for (int chunk : new int[] {1, 2, 3, 7, 64, PAGE.length() * 2}) {
            assertThat(feed(page(Long.MAX_VALUE), PAGE, chunk).get()).as("chunks of %d bytes", chunk)
                    .containsExactlyElementsOf(expected);
        }
    }

    @Test
    void readsAWholeAnswerAsOneItem() throws Exception {
        String one = "{\"id\": \"a\", \"labels\": {\"k\": \"v\"}}";
        PeerItems<JsonNode> items = new PeerItems<>(MAPPER, PeerItems.Shape.ONE, PeerItemsTest::tree, 1000, PEER,
                bytes -> { });

        assertThat(feed(items, one, 3).get()).containsExactly(MAPPER.readTree(one));
    }

    @Test
    void aPageWithoutItemsHasNone() throws Exception {
        assertThat(feed(page(Long.MAX_VALUE), "{\"total\": 0}", 2).get()).isEmpty();
    }

    @Test
    void refusesWhatIsNotAPageOfItemsNamingThePeer() {
        for (String answer : List.of("[]", "\"statuses\"", "{\"items\": {\"a\": {}}}", "{\"items\": []} {}",
                "{\"items\": [{\"id\": \"a\"}", "{\"items\": [{\"id\": \"a\"}, }", "<html>Bad gateway</html>", "")) {
            assertThat(feed(page(Long.MAX_VALUE), answer, 2)).as(answer).failsWithin(0, TimeUnit.SECONDS)
                    .withThrowableOfType(ExecutionException.class).havingCause().isInstanceOf(IOException.class)
                    .withMessageStartingWith(PEER + " answered something else than statuses or transitions");
        }
    }

    @Test
    void anItemLargerThanAnyStatusIsRefusedBeforeItsTokensFillTheHeap() {
        // One item's tokens are held until it ends, at up to ~14x their bytes: one item of a whole 64 MiB answer
        // would take the heap. Two items just under the cap are fine.
        String filler = "\"a\",".repeat((int) (PeerItems.MAX_ITEM_BYTES / 4) + 1);
        String huge = "{\"items\": [{\"id\": \"a\", \"junk\": [" + filler + "1]}]}";
        String underCap = "{\"id\": \"a\", \"junk\": [" + "\"a\",".repeat((int) (PeerItems.MAX_ITEM_BYTES / 8)) + "1]}";

        assertThat(feed(page(Long.MAX_VALUE), huge, 64 * 1024)).failsWithin(0, TimeUnit.SECONDS)
                .withThrowableOfType(ExecutionException.class).havingCause().isInstanceOf(IOException.class)
                .withMessageContaining("an item of more than " + PeerItems.MAX_ITEM_BYTES + " bytes");
        assertThat(feed(page(Long.MAX_VALUE), "{\"items\": [" + underCap + ", " + underCap + "]}", 64 * 1024))
                .succeedsWithin(0, TimeUnit.SECONDS).asList().hasSize(2);
    }

    @Test
    void keepsThePagesTotalAndScopeBesideItsItemsAndNoOtherField() {
        PeerItems<JsonNode> items = page(Long.MAX_VALUE);

        assertThat(feed(items, "{\"items\": [{\"total\": 9, \"scope\": \"all\"}], \"offset\": 0, \"limit\": 5, "
                + "\"other\": {\"total\": 7}, \"total\": 42, \"scope\": \"local\"}", 3)).succeedsWithin(0,
                TimeUnit.SECONDS).asList().hasSize(1);
        assertThat(items.fields()).isEqualTo(Map.of("total", "42", "scope", "local"));
    }

    @Test
    void anItemTheDecoderRefusesIsThePeersFault() {
        PeerItems<JsonNode> items = new PeerItems<>(MAPPER, PeerItems.Shape.PAGE, node -> {
            throw new IllegalArgumentException("status: SORT_OF is not a status");
        }, 1000, PEER, bytes -> { });

        assertThat(feed(items, "{\"items\": [{\"status\": \"SORT_OF\"}]}", 5)).failsWithin(0, TimeUnit.SECONDS)
                .withThrowableOfType(ExecutionException.class).havingCause()
                .withMessage(PEER + " answered something else than statuses or transitions: "
                        + "status: SORT_OF is not a status");
    }

    @Test
    void refusesAnAnswerPastItsMaximumAndReadsNoFurther() {
        Subscription subscription = new Subscription();
        PeerItems<JsonNode> items = page(PAGE.length() - 1);

        CompletableFuture<List<JsonNode>> body = feed(items, PAGE, 16, subscription);

        assertThat(body).failsWithin(0, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class).havingCause()
                .withMessage(PEER + " answered more than " + (PAGE.length() - 1) + " bytes");
        assertThat(subscription.cancelled).isTrue();
    }

    @Test
    void reservesTheBytesOfAnAnswerOfUnknownLengthAsTheyArriveAndStopsWhereTheBudgetRefuses() {
        long[] reserved = {0};
        PeerItems<JsonNode> items = new PeerItems<>(MAPPER, PeerItems.Shape.PAGE, PeerItemsTest::tree, Long.MAX_VALUE,
                PEER, bytes -> {
                    if (reserved[0] + bytes > 40) {
                        throw new PeerFanout.OverBudgetException(PEER + ": does not fit");
                    }
                    reserved[0] += bytes;
                });
        Subscription subscription = new Subscription();

        CompletableFuture<List<JsonNode>> body = feed(items, PAGE, 16, subscription);

        assertThat(body).failsWithin(0, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class).havingCause()
                .isInstanceOf(PeerFanout.OverBudgetException.class).withMessage(PEER + ": does not fit");
        assertThat(reserved[0]).isEqualTo(32);
        assertThat(subscription.cancelled).isTrue();
        assertThat(subscription.requested).as("one chunk at a time: the third was the last asked for").isEqualTo(3);
    }

    private static JsonNode tree(JsonParser item) {
        try {
            return MAPPER.readTree(item);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static PeerItems<JsonNode> page(long max) {
        return new PeerItems<>(MAPPER, PeerItems.Shape.PAGE, PeerItemsTest::tree, max, PEER, bytes -> { });
    }

    private static <T> CompletableFuture<List<T>> feed(PeerItems<T> items, String answer, int chunk) {
        return feed(items, answer, chunk, new Subscription());
    }

    /**
     * Plays the HTTP client: {@code answer} in chunks of {@code chunk} bytes, each in a buffer over a larger array
     * at an offset (as the client's are), while the subscriber asks for more, then the end.
     */
    private static <T> CompletableFuture<List<T>> feed(PeerItems<T> items, String answer, int chunk,
                                                       Subscription subscription) {
        items.onSubscribe(subscription);
        byte[] bytes = answer.getBytes(UTF_8);
        for (int at = 0; at < bytes.length && !subscription.cancelled; at += chunk) {
            assertThat(subscription.requested).as("asked for the next chunk").isGreaterThan(at / chunk);
            items.onNext(List.of(ByteBuffer.wrap(bytes, at, Math.min(chunk, bytes.length - at))));
        }
        if (!subscription.cancelled) {
            items.onComplete();
        }
        return items.getBody().toCompletableFuture();
    }

    /** Counts what the subscriber asks for. */
    private static final class Subscription implements Flow.Subscription {
        long requested;
        boolean cancelled;

        @Override
        public void request(long n) {
            requested += n;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }
}
