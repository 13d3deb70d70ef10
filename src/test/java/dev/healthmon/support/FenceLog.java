package dev.healthmon.support;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a monitor process's log (logback's {@code HH:mm:ss.SSS}, this machine's clock and zone) for
 * the moments it fenced itself: {@code partition=… lost: stopped N checks} (the group told it the
 * partition is gone) and {@code commit fenced (…): stopped N checks} (a commit was refused). Each
 * line is written once those checks were stopped, so nothing they checked later may be published.
 */
public final class FenceLog {

    private static final Pattern FENCED = Pattern.compile(
            "(?m)^(\\d{2}:\\d{2}:\\d{2}\\.\\d{3}) .*(?:partition=\\S+ lost|commit fenced \\(.*\\)): stopped (\\d+) "
            + "checks");

    /** @param at when the line was written, to the millisecond */
    public record Fence(Instant at, int stoppedChecks) {
    }

    private FenceLog() {
    }

    /** Every fence line in {@code log}, in order; {@code now} fixes the date of the log's times. */
    public static List<Fence> fences(String log, Instant now) {
        List<Fence> fences = new ArrayList<>();
        Matcher m = FENCED.matcher(log);
        while (m.find()) {
            fences.add(new Fence(ShutdownLog.instant(m.group(1), now), Integer.parseInt(m.group(2))));
        }
        return fences;
    }
}
