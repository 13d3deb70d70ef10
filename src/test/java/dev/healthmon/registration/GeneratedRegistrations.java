package dev.healthmon.registration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.healthmon.support.Registrations;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Seeded generators of registration records for the codec's property tests: valid ones (the schema
 * and every codec rule satisfied, defaults of {@link CheckDefaults#STANDARD} taken into account), and
 * mutations of them, each named, that break one rule.
 */
final class GeneratedRegistrations {

    /** Which of the two judges a mutation is meant for. */
    enum Judge {
        /** A rule the schema states: both must refuse. */
        BOTH,
        /** A rule no schema states (cross-field, semantic, target policy): the codec refuses, the schema accepts. */
        CODEC_ONLY
    }

    /** A mutated record: what was done, which judges must refuse it, the field the codec must name. */
    record Mutation(String description, Judge judge, String field, ObjectNode record) {}

    private static final String ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final String ID_CHARS = ALPHANUMERIC + "._-";
    private static final String LABEL_CHARS = ID_CHARS + "/";
    private static final String TOKEN_CHARS = ALPHANUMERIC + "!#$%&'*+.^_`|~-";
    private static final List<String> RESTRICTED = List.of("connection", "content-length", "expect", "host", "upgrade",
            "transfer-encoding", "te", "trailer", "keep-alive", "proxy-connection");
    private static final long STANDARD_INTERVAL = CheckDefaults.STANDARD.interval().toMillis();
    private static final long STANDARD_TIMEOUT = CheckDefaults.STANDARD.timeout().toMillis();

    private GeneratedRegistrations() {}

    static ObjectNode valid(Random random) {
        ObjectNode root = Registrations.MAPPER.createObjectNode();
        root.put("schemaVersion", 1);
        root.put("id", string(random, ID_CHARS, 1 + (random.nextInt(20) == 0 ? 199 : random.nextInt(40))));
        if (random.nextBoolean()) {
            root.put("name", text(random, random.nextInt(10) == 0 ? 256 : random.nextInt(60)));
        }
        root.put("url", url(random));
        root.put("transport", pick(random, "http", "streamable-http", "sse"));
        if (random.nextInt(4) != 0) {
            root.set("healthCheck", healthCheck(random));
        }
        if (random.nextInt(3) == 0) {
            ObjectNode auth = root.putObject("auth");
            if (random.nextBoolean()) {
                auth.put("type", "bearer");
            } else {
                String header;
                do {
                    header = string(random, TOKEN_CHARS, 1 + random.nextInt(30));
                } while (RESTRICTED.contains(header.toLowerCase(Locale.ROOT)));
                auth.put("type", "header").put("header", header);
            }
            auth.put("secretRef", string(random, ID_CHARS, 1 + random.nextInt(100)));
        }
        if (random.nextInt(3) == 0) {
            ObjectNode labels = root.putObject("labels");
            for (int i = random.nextInt(random.nextInt(10) == 0 ? 65 : 6); i > 0; i--) {
                labels.put(string(random, LABEL_CHARS, 1 + random.nextInt(63)), text(random, random.nextInt(257)));
            }
        }
        return root;
    }

    private static String url(Random random) {
        String scheme = pick(random, "http", "https", "HTTP", "Https");
        String host = switch (random.nextInt(4)) {
            case 0 -> "93.184." + random.nextInt(256) + "." + random.nextInt(256);
            case 1 -> "[2001:db8::" + Integer.toHexString(1 + random.nextInt(0xfffe)) + "]";
            case 2 -> "127.0.0.1";
            default -> "svc-" + random.nextInt(1000) + "." + pick(random, "example.test", "internal", "x.y.z.test");
        };
        String port = switch (random.nextInt(4)) {
            case 0 -> ":" + (1 + random.nextInt(65535));
            case 1 -> ":" + "0".repeat(1 + random.nextInt(3)) + (1 + random.nextInt(65535));
            default -> "";
        };
        String path = pick(random, "", "/", "/health", "/a/b/c", "/mcp?x=1", "/p#frag", "/s%20p");
        return scheme + "://" + host + port + path;
    }

    private static ObjectNode healthCheck(Random random) {
        ObjectNode check = Registrations.MAPPER.createObjectNode();
        long interval = random.nextBoolean() ? STANDARD_INTERVAL : between(random, 100, 86_400_000);
        long timeout = random.nextBoolean() && STANDARD_TIMEOUT < interval ? STANDARD_TIMEOUT
                : between(random, 10, Math.min(300_000, interval - 1));
        if (interval != STANDARD_INTERVAL || random.nextBoolean()) {
            check.put("intervalMs", interval);
        }
        if (timeout != STANDARD_TIMEOUT || random.nextBoolean()) {
            check.put("timeoutMs", timeout);
        }
        if (random.nextBoolean()) {
            check.put("type", pick(random, "mcp", "http", "tcp"));
        }
        if (random.nextBoolean()) {
            check.put("path", "/" + string(random, ID_CHARS, random.nextInt(20)));
        }
        if (random.nextBoolean()) {
            check.put("expectStatus", expectStatus(random));
        }
        maybe(random, check, "unhealthyThreshold", 1, 100);
        maybe(random, check, "healthyThreshold", 1, 100);
        maybe(random, check, "degradedLatencyMs", 1, 300_000);
        maybe(random, check, "initialDelayMs", 0, 86_400_000);
        maybe(random, check, "jitterPercent", 0, 50);
        long unhealthyInterval = interval;
        if (random.nextBoolean()) {
            unhealthyInterval = between(random, timeout + 1, 86_400_000);
            check.put("unhealthyIntervalMs", unhealthyInterval);
        }
        if (random.nextInt(3) == 0) {
            check.put("healthyEdgeIntervalMs", between(random, 100, interval));
        }
        if (random.nextInt(3) == 0 && unhealthyInterval >= 100) {
            check.put("unhealthyEdgeIntervalMs", between(random, 100, unhealthyInterval));
        }
        if (random.nextBoolean()) {
            check.put("mcpMethod", pick(random, "ping", "tools/list"));
        }
        if (random.nextBoolean()) {
            check.put("mcpSession", pick(random, "reuse", "fresh"));
        }
        return check;
    }

    private static String expectStatus(Random random) {
        StringBuilder spec = new StringBuilder();
        for (int i = 1 + random.nextInt(3); i > 0; i--) {
            int low = 100 + random.nextInt(500);
            spec.append(spec.isEmpty() ? "" : ",").append(low);
            if (random.nextBoolean()) {
                spec.append('-').append(low + random.nextInt(600 - low));
            }
        }
        return spec.toString();
    }

    private static void maybe(Random random, ObjectNode check, String field, long min, long max) {
        if (random.nextBoolean()) {
            check.put(field, random.nextBoolean() ? between(random, min, max) : random.nextBoolean() ? min : max);
        }
    }

    /** A valid record with one rule broken. */
    static Mutation mutate(Random random, ObjectNode valid) {
        ObjectNode r = valid.deepCopy();
        ObjectNode check = r.has("healthCheck") ? (ObjectNode) r.get("healthCheck") : r.putObject("healthCheck");
        long interval = check.path("intervalMs").asLong(STANDARD_INTERVAL);
        long timeout = check.path("timeoutMs").asLong(STANDARD_TIMEOUT);
        switch (random.nextInt(23)) {
            case 0 -> {
                String field = pick(random, "schemaVersion", "id", "url", "transport");
                r.remove(field);
                return new Mutation("without " + field, Judge.BOTH, field, r);
            }
            case 1 -> {
                JsonNode version = pick(random, r.numberNode(2), r.numberNode(0), r.textNode("1"), r.booleanNode(true));
                r.set("schemaVersion", version);
                return new Mutation("schemaVersion " + version, Judge.BOTH, "schemaVersion", r);
            }
            case 2 -> {
                String id = pick(random, "", "has space", "slash/y", "ünï", "x".repeat(201), "a:b", "tab\t");
                r.put("id", id);
                return new Mutation("id \"" + id + "\"", Judge.BOTH, "id", r);
            }
            case 3 -> {
                r.put("name", text(random, 257 + random.nextInt(100)));
                return new Mutation("name over 256 characters", Judge.BOTH, "name", r);
            }
            case 4 -> {
                JsonNode name = pick(random, r.numberNode(5), r.booleanNode(false), r.arrayNode(), r.objectNode());
                r.set("name", name);
                return new Mutation("name " + name, Judge.BOTH, "name", r);
            }
            case 5 -> {
                String url = pick(random, "ftp://x.test/", "http:///path", "http://user:pw@x.test/", "http://x.test:0/",
                        "http://x.test:65536/", "http://x.test:99999999999/", "not a url", "//x.test/", "http//x.test",
                        "mailto:a@b.test", "http://[::1]:70000/", "");
                r.put("url", url);
                return new Mutation("url \"" + url + "\"", Judge.BOTH, "url", r);
            }
            case 6 -> {
                String transport = pick(random, "stdio", "HTTP", "grpc", "", "Streamable-HTTP");
                r.put("transport", transport);
                return new Mutation("transport \"" + transport + "\"", Judge.BOTH, "transport", r);
            }
            case 7, 8 -> {
                String[] fields = {"intervalMs", "timeoutMs", "unhealthyThreshold", "healthyThreshold",
                    "degradedLatencyMs", "initialDelayMs", "jitterPercent", "unhealthyIntervalMs",
                    "healthyEdgeIntervalMs", "unhealthyEdgeIntervalMs"};
                long[] min = {100, 10, 1, 1, 1, 0, 0, 11, 100, 100};
                long day = 86_400_000;
                long[] max = {day, 300_000, 100, 100, 300_000, day, 50, day, day, day};
                int i = random.nextInt(fields.length);
                long value = random.nextBoolean() ? min[i] - 1 - random.nextInt(1000)
                        : max[i] + 1 + random.nextInt(1000);
                check.put(fields[i], value);
                return new Mutation(fields[i] + " " + value, Judge.BOTH, "healthCheck." + fields[i], r);
            }
            case 9 -> {
                String field = pick(random, "intervalMs", "timeoutMs", "jitterPercent", "unhealthyThreshold");
                JsonNode value = pick(random, r.numberNode(1.5), r.textNode("100"), r.booleanNode(true), r.arrayNode());
                check.set(field, value);
                return new Mutation(field + " " + value, Judge.BOTH, "healthCheck." + field, r);
            }
            case 10 -> {
                String field = pick(random, "type", "mcpMethod", "mcpSession");
                String value = pick(random, "grpc", "tools/call", "HTTP", "", "never");
                check.put(field, value);
                return new Mutation(field + " \"" + value + "\"", Judge.BOTH, "healthCheck." + field, r);
            }
            case 11 -> {
                String path = pick(random, "health", "x/y", " /a");
                check.put("path", path);
                return new Mutation("path \"" + path + "\"", Judge.BOTH, "healthCheck.path", r);
            }
            case 12 -> {
                String spec = pick(random, "2xx", "200-", "200,,204", "20", "200 - 299", "", "abc");
                check.put("expectStatus", spec);
                return new Mutation("expectStatus \"" + spec + "\"", Judge.BOTH, "healthCheck.expectStatus", r);
            }
            case 13 -> {
                ObjectNode auth = r.putObject("auth");
                switch (random.nextInt(6)) {
                    case 0 -> auth.put("type", "bearer");
                    case 1 -> auth.put("type", "header").put("secretRef", "s");
                    case 2 -> auth.put("type", "basic").put("secretRef", "s");
                    case 3 -> auth.put("type", "header").put("header", "Bad Header").put("secretRef", "s");
                    case 4 -> auth.put("type", "bearer").put("secretRef", "env:TOKEN");
                    default -> auth.put("type", "bearer").put("secretRef", "x".repeat(101));
                }
                return new Mutation("auth " + auth, Judge.BOTH, "auth", r);
            }
            case 14 -> {
                ObjectNode labels = r.putObject("labels");
                switch (random.nextInt(4)) {
                    case 0 -> labels.put("bad key", "v");
                    case 1 -> labels.put("team", 1);
                    case 2 -> labels.put("team", "v".repeat(257));
                    default -> {
                        for (int i = 0; i < 65; i++) {
                            labels.put("k" + i, "v");
                        }
                    }
                }
                String shown = labels.toString();
                return new Mutation("labels " + shown.substring(0, Math.min(80, shown.length())), Judge.BOTH,
                        "labels", r);
            }
            case 15 -> {
                String field = pick(random, "healthCheck", "auth", "labels");
                r.set(field, pick(random, r.textNode("x"), r.numberNode(1), r.arrayNode()));
                return new Mutation(field + " not an object", Judge.BOTH, field, r);
            }
            case 16, 17 -> {
                // an id the schema's pattern refuses whatever its length: the pattern must be anchored
                String id = pick(random, "a\n", "a b", "\u0430", "a/b");
                r.put("id", id);
                return new Mutation("id \"" + id.replace("\n", "\\n") + "\"", Judge.BOTH, "id", r);
            }
            // Rules a schema cannot state: the codec alone refuses.
            case 18 -> {
                check.put("timeoutMs", Math.min(300_000, interval + random.nextInt(2)));
                if (check.get("timeoutMs").asLong() < interval) {
                    check.put("intervalMs", check.get("timeoutMs").asLong());
                }
                check.remove(List.of("unhealthyIntervalMs", "healthyEdgeIntervalMs", "unhealthyEdgeIntervalMs"));
                return new Mutation("timeoutMs not below intervalMs", Judge.CODEC_ONLY, "healthCheck.timeoutMs", r);
            }
            case 19 -> {
                long atLeast50 = Math.max(timeout, 50); // below every interval (≥ 100), and room below it
                check.put("timeoutMs", atLeast50);
                check.put("unhealthyIntervalMs", Math.max(11, atLeast50 - random.nextInt(5)));
                check.remove("unhealthyEdgeIntervalMs");
                return new Mutation("unhealthyIntervalMs not above timeoutMs", Judge.CODEC_ONLY,
                        "healthCheck.unhealthyIntervalMs", r);
            }
            case 20 -> {
                long below = Math.min(interval, 86_000_000); // so the edge stays within the schema's maximum
                check.put("intervalMs", below);
                check.remove(List.of("unhealthyIntervalMs", "unhealthyEdgeIntervalMs"));
                check.put("healthyEdgeIntervalMs", below + 1 + random.nextInt(1000));
                return new Mutation("healthyEdgeIntervalMs above intervalMs", Judge.CODEC_ONLY,
                        "healthCheck.healthyEdgeIntervalMs", r);
            }
            case 21 -> {
                String spec = pick(random, "099", "600", "300-200", "200-999", "000");
                check.put("expectStatus", spec);
                return new Mutation("expectStatus \"" + spec + "\" outside 100-599", Judge.CODEC_ONLY,
                        "healthCheck.expectStatus", r);
            }
            default -> {
                String url = pick(random, "http://169.254.169.254/latest/meta-data", "http://[fe80::1]/",
                        "http://169.254.1.1:8080/", "http://[::ffff:169.254.169.254]/");
                r.put("url", url);
                return new Mutation("url \"" + url + "\" denied by the target policy", Judge.CODEC_ONLY, "url", r);
            }
        }
    }

    /**
     * Records that mean the same as one without the field: an optional field set to JSON null, or an
     * empty {@code healthCheck.path}. Both judges accept them (the schema once refused them while the
     * codec read them as absent; these generators found it). The judge recorded is unused.
     */
    static Mutation absentSpelledOtherwise(Random random, ObjectNode valid) {
        ObjectNode r = valid.deepCopy();
        ObjectNode check = r.has("healthCheck") ? (ObjectNode) r.get("healthCheck") : r.putObject("healthCheck");
        switch (random.nextInt(3)) {
            case 0 -> {
                String field = pick(random, "name", "healthCheck", "auth", "labels");
                r.putNull(field);
                return new Mutation(field + " null", Judge.BOTH, field, r);
            }
            case 1 -> {
                String field = pick(random, "intervalMs", "timeoutMs", "path", "expectStatus", "type", "mcpMethod");
                check.putNull(field);
                return new Mutation("healthCheck." + field + " null", Judge.BOTH, "healthCheck." + field, r);
            }
            default -> {
                check.put("path", "");
                return new Mutation("healthCheck.path empty", Judge.BOTH, "healthCheck.path", r);
            }
        }
    }

    private static long between(Random random, long min, long max) {
        return min + (long) (random.nextDouble() * (max - min + 1));
    }

    private static String string(Random random, String chars, int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append(chars.charAt(random.nextInt(chars.length())));
        }
        return s.toString();
    }

    /**
     * Any text the JSON can carry, {@code length} characters (code points, as a schema's maxLength counts
     * them): ASCII, accents, CJK, controls, quotes, and emoji outside the Basic Multilingual Plane.
     */
    private static String text(Random random, int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            if (random.nextInt(7) == 0) {
                s.appendCodePoint(0x1F600 + random.nextInt(0x40)); // two UTF-16 units, one character
                continue;
            }
            char c = switch (random.nextInt(6)) {
                case 0 -> (char) (0x4e00 + random.nextInt(0x5000));
                case 1 -> (char) (0xc0 + random.nextInt(0x100));
                case 2 -> (char) random.nextInt(0x20);
                case 3 -> "\"\\/ ".charAt(random.nextInt(4));
                default -> (char) (0x20 + random.nextInt(0x5f));
            };
            s.append(c);
        }
        return s.toString();
    }

    @SafeVarargs
    private static <T> T pick(Random random, T... values) {
        return values[random.nextInt(values.length)];
    }
}
