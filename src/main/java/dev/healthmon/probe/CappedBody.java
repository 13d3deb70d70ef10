package dev.healthmon.probe;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A body handler that reads at most {@code cap} bytes of a response and then cancels the
 * subscription, which makes the HTTP client drop the connection. A backend that streams an
 * endless or huge body cannot make a check read more than the cap. The body value is the number
 * of bytes read (the content itself is not needed to classify a check).
 */
final class CappedBody implements HttpResponse.BodySubscriber<Long> {

    private final long cap;
    private final CompletableFuture<Long> result = new CompletableFuture<>();
    private Flow.Subscription subscription;
    private long read;

    private CappedBody(long cap) {
        this.cap = cap;
    }

    static HttpResponse.BodyHandler<Long> handler(long cap) {
        return info -> new CappedBody(cap);
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        subscription.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
        for (ByteBuffer buffer : buffers) {
            read += buffer.remaining();
        }
        if (read >= cap) {
            subscription.cancel();
            result.complete(Math.min(read, cap));
        } else {
            subscription.request(1);
        }
    }

    @Override
    public void onError(Throwable error) {
        result.completeExceptionally(error);
    }

    @Override
    public void onComplete() {
        result.complete(read);
    }

    @Override
    public CompletionStage<Long> getBody() {
        return result;
    }
}
