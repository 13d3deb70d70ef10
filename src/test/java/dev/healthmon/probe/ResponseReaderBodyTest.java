package dev.healthmon.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A {@link ResponseReader.Body} gets a 2xx answer's body, de-chunked, and ends the read when it has its answer. */
class ResponseReaderBodyTest {

    /** Keeps what it is given; has its answer once it has seen {@code until}. */
    private static final class Keeper implements ResponseReader.Body {
        private final String until;
        private final StringBuilder kept = new StringBuilder();
        private Boolean eventStream;
        private int ends;

        Keeper(String until) {
            this.until = until;
        }

        @Override
        public void reset() {
            kept.setLength(0);
            eventStream = null;
            ends = 0;
        }

        @Override
        public void start(boolean stream) {
            eventStream = stream;
        }

        @Override
        public boolean bytes(ByteBuffer view) {
            kept.append(StandardCharsets.UTF_8.decode(view));
            return kept.indexOf(until) >= 0;
        }

        @Override
        public void end() {
            ends++;
        }
    }

    private static boolean read(ResponseReader reader, String bytes) throws Exception {
        return reader.read(ByteBuffer.wrap(bytes.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void eventStreamIsReadUntilTheAnswerAndKeptWhenItsEndCameWithIt() throws Exception {
        ResponseReader reader = new ResponseReader();
        Keeper body = new Keeper("\"id\":1");
        reader.reset(1 << 20, body);

        assertThat(read(reader, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n7\r\ndata: a\r\n")).isFalse();
        assertThat(reader.awaitingBody()).as("the head alone is not the answer").isTrue();
        assertThat(read(reader, "10\r\ndata: {\"id\":1}\n\n\r\n0\r\n\r\n")).isTrue();

        assertThat(body.eventStream).isTrue();
        assertThat(body.kept.toString()).isEqualTo("data: adata: {\"id\":1}\n\n");
        assertThat(reader.reusable()).as("the stream ended with the answer").isTrue();
    }

    @Test
    void streamThatGoesOnAfterTheAnswerIsAnsweredAndKeptOnlyWhenItsEndFollows() throws Exception {
        ResponseReader reader = new ResponseReader();
        Keeper body = new Keeper("\"id\":1");
        reader.reset(1 << 20, body);

        assertThat(read(reader, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n10\r\ndata: {\"id\":1}\n\n\r\n")).isTrue();

        assertThat(reader.awaitingBody()).isFalse();
        assertThat(reader.ended()).isFalse();
        assertThat(reader.reusable()).isFalse();
        assertThat(reader.drainable()).as("chunked: its end may still come").isTrue();
        assertThat(body.ends).as("answered, not ended").isZero();

        assertThat(read(reader, "0\r\n\r\n")).isTrue();

        assertThat(reader.ended()).isTrue();
        assertThat(reader.reusable()).as("the end came after the answer").isTrue();
        assertThat(body.kept.toString()).as("nothing after the answer is given").isEqualTo("data: {\"id\":1}\n\n");
    }

    @Test
    void streamToTheEndOfTheConnectionCannotBeDrained() throws Exception {
        ResponseReader reader = new ResponseReader();
        reader.reset(1 << 20, new Keeper("\"id\":1"));

        assertThat(read(reader, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
                + "data: {\"id\":1}\n\n")).isTrue();

        assertThat(reader.drainable()).isFalse();
        assertThat(reader.reusable()).isFalse();
    }

    @Test
    void jsonBodyIsGivenWholeAndEnded() throws Exception {
        ResponseReader reader = new ResponseReader();
        Keeper body = new Keeper("never");
        reader.reset(1 << 20, body);

        assertThat(read(reader, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n"
                + "{\"id\":1}\n")).isTrue();

        assertThat(body.eventStream).isFalse();
        assertThat(body.kept.toString()).isEqualTo("{\"id\":1}\n");
        assertThat(body.ends).isEqualTo(1);
        assertThat(reader.reusable()).isTrue();
    }

    @Test
    void refusalsBodyIsNotGivenAndItsHeadIsTheAnswer() throws Exception {
        ResponseReader reader = new ResponseReader();
        Keeper body = new Keeper("never");
        reader.reset(1 << 20, body);

        assertThat(read(reader, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n"
                + "Content-Type: text/event-stream\r\n\r\n")).isTrue();

        assertThat(body.eventStream).isNull();
        assertThat(body.kept.toString()).isEmpty();
        assertThat(reader.awaitingBody()).isFalse();
        assertThat(reader.retryAfter()).isEqualTo("7");
    }
}
