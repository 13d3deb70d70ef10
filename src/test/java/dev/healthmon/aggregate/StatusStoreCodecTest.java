package dev.healthmon.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.status.HealthStatus;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The aggregator's store values: the binary format, and the JSON that versions before it wrote. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StatusStoreCodecTest {

    private final StatusJson json = new StatusJson(new ObjectMapper());

    @Test
    void statusesAreWrittenInTheBinaryFormatAndReadBackEqual() {
        for (StatusState state : new StatusState[] {StoreValues.full(), StoreValues.fresh()}) {
            byte[] bytes = json.encode(state);
            assertThat(bytes[0]).isEqualTo((byte) StatusStoreCodec.FORMAT);
            assertThat(json.decodeState(bytes)).isEqualTo(state);
        }
        byte[] tracked = json.encode(StoreValues.tracked());
        assertThat(tracked[0]).isEqualTo((byte) StatusStoreCodec.FORMAT);
        assertThat(json.decodeTracked(tracked)).isEqualTo(StoreValues.tracked());
    }

    @Test
    void aHistoryReadFromTheStoreIsWrittenBackAsItWasAndMeansTheSameUnderARenamedView() {
        StatusState full = StoreValues.full();
        StatusState read = json.decodeState(json.encode(full));
        assertThat(json.decodeState(json.encode(read))).isEqualTo(full);

        // A descriptive change renames the backend: transitions that took the view's name keep the old one.
        BackendStatus v = read.view();
        BackendStatus renamed = new BackendStatus(v.id(), "Renamed", Map.of("team", "other"), v.status(), v.reason(),
                v.since(), v.lastCheckedAt(), v.latencyMs(), v.consecutiveFailures(), v.consecutiveSuccesses(),
                v.flapping(), v.availability(), v.lastFailure(), v.checkedBy(), v.ownerEpoch(), v.registration());
        StatusState moved = new StatusState(renamed, read.applied(), read.flapping(), read.availability(),
                read.history(), read.checks());

        assertThat(json.decodeState(json.encode(moved)).history()).isEqualTo(full.history());
    }

    @Test
    void readsTheJsonStoreValuesThatEarlierVersionsWrote() {
        // No version that wrote JSON kept the recent checks.
        assertThat(json.decodeState(utf8(StoreValues.LEGACY_FULL))).isEqualTo(StoreValues.withoutChecks(
                StoreValues.full()));
        assertThat(json.decodeState(utf8(StoreValues.LEGACY_FRESH))).isEqualTo(StoreValues.fresh());
        assertThat(json.decodeTracked(utf8(StoreValues.LEGACY_TRACKED))).isEqualTo(StoreValues.tracked());
    }

    @Test
    void aStatusTakesAFractionOfItsJson() {
        assertThat(json.encode(StoreValues.withoutChecks(StoreValues.full())).length)
                .isLessThan(StoreValues.LEGACY_FULL.length() / 3);
    }

    @Test
    void fieldsAValueLacksTakeTheirDefaults() {
        // A value written before fields 2-6 existed, as a version that knew only the view would write it.
        StatusState read = json.decodeState(onlyFields(json.encode(StoreValues.full()), Set.of(1)));
        assertThat(read).isEqualTo(new StatusState(StoreValues.full().view(), Optional.empty(), Flapping.NONE,
                Availability.EMPTY, List.of(), RecentChecks.NONE));
        TrackedBackend tracked = json.decodeTracked(onlyFields(json.encode(StoreValues.tracked()), Set.of(1, 2, 5)));
        assertThat(tracked.longestInterval()).isEqualTo(StatusJson.LEGACY_FENCE_WINDOW);
        assertThat(tracked.thresholds()).isEqualTo(StoreValues.tracked().thresholds());
    }

    @Test
    void fieldsOfANewerVersionAreSkipped() {
        byte[] bytes = json.encode(StoreValues.full());
        ByteArrayOutputStream newer = new ByteArrayOutputStream();
        newer.writeBytes(bytes);
        byte[] body = new byte[300]; // longer than 127 bytes: a two-byte length
        Arrays.fill(body, (byte) 0x7F);
        newer.write(99);
        newer.write(0x80 | (body.length & 0x7F));
        newer.write(body.length >>> 7);
        newer.writeBytes(body);
        assertThat(json.decodeState(newer.toByteArray())).isEqualTo(StoreValues.full());
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // fails if it spins
    void aFieldLengthPast2To63IsRefusedNotReadForEver() {
        // Format 1, tag 99, a ten-byte length of 2^64 - 11: read as a signed long it is -11, which would move the
        // reader back onto the tag (a hostile changelog value must not spin the stream thread).
        byte[] value = {1, 99, (byte) 0xF5, -1, -1, -1, -1, -1, -1, -1, -1, 1};

        assertThatThrownBy(() -> json.decodeState(value)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("elements in");
    }

    @Test
    void moreRecentStatusesThanAnyFlapWindowAreRefusedInTotalNotOnlyPerRun() {
        // Two runs of 600: each within the 1,000 a flap window may hold, together not.
        StoreBytes.Writer w = new StoreBytes.Writer().raw(StatusStoreCodec.FORMAT);
        w.field(3, null, (out, none) -> out.unsigned(2).name(HealthStatus.HEALTHY).unsigned(600)
                .name(HealthStatus.DEGRADED).unsigned(600).bool(false));

        assertThatThrownBy(() -> json.decodeState(w.toByteArray())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("more than 1000 recent statuses");
    }

    @Test
    void longFieldsKeepTheirLength() {
        // Labels long enough that the view field's length takes three bytes.
        TrackedBackend b = StoreValues.tracked();
        TrackedBackend labelled = new TrackedBackend(b.id(), b.name(), Map.of("notes", "x".repeat(20_000)), b.version(),
                b.thresholds(), b.longestInterval(), b.timeout(), b.checkingFingerprint());
        StatusState state = StatusState.fresh(BackendStatus.unknown(labelled, StoreValues.T0));
        assertThat(json.decodeState(json.encode(state))).isEqualTo(state);
        assertThat(json.decodeTracked(json.encode(labelled))).isEqualTo(labelled);
    }

    @Test
    void aTruncatedOrCorruptValueIsReadOrRefusedWithIllegalArgumentNeverAnotherError() {
        byte[] bytes = json.encode(StoreValues.full());
        int refused = 0;
        for (int i = 1; i < bytes.length; i++) {
            byte[][] damages = {Arrays.copyOf(bytes, i), corrupt(bytes, i, 0xFF), corrupt(bytes, i, 0)};
            for (byte[] damaged : damages) {
                try {
                    json.decodeState(damaged);
                } catch (IllegalArgumentException e) {
                    refused++; // what the stores' readers expect of a bad value; anything else fails the test
                }
            }
        }
        assertThat(refused).isGreaterThan(bytes.length);
    }

    private static byte[] corrupt(byte[] bytes, int at, int value) {
        byte[] c = bytes.clone();
        c[at] = (byte) value;
        return c;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The value with only the top-level fields whose tag is in {@code keep} (tags and lengths as written). */
    private static byte[] onlyFields(byte[] value, Set<Integer> keep) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(value[0]);
        int pos = 1;
        while (pos < value.length) {
            int start = pos;
            int tag = value[pos++];
            int length = 0;
            for (int shift = 0; ; shift += 7) {
                int b = value[pos++] & 0xFF;
                length |= (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    break;
                }
            }
            pos += length;
            if (keep.contains(tag)) {
                out.write(value, start, pos - start);
            }
        }
        return out.toByteArray();
    }
}
