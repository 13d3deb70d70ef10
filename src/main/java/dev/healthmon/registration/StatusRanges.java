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

    // Declared before DEFAULT: static initialisers run in order, and parse() needs it.
    private static final Pattern SYNTAX = Pattern.compile("\\d{3}(-\\d{3})?(,\\d{3}(-\\d{3})?)*");
    public static final StatusRanges DEFAULT = parse("200-399");

    private final String spec;
    private final List<int[]> ranges;

    private StatusRanges(String spec, List<int[]> ranges) {
        this.spec = spec;
        this.ranges = List.copyOf(ranges);
    }

    /** @throws IllegalArgumentException with a message fit for the user when the spec is malformed */
    public static StatusRanges parse(String spec) {
        if (spec == null || !SYNTAX.matcher(spec).matches()) {
            throw new IllegalArgumentException("must look like \"200-399\" or \"200,204\", was \"" + spec + "\"");
        }
        List<int[]> ranges = new ArrayList<>();
        for (String part : spec.split(",")) {
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
