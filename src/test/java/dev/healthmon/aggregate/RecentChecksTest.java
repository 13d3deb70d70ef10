package dev.healthmon.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.healthmon.registration.RegistrationVersion;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.Thresholds;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The ring of a backend's latest checks, and how the store keeps it. */
class RecentChecksTest {

    private static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");
    private final StatusJson json = new StatusJson(new ObjectMapper());

    private static RecentChecks.Check check(int second, Outcome outcome) {
        return new RecentChecks.Check(T0.plusSeconds(second), outcome, 10 + second);
    }

    private static RecentChecks filled(int count) {
        RecentChecks checks = RecentChecks.NONE;
        for (int i = 0; i < count; i++) {
            checks = checks.add(check(i, Outcome.values()[i % Outcome.values().length]));
        }
        return checks;
    }

    private static StatusState state(RecentChecks checks) {
        BackendStatus unknown = BackendStatus.unknown(new TrackedBackend("api", "API", Map.of("team", "payments"),
                new RegistrationVersion(0, 3), new Thresholds(3, 2), Duration.ofSeconds(10), Duration.ofSeconds(1),
                "fp"), T0);
        StatusState fresh = StatusState.fresh(unknown);
        return new StatusState(fresh.view(), fresh.applied(), fresh.flapping(), fresh.availability(), fresh.history(),
                checks);
    }

    @Test
    void keepsChecksOldestFirstInTheOrderTheyWereAdded() {
        RecentChecks checks = RecentChecks.NONE.add(check(1, Outcome.HEALTHY)).add(check(2, Outcome.UNHEALTHY))
                .add(check(3, Outcome.DEGRADED));

        assertThat(checks.checks()).containsExactly(check(1, Outcome.HEALTHY), check(2, Outcome.UNHEALTHY),
                check(3, Outcome.DEGRADED));
    }

    @Test
    void holdsAtMostItsCapacityAndDropsTheOldestFirst() {
        RecentChecks checks = filled(RecentChecks.CAPACITY + 7);

        assertThat(checks.checks()).hasSize(RecentChecks.CAPACITY);
        assertThat(checks.checks().get(0).at()).isEqualTo(T0.plusSeconds(7));
        assertThat(checks.checks().get(RecentChecks.CAPACITY - 1).at())
                .isEqualTo(T0.plusSeconds(RecentChecks.CAPACITY + 6));
    }

    @Test
    void aListLongerThanTheCapacityKeepsItsNewest() {
        List<RecentChecks.Check> many = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            many.add(check(i, Outcome.HEALTHY));
        }

        assertThat(new RecentChecks(many).checks()).hasSize(RecentChecks.CAPACITY)
                .first().extracting(RecentChecks.Check::at).isEqualTo(T0.plusSeconds(50 - RecentChecks.CAPACITY));
    }

    @Test
    void storeValueKeepsEveryCheckWithItsTimeOutcomeAndLatency() {
        StatusState state = state(filled(RecentChecks.CAPACITY));

        assertThat(json.decodeState(json.encode(state))).isEqualTo(state);
    }

    @Test
    void storeValueWrittenBeforeTheChecksExistedDecodesWithNone() {
        // The JSON every version before the binary format wrote: none of them kept checks.
        StatusState decoded = json.decodeState(StoreValues.LEGACY_FULL.getBytes(StandardCharsets.UTF_8));

        assertThat(decoded.checks()).isEqualTo(RecentChecks.NONE);
        assertThat(decoded.view()).isEqualTo(StoreValues.full().view());
    }

    @Test
    void storeValueIsCompact() {
        byte[] with = json.encode(state(filled(RecentChecks.CAPACITY)));
        byte[] without = json.encode(state(RecentChecks.NONE));

        // Times as deltas, the outcome by name: under 16 bytes a check.
        assertThat(with.length - without.length).isLessThan(16 * RecentChecks.CAPACITY);
    }

    @Test
    void checksAppendedToAsTheStoreHoldsThemAreTheChecksAppendedToAsObjects() {
        // Each event reads the value, appends one check on its bytes and writes it back: the same checks, and the same
        // bytes, as appending to objects, through the ring's filling and its turning, with times back and forth.
        Random random = new Random(1_617L);
        RecentChecks objects = RecentChecks.NONE;
        StatusState stored = state(RecentChecks.NONE);
        long ms = T0.toEpochMilli();
        for (int i = 0; i < 3 * RecentChecks.CAPACITY; i++) {
            ms += random.nextInt(200_000) - 20_000; // times back and forth
            RecentChecks.Check check = randomCheck(random, ms);
            objects = objects.add(check);
            StatusState read = json.decodeState(json.encode(stored));
            stored = new StatusState(read.view(), read.applied(), read.flapping(), read.availability(), read.history(),
                    read.checks().add(check));

            assertThat(stored.checks().checks()).as("after check " + i).isEqualTo(objects.checks());
            assertThat(json.encode(stored)).as("after check " + i).isEqualTo(json.encode(state(objects)));
        }
        assertThat(stored.checks().checks()).hasSize(RecentChecks.CAPACITY);
    }

    @Test
    void checksAppendedAgainAndAgainOnTheBytesAreTheChecksAppendedToAsObjects() {
        // The fold appends to what an append made when it is not read back in between (a replay of several results
        // of one event, a test): the appended value must know where its checks start as a read one does.
        Random random = new Random(4_242L);
        RecentChecks objects = RecentChecks.NONE;
        RecentChecks bytes = json.decodeState(json.encode(state(RecentChecks.NONE))).checks();
        long ms = T0.toEpochMilli();
        for (int i = 0; i < 3 * RecentChecks.CAPACITY; i++) {
            ms += random.nextInt(200_000) - 20_000; // times back and forth
            RecentChecks.Check check = randomCheck(random, ms);
            objects = objects.add(check);
            bytes = bytes.add(check);

            assertThat(bytes.checks()).as("after check " + i).isEqualTo(objects.checks());
            assertThat(json.encode(state(bytes))).as("after check " + i).isEqualTo(json.encode(state(objects)));
        }
    }

    @Test
    void anOutcomeThisVersionDoesNotKnowIsRefused() {
        byte[] value = json.encode(state(RecentChecks.NONE.add(check(0, Outcome.UNAUTHENTICATED))));
        String text = new String(value, StandardCharsets.ISO_8859_1);
        int at = text.lastIndexOf("UNAUTHENTICATED");
        byte[] corrupt = (text.substring(0, at) + "UNAUTHENTICATEX" + text.substring(at + 15))
                .getBytes(StandardCharsets.ISO_8859_1);

        assertThatThrownBy(() -> json.decodeState(corrupt)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("UNAUTHENTICATEX");
    }

    private static RecentChecks.Check randomCheck(Random random, long epochMillis) {
        return new RecentChecks.Check(Instant.ofEpochMilli(epochMillis),
                Outcome.values()[random.nextInt(Outcome.values().length)], random.nextInt(70_000));
    }
}
