package dev.healthmon.events;

/**
 * Escapes untrusted text (a record key) before it reaches a log line, as the contract's
 * {@code UntrustedText.escape} does: control characters (C0, DEL, C1, U+2028/2029) as
 * {@code \}{@code uXXXX}, backslash doubled, cut to {@code maxChars} with "…". A stand-in until
 * that shared helper lands on this branch; replace calls with it then.
 */
final class LogText {

    private LogText() {}

    static String escape(String text, int maxChars) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), maxChars) + 8);
        for (int i = 0; i < text.length(); i++) {
            if (out.length() >= maxChars) {
                return out.append('…').toString();
            }
            char c = text.charAt(i);
            if (c == '\\') {
                out.append("\\\\");
            } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
