package dev.healthmon.probe;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.Flow;

/**
 * A request body that remembers the JSON-RPC id of the request it carries, so that the answer can
 * be checked against it ({@link AnswerWatch}): the SDK silently drops a response whose id matches
 * no request, and the check would wait for its timeout instead of failing as PROTOCOL. Copies the
 * bytes as the client sends them (a request is small: an MCP call, at most
 * {@link McpSession#MAX_RESPONSE_BYTES} kept).
 *
 * <p>Threading: the client's body subscription is serial; {@link #requestId()} is read after the
 * answer's head has arrived, so after the whole body was sent.
 */
final class RequestIdTap implements HttpRequest.BodyPublisher {

    private final HttpRequest.BodyPublisher body;
    private final ByteArrayOutputStream sent = new ByteArrayOutputStream();
    private volatile Optional<Object> requestId = Optional.empty();

    RequestIdTap(HttpRequest.BodyPublisher body) {
        this.body = body;
    }

    /** The id of the JSON-RPC request this body carried; empty for a notification, a response or anything else. */
    Optional<Object> requestId() {
        return requestId;
    }

    @Override
    public long contentLength() {
        return body.contentLength();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        body.subscribe(new Flow.Subscriber<ByteBuffer>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscriber.onSubscribe(subscription);
            }

            @Override
            public void onNext(ByteBuffer item) {
                if (sent.size() <= McpSession.MAX_RESPONSE_BYTES) {
                    ByteBuffer copy = item.duplicate();
                    byte[] bytes = new byte[copy.remaining()];
                    copy.get(bytes);
                    sent.write(bytes, 0, bytes.length);
                }
                subscriber.onNext(item);
            }

            @Override
            public void onError(Throwable error) {
                subscriber.onError(error);
            }

            @Override
            public void onComplete() {
                requestId = idOf(sent.toString(StandardCharsets.UTF_8));
                subscriber.onComplete();
            }
        });
    }

    private static Optional<Object> idOf(String message) {
        try {
            return McpSchema.deserializeJsonRpcMessage(McpJsonDefaults.getMapper(), message)
                    instanceof McpSchema.JSONRPCRequest request ? Optional.ofNullable(request.id()) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
