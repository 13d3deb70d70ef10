package dev.healthmon.cli;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.status.UntrustedText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A record's JSON value as one line that is safe on a terminal: compact, and with every control
 * character escaped. JSON itself escapes only C0 inside strings; DEL, C1 (the 8-bit CSI among them)
 * and U+2028/2029 may appear raw, and a terminal or a log reader would act on them. Thread-safe.
 */
final class TerminalJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int MAX_RAW = 64 * 1024;

    static {
        MAPPER.getFactory().setCharacterEscapes(new ControlEscapes());
    }

    private TerminalJson() {}

    static String line(byte[] value) {
        try {
            return MAPPER.writeValueAsString(MAPPER.readTree(value));
        } catch (IOException e) {
            return UntrustedText.escape(new String(value, StandardCharsets.UTF_8), MAX_RAW);
        }
    }

    private static final class ControlEscapes extends CharacterEscapes {
        private static final long serialVersionUID = 1L;
        private final int[] ascii = standardAsciiEscapesForJSON();

        ControlEscapes() {
            ascii[0x7f] = ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return ch >= 0x80 && ch <= 0x9f || ch == 0x2028 || ch == 0x2029
                    ? new SerializedString(String.format("\\u%04X", ch)) : null;
        }
    }
}
