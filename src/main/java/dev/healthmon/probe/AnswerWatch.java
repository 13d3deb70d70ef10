package dev.healthmon.probe;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Reads along with the MCP SDK as an answer's body arrives and reports a message that is not
 * JSON-RPC, or a response to another request than the one the answer's POST carried: the SDK
 * only logs such a message and lets the request it answers wait for its timeout, while the check
 * should end at once as PROTOCOL. Reads copies of the buffers (the SDK
 * consumes the originals) and never buffers more than {@link McpSession#MAX_RESPONSE_BYTES} per
 * message; beyond that it stops watching and leaves the SDK's own size limit to act (for the lean
 * paths, which have no SDK, it reports an event-stream line or event over the limit as malformed).
 *
 * <p>Threading: fed by one body subscriber, whose calls are serial.
 */
abstract class AnswerWatch {

    private final Consumer<String> malformed;
    private final Supplier<Optional<Object>> requestId;
    private final Consumer<McpSchema.JSONRPCResponse> answer;

    private AnswerWatch(Consumer<String> malformed, Supplier<Optional<Object>> requestId,
                        Consumer<McpSchema.JSONRPCResponse> answer) {
        this.malformed = malformed;
        this.requestId = requestId;
        this.answer = answer;
    }

    /**
     * A whole {@code application/json} body: one JSON-RPC message (or nothing).
     *
     * @param requestId the id of the request the body answers, if the POST carried one
     */
    static AnswerWatch json(Consumer<String> malformed, Supplier<Optional<Object>> requestId) {
        return json(malformed, requestId, response -> {});
    }

    /** As above; {@code answer} is given the response to {@code requestId} when it comes (the lean ping). */
    static AnswerWatch json(Consumer<String> malformed, Supplier<Optional<Object>> requestId,
                            Consumer<McpSchema.JSONRPCResponse> answer) {
        return new Json(malformed, requestId, answer);
    }

    /** A {@code text/event-stream} body: each {@code message} event's data is one JSON-RPC message. */
    static AnswerWatch eventStream(Consumer<String> malformed, Supplier<Optional<Object>> requestId) {
        return new EventStream(malformed, requestId, response -> {}, false);
    }

    /**
     * As above; {@code answer} is given the response to {@code requestId} when it comes, and a line or an event over
     * {@link McpSession#MAX_RESPONSE_BYTES} is reported as malformed, as the SDK fails it (the lean paths, which have
     * no SDK to do it).
     */
    static AnswerWatch eventStream(Consumer<String> malformed, Supplier<Optional<Object>> requestId,
                                   Consumer<McpSchema.JSONRPCResponse> answer) {
        return new EventStream(malformed, requestId, answer, true);
    }

    abstract void bytes(ByteBuffer view);

    final void reportMalformed(String text) {
        malformed.accept(text);
    }

    abstract void end();

    final void check(String message, String where) {
        if (message.isBlank()) {
            return; // no message at all: an acknowledgement, or an event stream's primer
        }
        McpSchema.JSONRPCMessage parsed;
        try {
            parsed = McpSchema.deserializeJsonRpcMessage(McpJsonDefaults.getMapper(), message);
        } catch (IOException | RuntimeException e) {
            malformed.accept(where + " is not a JSON-RPC message (" + e.getClass().getSimpleName() + ")");
            return;
        }
        Optional<Object> expected = requestId.get();
        if (parsed instanceof McpSchema.JSONRPCResponse response) {
            if (expected.isPresent() && !expected.get().equals(response.id())) {
                malformed.accept(where + " answers another request than the one sent (JSON-RPC id mismatch)");
            } else {
                answer.accept(response);
            }
        }
    }

    private static final class Json extends AnswerWatch {
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        Json(Consumer<String> malformed, Supplier<Optional<Object>> requestId,
             Consumer<McpSchema.JSONRPCResponse> answer) {
            super(malformed, requestId, answer);
        }

        @Override
        void bytes(ByteBuffer view) {
            if (body.size() <= McpSession.MAX_RESPONSE_BYTES) {
                byte[] bytes = new byte[view.remaining()];
                view.get(bytes);
                body.write(bytes, 0, bytes.length);
            }
        }

        @Override
        void end() {
            if (body.size() <= McpSession.MAX_RESPONSE_BYTES) {
                check(body.toString(StandardCharsets.UTF_8), "a 2xx application/json answer");
            }
        }
    }

    /** Just enough of the SSE format (lines, {@code event:}, {@code data:}, blank line ends an event). */
    private static final class EventStream extends AnswerWatch {
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private StringBuilder data;
        private String event = "";
        private boolean overflow;
        private final boolean reportOverflow;

        EventStream(Consumer<String> malformed, Supplier<Optional<Object>> requestId,
                    Consumer<McpSchema.JSONRPCResponse> answer, boolean reportOverflow) {
            super(malformed, requestId, answer);
            this.reportOverflow = reportOverflow;
        }

        /** A line or an event's data went over the limit: the SDK fails the answer ("Inbound line exceeds ..."). */
        private void overflow() {
            if (!overflow && reportOverflow) {
                reportMalformed("an MCP event stream's line or event exceeds " + McpSession.MAX_RESPONSE_BYTES
                        + " bytes");
            }
            overflow = true;
        }

        @Override
        void bytes(ByteBuffer view) {
            while (view.hasRemaining()) {
                byte b = view.get();
                if (b == '\n') {
                    line(line.toString(StandardCharsets.UTF_8));
                    line.reset();
                } else if (line.size() < McpSession.MAX_RESPONSE_BYTES) {
                    line.write(b);
                } else {
                    overflow();
                }
            }
        }

        private void line(String raw) {
            String text = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
            if (text.isEmpty()) {
                if (data != null && !overflow && (event.isEmpty() || event.equals("message"))) {
                    check(data.toString(), "an MCP event stream's message");
                }
                data = null;
                event = "";
                overflow = false;
            } else if (text.startsWith("data:")) {
                String value = text.substring(5).startsWith(" ") ? text.substring(6) : text.substring(5);
                if (data == null) {
                    data = new StringBuilder(value);
                } else if (data.length() + 1 + value.length() <= McpSession.MAX_RESPONSE_BYTES) {
                    data.append('\n').append(value);
                } else {
                    overflow();
                }
            } else if (text.startsWith("event:")) {
                event = text.substring(6).strip();
            }
        }

        @Override
        void end() {}
    }
}
