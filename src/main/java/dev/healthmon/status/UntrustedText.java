package dev.healthmon.status;

/**
 * Makes text from registry writers and backends (record keys, ids, error messages, MCP server
 * names, labels) safe to put in a text log line or on a terminal: it can then neither start a
 * forged line nor send escape sequences to the reader's terminal, and cannot flood either.
 * Thread-safe (stateless).
 */
public final class UntrustedText {

    private UntrustedText() {}

    /**
     * {@code text} with every control character — C0, DEL, C1, and the line and paragraph separators
     * U+2028/U+2029 — written as <code>&#92;uXXXX</code> (ESC becomes <code>&#92;u001b</code>), and
     * every backslash doubled (so an escape in the output always means an escaped character, never
     * one the writer typed), cut to {@code maxChars} characters of the original text with {@code …}
     * appended when cut. {@code null} gives {@code "null"}, as string concatenation would.
     */
    public static String escape(String text, int maxChars) {
        if (maxChars < 0) {
            throw new IllegalArgumentException("maxChars must be at least 0, was " + maxChars);
        }
        if (text == null) {
            return "null";
        }
        int end = Math.min(text.length(), maxChars);
        if (end < text.length() && end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
            end--; // do not split a surrogate pair into an unpaired half
        }
        StringBuilder out = null;
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            boolean plain = c != '\\' && !isControl(c);
            if (!plain && out == null) {
                out = new StringBuilder(end + 16).append(text, 0, i);
            }
            if (out != null) {
                if (c == '\\') {
                    out.append("\\\\");
                } else if (plain) {
                    out.append(c);
                } else {
                    out.append(String.format("\\u%04x", (int) c));
                }
            }
        }
        String kept = out != null ? out.toString() : text.substring(0, end);
        return end < text.length() ? kept + "…" : kept;
    }

    private static boolean isControl(char c) {
        return c < 0x20 || c >= 0x7f && c <= 0x9f || c == '\u2028' || c == '\u2029';
    }
}
