package dev.healthmon.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.healthmon.events.FailureKind;
import dev.healthmon.target.TargetPolicy;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Name resolution and the target policy at check time, with an injected resolver. */
class TargetVettingTest {

    private static final Duration LONG = Duration.ofMinutes(10);
    /** Released at the end of each test: names that "hang" wait on it. */
    private final CountDownLatch hangs = new CountDownLatch(1);
    private final Map<String, AtomicInteger> lookups = new ConcurrentHashMap<>();
    private final ExecutorService resolverThreads = Executors.newFixedThreadPool(2);
    /** Resolves *.hung.test never (until the test ends), zero.test to 0.0.0.0, and everything else to 127.0.0.1. */
    private final TargetVetting.HostResolver resolver = host -> {
        lookups.computeIfAbsent(host, h -> new AtomicInteger()).incrementAndGet();
        if (host.endsWith("hung.test")) {
            awaitQuietly(hangs);
        }
        return switch (host) {
            case "zero.test" -> new InetAddress[] {InetAddress.getByName("0.0.0.0")};
            case "mapped.test" -> new InetAddress[] {InetAddress.getByName("::ffff:169.254.169.254")};
            case "nat64.test" -> new InetAddress[] {InetAddress.getByName("64:ff9b::a9fe:a9fe")};
            case "mixed.test" -> new InetAddress[] {
                InetAddress.getByName("10.0.0.1"), InetAddress.getByName("0.0.0.0")};
            case "missing.test" -> throw new UnknownHostException(host);
            default -> new InetAddress[] {InetAddress.getLoopbackAddress()};
        };
    };
    private final TargetVetting vetting = new TargetVetting(
            TargetPolicy.of(List.of("127.0.0.0/8", "::1/128"), List.of()), resolver, resolverThreads);
    private final TargetVetting permissive = new TargetVetting(TargetPolicy.DEFAULT, resolver, resolverThreads);

    @AfterEach
    void releaseHungLookups() {
        hangs.countDown();
        resolverThreads.shutdownNow();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static TargetVetting.Vetted done(CompletableFuture<TargetVetting.Vetted> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "{0} refused with \"{1}\"")
    @CsvSource(delimiter = '|', value = {
            "0                    | this host",
            "0.0.0.0              | this host",
            "[::]                 | this host",
            "[::ffff:127.0.0.1]   | embeds 127.0.0.1",
            "[::169.254.169.254]  | embeds 169.254.169.254",
            "[64:ff9b::a9fe:a9fe] | embeds 169.254.169.254",
            "[2002:a9fe:a9fe::1]  | embeds 169.254.169.254",
            "zero.test            | this host",
            "mixed.test           | this host",
            "mapped.test          | denied range 169.254.0.0/16",
            "nat64.test           | embeds 169.254.169.254",
            "localhost.test       | denied range 127.0.0.0/8"})
    void refusesEverySpellingOfADeniedAddressBeforeConnecting(String host, String fragment) throws Exception {
        TargetVetting.Vetted vetted = done(vetting.vet(host));
        assertThat(vetted.address()).isEmpty();
        assertThat(vetted.failure()).hasValueSatisfying(f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.INTERNAL);
            assertThat(f.message()).startsWith("refused by target policy: ").contains(fragment);
        });
    }

    @Test
    void theVettedAddressIsTheOneToConnectTo() throws Exception {
        assertThat(done(permissive.vet("zero.test")).address()).hasValue(InetAddress.getByName("0.0.0.0"));
        assertThat(done(permissive.vet("[::ffff:10.0.0.1]")).address()).hasValue(InetAddress.getByName("10.0.0.1"));
        assertThat(done(permissive.vet("ok.test")).address()).hasValue(InetAddress.getLoopbackAddress());
    }

    @Test
    void anUnknownNameIsADnsFailure() throws Exception {
        assertThat(done(vetting.vet("missing.test")).failure()).hasValueSatisfying(f ->
                assertThat(f.kind()).isEqualTo(FailureKind.DNS));
    }

    @Test
    void aHungNameDoesNotDelayOtherNames() throws Exception {
        // More checks of the hung name than the pool has threads: they share one lookup, one thread.
        List<CompletableFuture<TargetVetting.Vetted>> hung = List.of(
                permissive.vet("a.hung.test", LONG), permissive.vet("a.hung.test", LONG),
                permissive.vet("a.hung.test", LONG), permissive.vet("a.hung.test", LONG));
        TargetVetting.Vetted other = done(permissive.vet("other.test", LONG));

        assertThat(other.address()).hasValue(InetAddress.getLoopbackAddress());
        assertThat(hung).noneMatch(CompletableFuture::isDone);
        // The other name may be resolved on the second thread before the first has even begun the hung lookup.
        await().atMost(Duration.ofSeconds(30)).until(() -> lookups.containsKey("a.hung.test"));
        assertThat(lookups.get("a.hung.test")).hasValue(1);
    }

    @Test
    void aLookupEndsAtTheCallersTimeoutAsADnsFailureThatSaysSo() throws Exception {
        TargetVetting.Vetted vetted = done(permissive.vet("b.hung.test", Duration.ofMillis(50)));
        assertThat(vetted.failure()).hasValueSatisfying(f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.DNS);
            assertThat(f.message()).contains("b.hung.test not resolved within 50 ms");
        });
    }

    @Test
    void aCheckAfterALookupEndedLooksTheNameUpAgain() throws Exception {
        assertThat(done(permissive.vet("again.test")).address()).isPresent();
        assertThat(done(permissive.vet("again.test")).address()).isPresent();
        assertThat(lookups.get("again.test")).as("answers are not kept beyond the lookup in flight").hasValue(2);
    }

    @Test
    void cancellingOneCheckLeavesTheOthersSharingItsLookup() throws Exception {
        CompletableFuture<TargetVetting.Vetted> cancelled = permissive.vet("d.hung.test", LONG);
        CompletableFuture<TargetVetting.Vetted> kept = permissive.vet("d.hung.test", LONG);
        cancelled.cancel(true);
        hangs.countDown();

        assertThat(cancelled).isCancelled();
        assertThat(done(kept).address()).hasValue(InetAddress.getLoopbackAddress());
        assertThat(lookups.get("d.hung.test")).hasValue(1);
    }

    @Test
    void aQueuedLookupWhoseChecksAllEndedIsSkipped() throws Exception {
        ExecutorService single = Executors.newSingleThreadExecutor();
        try {
            TargetVetting oneThread = new TargetVetting(TargetPolicy.DEFAULT, resolver, single);
            CompletableFuture<TargetVetting.Vetted> blocker = oneThread.vet("e.hung.test", LONG);
            CompletableFuture<TargetVetting.Vetted> queued = oneThread.vet("queued.test", LONG);
            CompletableFuture<TargetVetting.Vetted> timedOut = oneThread.vet("expired.test", Duration.ofMillis(20));
            queued.cancel(true);
            assertThat(done(timedOut).failure())
                    .hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(FailureKind.DNS));

            hangs.countDown();
            done(blocker);
            // Runs after the queued lookups on the single thread: by then they were skipped or not.
            assertThat(done(oneThread.vet("after.test", LONG)).address()).isPresent();
            assertThat(lookups).doesNotContainKeys("queued.test", "expired.test");
        } finally {
            single.shutdownNow();
        }
    }

    @Test
    void aCheckJoiningALookupOthersAbandonedGetsTheAnswer() throws Exception {
        ExecutorService single = Executors.newSingleThreadExecutor();
        try {
            TargetVetting oneThread = new TargetVetting(TargetPolicy.DEFAULT, resolver, single);
            CompletableFuture<TargetVetting.Vetted> blocker = oneThread.vet("f.hung.test", LONG);
            oneThread.vet("later.test", LONG).cancel(true);
            CompletableFuture<TargetVetting.Vetted> later = oneThread.vet("later.test", LONG);
            hangs.countDown();
            done(blocker);
            assertThat(done(later).address()).isPresent();
        } finally {
            single.shutdownNow();
        }
    }
}
