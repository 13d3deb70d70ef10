package dev.healthmon.registry;

import static dev.healthmon.registry.MockRegistry.P0;
import static dev.healthmon.registry.MockRegistry.P1;
import static dev.healthmon.registry.MockRegistry.invalid;
import static dev.healthmon.registry.MockRegistry.record;
import static dev.healthmon.registry.MockRegistry.registration;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.healthmon.monitor.ActiveCheck;
import dev.healthmon.registration.RegistrationVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The registry consumer as a state machine over group membership (issue #14): what a revocation, a
 * loss and a quick re-assignment do to checks, restores and commits. Each test asserts the order of
 * events in the {@link MockRegistry#journal} — callbacks, records handed out, commits, checks
 * started and stopped — never timing: it waits only for an event to appear.
 *
 * <p>Tests that watch a restore hand out one record per {@code poll()}, so the journal shows where
 * the position was when checks started.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RegistryRebalanceTest {

    private final MockRegistry mock = new MockRegistry();
    private final MockRegistry.RecordingConsumer consumer = mock.consumer;

    @AfterEach
    void close() {
        mock.close();
    }

    /** A valid registration of {@code id} at {@code offset} of {@code tp}. */
    private static ConsumerRecord<byte[], byte[]> backend(TopicPartition tp, long offset, String id) {
        return record(tp, offset, 1000, id, registration(id, "http://" + id + ".test/"));
    }

    private List<String> journalSince(int mark) {
        List<String> all = List.copyOf(mock.journal);
        return all.subList(mark, all.size());
    }

    private void awaitJournal(Predicate<List<String>> condition) {
        await().atMost(Duration.ofSeconds(10)).until(() -> condition.test(List.copyOf(mock.journal)));
    }

    @Test
    void revocationStopsEveryCheckOfTheRevokedPartitionBeforeTheCallbackReturnsAndLeavesTheOthersRunning() {
        mock.registry.start();
        mock.assign(List.of(P0, P1), List.of(backend(P0, 0, "a"), backend(P1, 0, "b")));
        long generationOfA = mock.checks().get("a").generation();
        int mark = mock.journal.size();

        consumer.schedulePollTask(() -> consumer.rebalance(List.of(P0)));

        awaitJournal(j -> j.contains("revoked returned"));
        mock.onPollThread(() -> { }); // one more loop turn: nothing of partition 1 may follow
        assertInOrder(journalSince(mark),
                "revoked [registry-1]", "check stopped b", "committed registry-1@1", "revoked returned");
        assertThat(mock.checksNow()).containsOnlyKeys("a");
        assertThat(mock.checksNow().get("a").generation()).as("a's check was not restarted").isEqualTo(generationOfA);
    }

    @Test
    void aLostPartitionStopsItsChecksBeforeTheCallbackReturnsAndIsNotCommitted() {
        mock.registry.start();
        mock.assign(List.of(P0, P1), List.of(backend(P0, 0, "a"), backend(P1, 0, "b")));
        long generationOfA = mock.checks().get("a").generation();
        int mark = mock.journal.size();

        consumer.schedulePollTask(() -> consumer.lose(List.of(P1)));

        awaitJournal(j -> j.contains("lost returned"));
        mock.onPollThread(() -> { });
        // No commit: another member may own the partition already.
        assertInOrder(journalSince(mark), "lost [registry-1]", "check stopped b", "lost returned");
        assertThat(consumer.assignment()).containsExactly(P0);
        assertThat(mock.checksNow().get("a").generation()).as("a's check was not restarted").isEqualTo(generationOfA);
    }

    @Test
    void recordsAppendedDuringRestoreAreAppliedOnceInOrderAndChecksStartOnlyAtTheEndSnapshot() {
        consumer.setMaxPollRecords(1);
        consumer.updateEndOffsets(Map.of(P0, 4L));
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0));
            consumer.addRecord(record(P0, 0, 1000, "a", registration("a", "http://a-v1.test/")));
            consumer.addRecord(backend(P0, 1, "gone"));
            consumer.addRecord(record(P0, 2, 1000, "a", registration("a", "http://a-v2.test/")));
            consumer.addRecord(record(P0, 3, 1000, "gone", null));
        }); // this loop turn snapshots the end offset: 4
        consumer.scheduleNopPollTask(); // hands out @0
        consumer.schedulePollTask(() -> { // the log grows while the partition restores
            consumer.addRecord(record(P0, 4, 1000, "bad", invalid("bad")));
            consumer.addRecord(record(P0, 5, 1000, "a", registration("a", "http://a-v3.test/")));
            consumer.addRecord(backend(P0, 6, "b"));
            consumer.updateEndOffsets(Map.of(P0, 7L));
        });
        consumer.scheduleNopPollTask(); // hands out @2
        consumer.scheduleNopPollTask(); // hands out @3: position 4, the restore ends in this loop turn
        CompletableFuture<Map<String, ActiveCheck>> whenRestored = new CompletableFuture<>();
        consumer.schedulePollTask(() -> whenRestored.complete(mock.monitor.snapshot()));

        mock.registry.start();

        awaitJournal(j -> j.contains("check started b"));
        mock.onPollThread(() -> { });
        assertInOrder(List.copyOf(mock.journal),
                "assigned [registry-0]",
                "polled registry-0@0", "polled registry-0@1", "polled registry-0@2", "polled registry-0@3",
                "check started a", // position 4: once, for the last registration read by then
                "committed registry-0@4",
                "polled registry-0@4", // invalid: dead-lettered, and commits wait for its acknowledgement
                "polled registry-0@5", "check stopped a", "check started a",
                "polled registry-0@6", "check started b");
        assertThat(whenRestored.join()).as("checks when the restore ended").containsOnlyKeys("a")
                .hasEntrySatisfying("a", c -> assertThat(c.version()).isEqualTo(new RegistrationVersion(0, 2)));
        assertThat(mock.checksNow()).containsOnlyKeys("a", "b")
                .hasEntrySatisfying("a", c -> assertThat(c.version()).isEqualTo(new RegistrationVersion(0, 5)))
                .hasEntrySatisfying("b", c -> assertThat(c.version()).isEqualTo(new RegistrationVersion(0, 6)));
        assertThat(mock.sink.letters).singleElement().satisfies(l -> assertThat(l.sourceOffset()).isEqualTo(4));
    }

    @Test
    void aPartitionRevokedAndReassignedBeforeItsRestoreEndedRestoresAfreshFromTheBeginning() {
        consumer.setMaxPollRecords(1);
        List<ConsumerRecord<byte[], byte[]>> log = List.of(
                backend(P0, 0, "a"), backend(P0, 1, "b"), backend(P0, 2, "c"));
        consumer.updateEndOffsets(Map.of(P0, 3L));
        consumer.schedulePollTask(() -> {
            // After subscribe (a MockConsumer forgets commits then): a restore still reads from the beginning.
            consumer.committedByEarlierOwner(P0, 3);
            consumer.rebalance(List.of(P0));
            log.forEach(consumer::addRecord);
        });
        consumer.scheduleNopPollTask(); // hands out @0
        consumer.schedulePollTask(() -> { // revoked and assigned again in one rebalance; the log grew meanwhile
            consumer.rebalance(List.of());
            consumer.rebalance(List.of(P0));
            log.forEach(consumer::addRecord);
            consumer.addRecord(backend(P0, 3, "d"));
            consumer.updateEndOffsets(Map.of(P0, 4L));
        });

        mock.registry.start();

        awaitJournal(j -> j.contains("committed registry-0@4"));
        mock.onPollThread(() -> { });
        List<String> journal = List.copyOf(mock.journal);
        assertInOrder(journal,
                "assigned [registry-0]", "polled registry-0@0",
                "revoked [registry-0]", "revoked returned", // restoring: no check to stop, nothing to commit
                "assigned [registry-0]",
                "polled registry-0@0", "polled registry-0@1", "polled registry-0@2", "polled registry-0@3",
                Set.of("check started a", "check started b", "check started c", "check started d"),
                "committed registry-0@4");
        assertThat(runningChecks(journal)).containsExactly(Map.entry("a", 1), Map.entry("b", 1), Map.entry("c", 1),
                Map.entry("d", 1));
    }

    @Test
    void aPartitionRevokedAndReassignedAfterItsRestoreStopsEveryOldCheckAndStartsEachOnce() {
        mock.registry.start();
        List<ConsumerRecord<byte[], byte[]>> log = List.of(backend(P0, 0, "a"), backend(P0, 1, "b"));
        mock.assign(List.of(P0), log);
        int mark = mock.journal.size();

        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of());
            consumer.rebalance(List.of(P0));
            log.forEach(consumer::addRecord);
        });

        awaitJournal(j -> j.subList(mark, j.size()).stream().filter(e -> e.startsWith("check started")).count() == 2);
        mock.onPollThread(() -> { });
        assertInOrder(journalSince(mark),
                "revoked [registry-0]", Set.of("check stopped a", "check stopped b"), "committed registry-0@2",
                "revoked returned",
                "assigned [registry-0]", "polled registry-0@0", "polled registry-0@1",
                Set.of("check started a", "check started b"));
        assertThat(runningChecks(List.copyOf(mock.journal))).containsExactly(Map.entry("a", 1), Map.entry("b", 1));
    }

    @Test
    void aPartitionReassignedWhileHeldForDeadLettersWaitsForItsEndSnapshotAndDeadLettersNothingTwice() {
        mock.registry.start();
        List<ConsumerRecord<byte[], byte[]>> bad = new ArrayList<>();
        for (int i = 0; i < RegistryConsumer.MAX_PENDING_DEAD_LETTERS; i++) {
            bad.add(record(P0, i, 1000, "bad-" + i, invalid("bad-" + i)));
        }
        mock.assign(List.of(P0), bad);
        await().atMost(Duration.ofSeconds(10)).until(() -> consumer.paused().contains(P0));
        int mark = mock.journal.size();

        consumer.schedulePollTask(() -> {
            // Acknowledged on the poll thread, so no loop turn sees it: the partition is still held when it moves.
            mock.sink.acks.forEach(ack -> ack.complete(null));
            consumer.rebalance(List.of());
            consumer.rebalance(List.of(P0));
            bad.forEach(consumer::addRecord);
            // The new owner's first end-offset request times out: until a retry answers, the
            // committed offset (100) is unknown, and a record read now would look new.
            consumer.setOffsetsException(new TimeoutException("end offsets not known yet"));
        });

        awaitJournal(j -> j.subList(mark, j.size()).contains("polled registry-0@99"));
        mock.onPollThread(() -> { });
        assertThat(journalSince(mark)).startsWith("revoked [registry-0]", "committed registry-0@100",
                "revoked returned", "assigned [registry-0]", "polled registry-0@0");
        assertThat(mock.sink.letters).as("dead letters").hasSize(RegistryConsumer.MAX_PENDING_DEAD_LETTERS);
        assertThat(consumer.lastCommitted(P0)).isEqualTo(RegistryConsumer.MAX_PENDING_DEAD_LETTERS);
    }

    @Test
    void commitsCoverOnlyRecordsAppliedWithTheirChecksStartedAndTheLastComesBeforeTheRevocationReturns() {
        consumer.setMaxPollRecords(1);
        consumer.updateEndOffsets(Map.of(P0, 3L));
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0));
            List.of(backend(P0, 0, "a"), backend(P0, 1, "b"), backend(P0, 2, "c"))
                    .forEach(consumer::addRecord);
        });
        mock.registry.start();
        awaitJournal(j -> j.contains("committed registry-0@3"));

        consumer.schedulePollTask(() -> consumer.addRecord(backend(P0, 3, "d")));
        awaitJournal(j -> j.contains("committed registry-0@4"));
        consumer.schedulePollTask(() -> consumer.rebalance(List.of()));
        awaitJournal(j -> j.contains("revoked returned"));
        mock.onPollThread(() -> { });

        assertInOrder(List.copyOf(mock.journal),
                "assigned [registry-0]",
                "polled registry-0@0", "polled registry-0@1", "polled registry-0@2", // restoring: no commit
                Set.of("check started a", "check started b", "check started c"),
                "committed registry-0@3",
                "polled registry-0@3", "check started d",
                "committed registry-0@4",
                "revoked [registry-0]",
                Set.of("check stopped a", "check stopped b", "check stopped c", "check stopped d"),
                "committed registry-0@4", // the final commit: after the checks stopped, before the callback returns
                "revoked returned");
    }

    /**
     * Asserts {@code journal} is {@code expected}: strings in this order, where a {@code Set} stands
     * for its events in any order (checks of one partition start and stop in table order).
     */
    private static void assertInOrder(List<String> journal, Object... expected) {
        List<String> actual = new ArrayList<>();
        List<String> wanted = new ArrayList<>();
        int at = 0;
        for (Object segment : expected) {
            if (segment instanceof Set<?> events) {
                int end = Math.min(at + events.size(), journal.size());
                journal.subList(Math.min(at, end), end).stream().sorted().forEach(actual::add);
                events.stream().map(String::valueOf).sorted().forEach(wanted::add);
                at += events.size();
            } else {
                if (at < journal.size()) {
                    actual.add(journal.get(at));
                }
                wanted.add((String) segment);
                at++;
            }
        }
        actual.addAll(journal.subList(Math.min(at, journal.size()), journal.size()));
        assertThat(actual).as("journal %s", journal).containsExactlyElementsOf(wanted);
    }

    /**
     * The checks running at the end of {@code journal}, per backend, by name; fails if a backend ever
     * had two checks at once or a check stopped that was not running.
     */
    private static Map<String, Integer> runningChecks(List<String> journal) {
        Map<String, Integer> running = new TreeMap<>();
        for (String event : journal) {
            if (event.startsWith("check started ")) {
                String id = event.substring("check started ".length());
                assertThat(running.merge(id, 1, Integer::sum)).as("checks of %s at once in %s", id, journal)
                        .isEqualTo(1);
            } else if (event.startsWith("check stopped ")) {
                String id = event.substring("check stopped ".length());
                assertThat(running.remove(id)).as("%s stopped while not running in %s", id, journal).isEqualTo(1);
            }
        }
        return running;
    }
}
