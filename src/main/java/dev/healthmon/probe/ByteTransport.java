package dev.healthmon.probe;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * How {@link PlainHttpClient} moves one connection's bytes: as they are ({@link #plain}), or
 * through TLS ({@link TlsChannel}). The client drives either the same way: {@link #open} until it
 * says done, then {@link #write} the request and {@link #read} the answer, asking the selector for
 * {@code OP_WRITE} while {@link #wantsWrite} and reading again while {@link #hasBufferedInput}.
 *
 * <p>Not thread-safe: the client's selector thread owns a transport, as it owns its connection.
 */
interface ByteTransport {

    /** Takes the connection's opening (the TLS handshake) as far as it goes without waiting; true once done. */
    boolean open() throws IOException;

    /** Reads what has arrived into {@code dst} (write mode): the count, 0 if nothing yet, -1 at the stream's end. */
    int read(ByteBuffer dst) throws IOException;

    /** Sends what the socket takes of {@code src} now; the rest stays in {@code src} or here ({@link #wantsWrite}). */
    void write(ByteBuffer src) throws IOException;

    /** Sends what waits from an earlier call; true when nothing waits any more. */
    boolean flush() throws IOException;

    /** True while bytes wait for the socket to take them: the connection needs {@code OP_WRITE}. */
    boolean wantsWrite();

    /** True while bytes already taken from the socket wait to be decoded: read again before waiting on the socket. */
    boolean hasBufferedInput();

    /**
     * True when the last {@link #read}'s system call filled all the room it had: the socket may hold more right
     * now, which only another read can tell (a read that left room took everything that had arrived).
     */
    boolean lastReadFilled();

    /** Says goodbye where the protocol has a way (TLS close_notify), without waiting; the caller closes the socket. */
    void goodbye();

    static ByteTransport plain(SocketChannel channel) {
        return new Plain(channel);
    }

    /** Bytes as they are: every call goes straight to the socket. */
    final class Plain implements ByteTransport {
        private final SocketChannel channel;
        private boolean filled;

        Plain(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public boolean open() {
            return true;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            int n = channel.read(dst);
            filled = n > 0 && !dst.hasRemaining();
            return n;
        }

        @Override
        public void write(ByteBuffer src) throws IOException {
            channel.write(src);
        }

        @Override
        public boolean flush() {
            return true;
        }

        @Override
        public boolean wantsWrite() {
            return false;
        }

        @Override
        public boolean hasBufferedInput() {
            return false;
        }

        @Override
        public boolean lastReadFilled() {
            return filled;
        }

        @Override
        public void goodbye() {
            // TCP's own FIN is the goodbye
        }
    }
}
