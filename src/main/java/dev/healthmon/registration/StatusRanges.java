package dev.healthmon.registration;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The HTTP statuses an {@code http} check accepts, written as in the registration:
 * {@code "200-399"}, {@code "200,204"}, {@code "200-299,304"}. Equal when the text is equal.
 */
public final class StatusRanges {

    /** Longer specs, or more ranges, are refused before parsing: a registration is untrusted input. */
    public static final int MAX_LENGTH = 512;
    public static final int MAX_RANGES = 64;
    // Declared before DEFAULT: static initialisers run in order, and parse() needs it. One range at a time:
    // a pattern repeating a group over the whole spec recurses once per repeat in java.util.regex, and a long
    // spec overflowed the stack of the thread decoding it (the registry poll thread, the aggregator's).
    private static final Pattern RANGE = Pattern.compile("\\d{3}(-\\d{3})?");
    public static final StatusRanges DEFAULT = parse("200-399");

    private final String spec;
    private final List<int[]> ranges;

    private StatusRanges(String spec, List<int[]> ranges) {
        this.spec = spec;
        this.ranges = List.copyOf(ranges);
    }

    /** @throws IllegalArgumentException with a message fit for the user when the spec is malformed */
    public static StatusRanges parse(String spec) {
        if (spec == null) {
            throw new IllegalArgumentException("must look like \"200-399\" or \"200,204\", was null");
        }
        if (spec.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("must be at most " + MAX_LENGTH + " characters, was " + spec.length());
        }
        String[] parts = spec.split(",", -1);
        if (parts.length > MAX_RANGES) {
            throw new IllegalArgumentException("must list at most " + MAX_RANGES + " ranges, was " + parts.length);
        }
        for (String part : parts) {
            if (!RANGE.matcher(part).matches()) {
                throw new IllegalArgumentException("must look like \"200-399\" or \"200,204\", was \"" + spec + "\"");
            }
        }
        List<int[]> ranges = new ArrayList<>();
        for (String part : parts) {
            String[] bounds = part.split("-");
            int low = Integer.parseInt(bounds[0]);
            int high = bounds.length == 2 ? Integer.parseInt(bounds[1]) : low;
            if (low < 100 || high > 599 || low > high) {
                throw new IllegalArgumentException("range " + part + " must be low-high within 100-599");
            }
            ranges.add(new int[] {low, high});
        }
        return new StatusRanges(spec, ranges);
    }

    public boolean contains(int status) {
        for (int[] range : ranges) {
            if (status >= range[0] && status <= range[1]) {
                return true;
            }
        }
        return false;
    }

    /** As written in the registration, e.g. {@code 200-399}; also its JSON. */
    @JsonValue
    public String spec() {
        return spec;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StatusRanges other && other.spec.equals(spec);
    }

    @Override
    public int hashCode() {
        return spec.hashCode();
    }

    @Override
    public String toString() {
        return spec;
    }
}
