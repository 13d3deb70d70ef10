package dev.healthmon.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What of a server-chosen session the lean paths put into a request head (design.md §10.26, §10.28). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class McpLeanPingTest {

    /** A line break would let the server write our request; a space, a control character or obs-text is not a token. */
    @ParameterizedTest
    @ValueSource(strings = {"a\rX: b", "a\r\nX: b", "a\nb", "a b", " ", "a\tb", "a\u0000b", "caf\u00e9", "\u0080",
        "a\u007fb", ""})
    void sessionIdsAHeadCannotCarryAsTheyAreAreRefused(String sessionId) {
        assertThat(new McpLeanPing.SessionHeaders(Optional.of(sessionId), Optional.of("2025-06-18")).sendable())
                .isFalse();
        assertThat(new McpLeanPing.SessionHeaders(Optional.empty(), Optional.of(sessionId)).sendable())
                .as("nor a protocol version").isFalse();
    }

    @Test
    void visibleAsciiSessionIdsAndNoSessionAreSendable() {
        assertThat(new McpLeanPing.SessionHeaders(Optional.of("a-Z_0.9~!#$%&'*+^`|"), Optional.of("2025-06-18"))
                .sendable()).isTrue();
        assertThat(new McpLeanPing.SessionHeaders(Optional.empty(), Optional.empty()).sendable()).isTrue();
    }

    @Test
    void anEmptyMcpSessionIdHeaderNamesNoSession() {
        McpLeanPing.Answer answer = new McpLeanPing.Answer(Optional.of("init-1"));
        answer.reset();

        answer.sessionId("");

        assertThat(answer.sessionId()).isEmpty();
    }
}
