package dev.healthmon.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class UntrustedTextTest {

    @Test
    void plainTextIsUnchanged() {
        assertThat(UntrustedText.escape("api-1 Café ✓ 名前", 100)).isEqualTo("api-1 Café ✓ 名前");
    }

    @Test
    void lineBreaksCannotStartALineOfTheirOwn() {
        assertThat(UntrustedText.escape("evil\nINFO forged\r\n", 100))
                .isEqualTo("evil\\u000aINFO forged\\u000d\\u000a");
        assertThat(UntrustedText.escape("a\u2028b\u2029c\u0085d", 100)).isEqualTo("a\\u2028b\\u2029c\\u0085d");
    }

    @Test
    void terminalControlSequencesAreWrittenOut() {
        assertThat(UntrustedText.escape("\u001b[2J\u001b]0;title\u0007\u009b31m\u007f\u0000\t", 100))
                .isEqualTo("\\u001b[2J\\u001b]0;title\\u0007\\u009b31m\\u007f\\u0000\\u0009");
    }

    @Test
    void aBackslashTypedByTheWriterIsDoubledSoItCannotImitateAnEscape() {
        assertThat(UntrustedText.escape("a\\u000ab", 100)).isEqualTo("a\\\\u000ab");
    }

    @Test
    void longTextIsCutWithAnEllipsis() {
        assertThat(UntrustedText.escape("x".repeat(10_000), 5)).isEqualTo("xxxxx…");
        assertThat(UntrustedText.escape("abc", 3)).isEqualTo("abc");
        assertThat(UntrustedText.escape("\n".repeat(10), 2)).isEqualTo("\\u000a\\u000a…");
    }

    @Test
    void aCutNeverSplitsASurrogatePair() {
        assertThat(UntrustedText.escape("a😀b", 2)).isEqualTo("a…");
        assertThat(UntrustedText.escape("a😀b", 3)).isEqualTo("a😀…");
    }

    @Test
    void nullAndBadLimits() {
        assertThat(UntrustedText.escape(null, 10)).isEqualTo("null");
        assertThatThrownBy(() -> UntrustedText.escape("x", -1)).hasMessageContaining("maxChars");
    }
}
