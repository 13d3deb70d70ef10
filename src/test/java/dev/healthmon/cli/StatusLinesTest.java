package dev.healthmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.events.HealthEvent;
import dev.healthmon.status.HealthStatus;
import dev.healthmon.status.Outcome;
import dev.healthmon.status.Reason;
import dev.healthmon.support.HealthEvents;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The live view speaks when a status changes and on the first failure of a run; every other check is silent. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class StatusLinesTest {

    private static final LocalTime NOW = LocalTime.of(10, 0, 0);
    /** "X -> X": a transition line whose two sides are the same status. */
    private static final Pattern SELF_TRANSITION = Pattern.compile("\\s(\\S+(?: \\([A-Z_]+\\))?)\\s+-> \\1(\\s|$)");

    private final StatusLines lines = new StatusLines();
    private final List<String> printed = new ArrayList<>();

    private void see(HealthEvent event) {
        lines.next(event, NOW).ifPresent(printed::add);
    }

    private static HealthEvent ok(String id, HealthStatus from, HealthStatus to, Reason... reason) {
        return HealthEvents.event(id).outcome(Outcome.HEALTHY).status(from, to)
                .reason(Optional.ofNullable(reason.length == 0 ? null : reason[0])).build();
    }

    private static HealthEvent failed(String id, HealthStatus from, HealthStatus to, Reason... reason) {
        return HealthEvents.event(id).outcome(Outcome.UNHEALTHY).status(from, to)
                .reason(Optional.ofNullable(reason.length == 0 ? null : reason[0]))
                .failure(Optional.of(Failure.of(FailureKind.CONNECTION_REFUSED, "Connection refused"))).build();
    }

    @Test
    void aDeadBackendGetsItsFirstFailureAndEachStatusChangeNotEveryCheck() {
        see(failed("dead", HealthStatus.UNKNOWN, HealthStatus.UNKNOWN));
        see(failed("dead", HealthStatus.UNKNOWN, HealthStatus.UNKNOWN));
        see(failed("dead", HealthStatus.UNKNOWN, HealthStatus.UNHEALTHY, Reason.FAILING));
        see(failed("dead", HealthStatus.UNHEALTHY, HealthStatus.UNHEALTHY, Reason.FAILING));
        see(failed("dead", HealthStatus.UNHEALTHY, HealthStatus.UNHEALTHY, Reason.CIRCUIT_OPEN));
        see(failed("dead", HealthStatus.UNHEALTHY, HealthStatus.UNHEALTHY, Reason.CIRCUIT_OPEN));

        assertThat(printed).containsExactly(
                "10:00:00  dead           UNKNOWN            first failure   CONNECTION_REFUSED: Connection refused",
                "10:00:00  dead           UNKNOWN         -> UNHEALTHY (FAILING) CONNECTION_REFUSED: "
                        + "Connection refused",
                "10:00:00  dead           UNHEALTHY (FAILING) -> UNHEALTHY (CIRCUIT_OPEN) CONNECTION_REFUSED: "
                        + "Connection refused");
    }

    @Test
    void aFirstFailedCheckIsNeverPrintedAsAStatusGoingToItself() {
        see(failed("dead", HealthStatus.UNKNOWN, HealthStatus.UNKNOWN));
        see(failed("locked", HealthStatus.UNKNOWN, HealthStatus.UNKNOWN));

        assertThat(printed).hasSize(2).noneMatch(line -> SELF_TRANSITION.matcher(line).find())
                .allMatch(line -> line.contains("first failure"));
    }

    @Test
    void aHealthyBackendIsAnnouncedOnceThenSilent() {
        see(ok("api", HealthStatus.UNKNOWN, HealthStatus.HEALTHY));
        for (int i = 0; i < 10; i++) {
            see(ok("api", HealthStatus.HEALTHY, HealthStatus.HEALTHY));
        }

        assertThat(printed).containsExactly("10:00:00  api            UNKNOWN         -> HEALTHY");
    }

    @Test
    void aHealthyBackendThatStartsFailingShowsBeforeItsStatusMoves() {
        see(ok("api", HealthStatus.UNKNOWN, HealthStatus.HEALTHY));
        see(failed("api", HealthStatus.HEALTHY, HealthStatus.HEALTHY));
        see(failed("api", HealthStatus.HEALTHY, HealthStatus.HEALTHY));
        see(ok("api", HealthStatus.HEALTHY, HealthStatus.DEGRADED, Reason.RECOVERING));
        see(failed("api", HealthStatus.DEGRADED, HealthStatus.DEGRADED, Reason.RECOVERING));

        assertThat(printed).containsExactly(
                "10:00:00  api            UNKNOWN         -> HEALTHY",
                "10:00:00  api            HEALTHY            first failure   CONNECTION_REFUSED: Connection refused",
                "10:00:00  api            HEALTHY         -> DEGRADED (RECOVERING)",
                "10:00:00  api            DEGRADED (RECOVERING)    first failure   CONNECTION_REFUSED: "
                        + "Connection refused");
    }

    @Test
    void theTableHasEveryBackendsLatestEvent() {
        see(ok("b", HealthStatus.UNKNOWN, HealthStatus.HEALTHY));
        see(failed("a", HealthStatus.UNKNOWN, HealthStatus.UNKNOWN));
        see(ok("b", HealthStatus.HEALTHY, HealthStatus.HEALTHY));

        assertThat(lines.latest()).extracting(HealthEvent::backendId).containsExactly("a", "b");
    }
}
