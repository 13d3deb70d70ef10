package dev.healthmon.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code --log-format}: {@code text} (the default, one readable line per event) or {@code json}
 * (one JSON object per line, Logback's {@code JsonEncoder}, for log shippers). Switches the
 * encoder of the {@code STDERR} appender that {@code logback.xml} defines.
 */
enum LogFormat {
    TEXT, JSON;

    static final String TEXT_PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0} - %msg%n";

    /** The {@code --log-format} chosen for {@code command} (its own or inherited); an unknown value throws. */
    static LogFormat of(CommandSpec command) {
        Object value = command.findOption("--log-format").getValue();
        try {
            return valueOf(String.valueOf(value).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--log-format: must be text or json, was " + value, e);
        }
    }

    void apply() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // another SLF4J backend: its own configuration rules
        }
        if (!(context.getLogger(Logger.ROOT_LOGGER_NAME)
                .getAppender("STDERR") instanceof ConsoleAppender<ILoggingEvent> appender)) {
            return;
        }
        Encoder<ILoggingEvent> encoder = encoder(context);
        appender.stop();
        appender.setEncoder(encoder);
        appender.start();
    }

    /** A started encoder of this format, for an appender of {@code context}. */
    Encoder<ILoggingEvent> encoder(LoggerContext context) {
        Encoder<ILoggingEvent> encoder;
        if (this == JSON) {
            JsonEncoder json = new JsonEncoder();
            json.setContext(context);
            json.setWithFormattedMessage(true); // the line as a person reads it, not the template and its arguments
            json.setWithMessage(false);
            json.setWithArguments(false);
            json.setWithContext(false);
            encoder = json;
        } else {
            PatternLayoutEncoder text = new PatternLayoutEncoder();
            text.setContext(context);
            text.setPattern(TEXT_PATTERN);
            encoder = text;
        }
        encoder.start();
        return encoder;
    }
}
