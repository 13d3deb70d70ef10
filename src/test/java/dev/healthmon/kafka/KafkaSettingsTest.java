package dev.healthmon.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** The aggregator's Streams settings are complete: Streams has nothing to warn about in them. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KafkaSettingsTest {

    @Test
    void streamsSettingsLeaveStreamsConfigNothingToWarnAbout() {
        Logger streamsConfigLog = (Logger) LoggerFactory.getLogger(StreamsConfig.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        streamsConfigLog.addAppender(logged);
        try {
            StreamsConfig config = new StreamsConfig(KafkaSettings.of("127.0.0.1:1")
                    .streams("app", "127.0.0.1:8080", "/var/lib/healthmon", 1));

            assertThat(logged.list).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                    .map(ILoggingEvent::getFormattedMessage).isEmpty();
            assertThat(config.getBoolean(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG)).isTrue();
        } finally {
            streamsConfigLog.detachAppender(logged);
        }
    }
}
