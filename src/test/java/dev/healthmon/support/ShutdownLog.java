package dev.healthmon.support;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a monitor process's log (logback's {@code HH:mm:ss.SSS} pattern, this machine's clock and zone) for the moment
 * it stopped its checks while shutting down: the last {@code shutdown: stopped N checks} (or
 * {@code partition=… revoked|lost: stopped N checks}) line before {@code monitor=… stopped in}. The line is written
 * after the checks were stopped, so nothing checked later than it may be published.
 */
public final class ShutdownLog {

    private static final Pattern CHECKS_STOPPED = Pattern.compile(
            "(?m)^(\\d{2}:\\d{2}:\\d{2}\\.\\d{3}) "
                    + ".*(?:partition=\\S+ (?:revoked|lost)|shutdown): stopped \\d+ checks$");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    private ShutdownLog() {
    }

    /** @param exitedAt when the process was seen gone: fixes the date of the log's times (a run across midnight) */
    public static Optional<Instant> checksStoppedAt(String log, Instant exitedAt) {
        int end = log.indexOf(" stopped in ");
        Matcher m = CHECKS_STOPPED.matcher(end < 0 ? log : log.substring(0, end));
        String last = null;
        while (m.find()) {
            last = m.group(1);
        }
        return last == null ? Optional.empty() : Optional.of(instant(last, exitedAt));
    }

    /** A log line's {@code HH:mm:ss.SSS} as the latest such instant not after {@code notAfter}. */
    static Instant instant(String time, Instant notAfter) {
        ZoneId zone = ZoneId.systemDefault();
        ZonedDateTime at = ZonedDateTime.of(LocalDate.ofInstant(notAfter, zone), LocalTime.parse(time, TIME), zone);
        return (at.toInstant().isAfter(notAfter) ? at.minusDays(1) : at).toInstant();
    }
}
