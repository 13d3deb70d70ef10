package dev.healthmon.probe;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * Seeded generators of HTTP/1.1 responses for the property tests of {@link ResponseReader}: valid
 * framings (RFC 9112) with the answer each must give, and invalid ones that must be a protocol error.
 * Everything comes from the {@link Random} given, so a seed names a case.
 */
final class GeneratedResponses {

    /** What reading a whole response must give: the answer, and whether its connection may be kept. */
    record Expected(int status, String retryAfter, boolean reusable) {}

    /**
     * One response, as bytes. {@code closeAfter}: the body runs to the end of the connection, so the
     * server closes it after the bytes. {@code reusableVaries}: a Content-Length body past the cap, which
     * a reader stops at the cap (connection dropped) or, if all of it came in one read, reads to its end
     * (connection kept) — both are right, so reusability is not asserted. {@code features} name the
     * RFC-valid forms the generator used that an older reader refused (see the test).
     */
    record Case(String description, byte[] bytes, int bodyCap, Expected expected, boolean closeAfter,
                boolean reusableVaries, Set<String> features) {
        @Override
        public String toString() {
            StringBuilder shown = new StringBuilder();
            for (int i = 0; i < Math.min(bytes.length, 600); i++) {
                int b = bytes[i] & 0xff;
                shown.append(b == '\r' ? "\\r" : b == '\n' ? "\\n" : b >= 0x20 && b < 0x7f ? String.valueOf((char) b)
                        : String.format("\\x%02x", b));
            }
            return description + " cap=" + bodyCap + " features=" + features + " bytes=\"" + shown
                    + (bytes.length > 600 ? "…" : "") + "\"";
        }
    }

    /** A Content-Length given as a list of one repeated value ({@code 5, 5}): RFC 9110 §8.6 allows it. */
    static final String LENGTH_LIST = "content-length-list";
    /** A chunk size with leading zeros making more than 15 digits: RFC 9112 §7.1 puts no bound on them. */
    static final String LONG_ZERO_PADDED_CHUNK_SIZE = "zero-padded-chunk-size";

    private static final int[] STATUSES = {200, 201, 202, 203, 204, 206, 301, 302, 304, 307, 400, 401, 403, 404, 408,
        418, 429, 500, 502, 503, 504};
    private static final String[] FILLER_NAMES = {"Server", "Date", "Content-Type", "Cache-Control", "X-Request-Id",
        "Vary", "ETag", "Set-Cookie", "Link", "x-trace"};
    private static final String[] REASONS = {"", " ", " OK", " Service Unavailable", " Whatever the server says"};

    private GeneratedResponses() {}

    /** A valid response; {@code allowPending}: also the forms listed as features above. */
    static Case valid(Random random, boolean allowPending) {
        Set<String> features = new TreeSet<>();
        StringBuilder head = new StringBuilder();
        StringBuilder description = new StringBuilder();
        for (int i = random.nextInt(4) == 0 ? 1 + random.nextInt(2) : 0; i > 0; i--) {
            int interim = new int[] {100, 102, 103}[random.nextInt(3)];
            head.append("HTTP/1.1 ").append(interim).append(pick(random, REASONS)).append("\r\n");
            fillers(random, head);
            head.append("\r\n");
            description.append(interim).append(' ');
        }
        boolean http11 = random.nextInt(6) != 0;
        int status = random.nextInt(5) == 0 ? 200 + random.nextInt(400) : STATUSES[random.nextInt(STATUSES.length)];
        head.append(http11 ? "HTTP/1.1 " : "HTTP/1.0 ").append(status).append(pick(random, REASONS)).append("\r\n");
        description.append(http11 ? "1.1 " : "1.0 ").append(status);

        List<String> headers = new ArrayList<>();
        String retryAfter = null;
        if (random.nextInt(3) == 0) {
            retryAfter = random.nextBoolean() ? Integer.toString(random.nextInt(100_000))
                    : "Wed, 21 Oct 2015 07:28:00 GMT";
            headers.add(casing(random, "Retry-After") + ":" + ows(random) + retryAfter + ows(random));
        }
        boolean close = false;
        switch (random.nextInt(4)) {
            case 0 -> {
                close = true;
                headers.add(casing(random, "Connection") + ":" + ows(random) + casing(random, "close"));
            }
            case 1 -> headers.add(casing(random, "Connection") + ":" + ows(random) + "keep-alive");
            default -> { }
        }
        int bodyCap = 1 + random.nextInt(2048);
        int bodyLength = bodyLength(random, bodyCap);
        byte[] body = new byte[bodyLength];
        random.nextBytes(body);

        boolean noBody = status == 204 || status == 304;
        ByteArrayOutputStream framedBody = new ByteArrayOutputStream();
        boolean framed;
        boolean capped;
        boolean closeAfter = false;
        boolean reusableVaries = false;
        int framing = noBody ? -1 : random.nextInt(http11 ? 3 : 2);
        if (noBody) {
            framed = true;
            capped = false;
            if (status == 304 && random.nextBoolean()) {
                headers.add("Content-Length: " + bodyLength); // the length the 200 would have had; no body follows
            }
            description.append(" no body");
        } else if (framing == 0) {
            framed = true;
            capped = bodyLength > bodyCap;
            reusableVaries = capped;
            contentLength(random, headers, bodyLength, allowPending, features);
            framedBody.writeBytes(body);
            description.append(" length ").append(bodyLength);
        } else if (framing == 1) {
            framed = false;
            capped = bodyLength >= bodyCap;
            closeAfter = true;
            framedBody.writeBytes(body);
            description.append(" to end of connection ").append(bodyLength);
        } else {
            framed = true;
            capped = bodyLength >= bodyCap;
            headers.add(casing(random, "Transfer-Encoding") + ":" + ows(random) + casing(random, "chunked"));
            chunked(random, body, framedBody, allowPending, features);
            description.append(" chunked ").append(bodyLength);
        }
        fillers(random, headers);
        shuffle(random, headers);
        headers.forEach(h -> head.append(h).append("\r\n"));
        head.append("\r\n");
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        all.writeBytes(framedBody.toByteArray());
        Expected expected = new Expected(status, retryAfter, http11 && !close && framed && !capped);
        return new Case(description.toString(), all.toByteArray(), bodyCap, expected, closeAfter, reusableVaries,
                features);
    }

    /** Empty, small, around the cap, or well past it. */
    private static int bodyLength(Random random, int bodyCap) {
        return switch (random.nextInt(5)) {
            case 0 -> 0;
            case 1 -> random.nextInt(Math.max(1, bodyCap));
            case 2 -> Math.max(0, bodyCap - 1 + random.nextInt(3));
            case 3 -> bodyCap + random.nextInt(3 * bodyCap + 1);
            default -> random.nextInt(64);
        };
    }

    private static void contentLength(Random random, List<String> headers, int length, boolean allowPending,
                                      Set<String> features) {
        String name = casing(random, "Content-Length");
        int form = random.nextInt(allowPending ? 4 : 3);
        headers.add(name + ":" + ows(random) + length + ows(random));
        if (form == 1) {
            headers.add(name + ": " + length); // the same value twice: RFC 9110 §8.6
        } else if (form == 3) {
            headers.set(headers.size() - 1, name + ": " + length + "," + ows(random) + length);
            features.add(LENGTH_LIST);
        }
    }

    private static void chunked(Random random, byte[] body, ByteArrayOutputStream out, boolean allowPending,
                                Set<String> features) {
        int at = 0;
        while (at < body.length) {
            int size = Math.min(body.length - at, 1 + random.nextInt(random.nextBoolean() ? 16 : 700));
            out.writeBytes((chunkSize(random, size, allowPending, features) + extensions(random) + "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(body, at, size);
            out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            at += size;
        }
        StringBuilder last = new StringBuilder(chunkSize(random, 0, allowPending, features)).append(extensions(random))
                .append("\r\n");
        List<String> trailers = new ArrayList<>();
        fillers(random, trailers);
        trailers.forEach(t -> last.append(t).append("\r\n"));
        last.append("\r\n");
        out.writeBytes(last.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String chunkSize(Random random, int size, boolean allowPending, Set<String> features) {
        String hex = Integer.toHexString(size);
        hex = random.nextBoolean() ? hex.toUpperCase(Locale.ROOT) : hex;
        if (random.nextInt(4) == 0) {
            int zeros = 1 + random.nextInt(allowPending ? 20 : 15 - hex.length());
            if (hex.length() + zeros > 15) {
                features.add(LONG_ZERO_PADDED_CHUNK_SIZE);
            }
            hex = "0".repeat(zeros) + hex;
        }
        return hex;
    }

    /** RFC 9112 §7.1.1: {@code *( BWS ";" BWS name [ BWS "=" BWS value ] )}, value a token or a quoted string. */
    private static String extensions(Random random) {
        StringBuilder ext = new StringBuilder();
        for (int i = random.nextInt(4) == 0 ? 1 + random.nextInt(2) : 0; i > 0; i--) {
            ext.append(bws(random)).append(';').append(bws(random)).append(token(random));
            switch (random.nextInt(3)) {
                case 0 -> ext.append(bws(random)).append('=').append(bws(random)).append(token(random));
                case 1 -> ext.append('=').append("\"quoted; value \\\" here\"");
                default -> { }
            }
        }
        return ext.toString();
    }

    /** A bad variant of a valid response: each must be read as a protocol error, wherever the reads split it. */
    static Case invalid(Random random) {
        int bodyCap = 1 << 20; // far above any body here: a cap must not end the reading before the bad bytes
        String status = "HTTP/1.1 200 OK\r\n";
        String filler = "Server: generated\r\n";
        String body = "x".repeat(random.nextInt(40));
        String description;
        String text;
        switch (random.nextInt(9)) {
            case 0 -> {
                String bad = pick(random, new String[] {"xyz", "-1", "", "0x5", ";ext", " 5", "+5", "g"});
                description = "bad chunk size \"" + bad + "\"";
                text = status + "Transfer-Encoding: chunked\r\n\r\n" + "3\r\nabc\r\n" + bad + "\r\nhello\r\n0\r\n\r\n";
            }
            case 1 -> {
                int a = random.nextInt(50);
                int b = a + 1 + random.nextInt(50);
                boolean list = random.nextBoolean();
                description = "conflicting Content-Lengths " + a + ", " + b + (list ? " in a list" : "");
                text = status + (list ? "Content-Length: " + a + ", " + b + "\r\n"
                        : "Content-Length: " + a + "\r\n" + filler + "Content-Length: " + b + "\r\n") + "\r\n" + body;
            }
            case 2 -> {
                description = "header without colon";
                text = status + filler + "NoColonInThisHeader\r\n" + "Content-Length: 0\r\n\r\n";
            }
            case 3 -> {
                description = "whitespace before the colon";
                text = status + "Content-Length" + (random.nextBoolean() ? " " : "\t") + ": 0\r\n\r\n";
            }
            case 4 -> {
                int length = ResponseReader.MAX_LINE + 1 + random.nextInt(4096);
                boolean inStatusLine = random.nextBoolean();
                description = "line of " + length + " bytes in the " + (inStatusLine ? "status line" : "headers");
                text = inStatusLine ? "HTTP/1.1 200 " + "r".repeat(length) + "\r\n\r\n"
                        : status + "X-Long: " + "v".repeat(length) + "\r\nContent-Length: 0\r\n\r\n";
            }
            case 5 -> {
                String bad = pick(random, new String[] {"HTTP/2 200 OK", "HTTP/1.1 20 OK", "ICY 200 OK",
                    "HTTP/1.1 2000",
                    "<html><body>hi</body></html>", "HTTP/1.1 099 Low", "HTTP/1.1  200 OK", "HTTP/1.1 2x0 OK",
                    "SSH-2.0-OpenSSH_9.6", "http/1.1 200 OK", ""});
                description = "garbage status line \"" + bad + "\"";
                text = bad + "\r\nContent-Length: 0\r\n\r\n";
            }
            case 6 -> {
                String bad = pick(random, new String[] {"abc", "-1", "+5", "1e3", "0x10", "12345678901234567890", ""});
                description = "malformed Content-Length \"" + bad + "\"";
                text = status + "Content-Length: " + bad + "\r\n\r\n" + body;
            }
            case 7 -> {
                description = "chunk data longer than its size";
                text = status + "Transfer-Encoding: chunked\r\n\r\n" + "3\r\nabcdef\r\n0\r\n\r\n";
            }
            default -> {
                description = "headers over " + ResponseReader.MAX_HEADER_BYTES + " bytes";
                StringBuilder many = new StringBuilder(status);
                while (many.length() <= ResponseReader.MAX_HEADER_BYTES) {
                    many.append("X-Filler-").append(many.length()).append(": ").append("f".repeat(100)).append("\r\n");
                }
                text = many + "Content-Length: 0\r\n\r\n";
            }
        }
        return new Case(description, text.getBytes(StandardCharsets.ISO_8859_1), bodyCap, null, false, false,
                Set.of());
    }

    private static void fillers(Random random, StringBuilder head) {
        List<String> lines = new ArrayList<>();
        fillers(random, lines);
        lines.forEach(l -> head.append(l).append("\r\n"));
    }

    private static void fillers(Random random, List<String> headers) {
        for (int i = random.nextInt(5); i > 0; i--) {
            String value = random.nextInt(4) == 0 ? ""
                    : visible(random, 1 + random.nextInt(random.nextBoolean() ? 20 : 300));
            headers.add(casing(random, pick(random, FILLER_NAMES)) + ":" + ows(random) + value + ows(random));
        }
    }

    /** Header field text: visible ASCII and obs-text, inner spaces, never a CR or LF. */
    private static String visible(Random random, int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            int c = random.nextInt(10) == 0 ? 0x80 + random.nextInt(0x80) : 0x21 + random.nextInt(0x7e - 0x21);
            s.append(i > 0 && i < length - 1 && random.nextInt(8) == 0 ? ' ' : (char) c);
        }
        return s.toString();
    }

    private static String token(Random random) {
        String chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";
        StringBuilder s = new StringBuilder();
        for (int i = 1 + random.nextInt(8); i > 0; i--) {
            s.append(chars.charAt(random.nextInt(chars.length())));
        }
        return s.toString();
    }

    private static String ows(Random random) {
        return pick(random, new String[] {"", "", " ", " ", "\t", "  "});
    }

    private static String bws(Random random) {
        return random.nextInt(4) == 0 ? ows(random) : "";
    }

    /** Header names and the tokens read here are case-insensitive: any casing must do. */
    private static String casing(Random random, String word) {
        return switch (random.nextInt(4)) {
            case 0 -> word.toLowerCase(Locale.ROOT);
            case 1 -> word.toUpperCase(Locale.ROOT);
            case 2 -> {
                StringBuilder s = new StringBuilder(word.length());
                word.chars().forEach(c -> s.append(random.nextBoolean() ? Character.toUpperCase((char) c)
                        : Character.toLowerCase((char) c)));
                yield s.toString();
            }
            default -> word;
        };
    }

    private static <T> T pick(Random random, T[] values) {
        return values[random.nextInt(values.length)];
    }

    private static void shuffle(Random random, List<String> list) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            list.set(j, list.set(i, list.get(j)));
        }
    }
}
