package dev.healthmon.probe;

import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.target.IpLiteral;
import dev.healthmon.target.TargetPolicy;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Resolves a probe's host and applies the {@link TargetPolicy} to every address it resolves to,
 * before anything connects; the probe then connects to {@link Vetted#address()} and nothing else.
 * Thread-safe.
 *
 * <p><b>Name resolution.</b> The JDK's resolver blocks and cannot be interrupted, so lookups run on
 * {@code executor}, never on the caller's (scheduler) thread, under three rules that keep a few
 * slow or hung names from delaying every other backend:
 * <ul>
 *   <li>one lookup per name at a time: concurrent checks of one name share it, so a hung name holds
 *       at most one of the executor's threads (a bounded pool of N threads therefore keeps
 *       resolving other names while fewer than N distinct names hang);</li>
 *   <li>every caller waits at most its own timeout ({@link #vet(String, Duration)}), and may cancel its
 *       future: the wait ends, and the lookup thread, if it hangs, is abandoned, not waited for;</li>
 *   <li>a queued lookup whose callers have all gone (timed out or cancelled) is skipped, so a backlog
 *       behind hung names does not turn into stale lookups.</li>
 * </ul>
 * Answers are not cached here beyond the lookup in flight (the JDK's own cache applies).
 */
public final class TargetVetting {

    /** How long {@link #vet(String)} waits for a name, for callers that do not pass their check's timeout. */
    public static final Duration DEFAULT_LOOKUP_TIMEOUT = Duration.ofSeconds(10);

    /** Name resolution, injectable so tests can make a name resolve to any address. */
    @FunctionalInterface
    public interface HostResolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /** The outcome: an address to connect to, or the failure that ends the check. */
    public record Vetted(Optional<InetAddress> address, Optional<Failure> failure) {
        static Vetted allowed(InetAddress address) {
            return new Vetted(Optional.of(address), Optional.empty());
        }

        static Vetted refused(Failure failure) {
            return new Vetted(Optional.empty(), Optional.of(failure));
        }
    }

    private final TargetPolicy policy;
    private final HostResolver resolver;
    private final Executor executor;
    private final ConcurrentMap<String, Lookup> inFlight = new ConcurrentHashMap<>();

    public TargetVetting(TargetPolicy policy, HostResolver resolver, Executor executor) {
        this.policy = policy;
        this.resolver = resolver;
        this.executor = executor;
    }

    /** {@link #vet(String, Duration)} with {@link #DEFAULT_LOOKUP_TIMEOUT}. */
    public CompletableFuture<Vetted> vet(String host) {
        return vet(host, DEFAULT_LOOKUP_TIMEOUT);
    }

    /**
     * Completes normally in every case: with the first resolved address when every resolved address
     * is allowed, or with a DNS or policy failure; a name not resolved within {@code timeout} is a DNS
     * failure that says so. Cancelling the returned future ends this caller's wait and nothing else.
     */
    public CompletableFuture<Vetted> vet(String host, Duration timeout) {
        if (IpLiteral.looksLiteral(host)) {
            // No lookup to wait for: judge on the caller's thread instead of hopping to the resolver pool.
            return CompletableFuture.completedFuture(vetLiteral(host));
        }
        Lookup lookup = join(host);
        CompletableFuture<Vetted> mine = new CompletableFuture<>();
        lookup.answer.whenComplete((addresses, error) -> mine.complete(judge(host, addresses, error)));
        mine.completeOnTimeout(Vetted.refused(Failure.of(FailureKind.DNS, "host name " + host + " not resolved within "
                + timeout.toMillis() + " ms")), Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        mine.whenComplete((vetted, error) -> lookup.leave());
        return mine;
    }

    /** The lookup of {@code host} in flight, joined; a new one, started, when there is none. */
    private Lookup join(String host) {
        while (true) {
            Lookup fresh = new Lookup(host);
            Lookup lookup = inFlight.computeIfAbsent(host, h -> fresh);
            if (!lookup.join()) {
                inFlight.remove(host, lookup); // skipped for lack of callers: start another
                continue;
            }
            if (lookup == fresh) {
                try {
                    executor.execute(fresh);
                } catch (RejectedExecutionException e) {
                    inFlight.remove(host, fresh);
                    fresh.answer.completeExceptionally(e);
                }
            }
            return lookup;
        }
    }

    private Vetted vetLiteral(String host) {
        Optional<String> refusal = policy.refusalOfLiteral(host);
        if (refusal.isPresent()) {
            return Vetted.refused(Failure.of(FailureKind.INTERNAL, "refused by target policy: " + refusal.get()));
        }
        try {
            byte[] bytes = IpLiteral.parse(host).orElseThrow();
            return judge(host, new InetAddress[] {InetAddress.getByAddress(bytes)}, null);
        } catch (UnknownHostException e) {
            return judge(host, null, e);
        }
    }

    private Vetted judge(String host, InetAddress[] addresses, Throwable error) {
        if (error != null) {
            return Vetted.refused(error instanceof RejectedExecutionException
                    ? Failure.of(FailureKind.INTERNAL, "name resolution is shut down")
                    : Failures.classify(error));
        }
        if (addresses.length == 0) {
            return Vetted.refused(Failure.of(FailureKind.DNS, "host name " + host + " has no address"));
        }
        for (InetAddress address : addresses) {
            Optional<String> refusal = policy.refusal(address);
            if (refusal.isPresent()) {
                return Vetted.refused(Failure.of(FailureKind.INTERNAL, "refused by target policy: " + host
                        + " resolves to " + refusal.get()));
            }
        }
        return Vetted.allowed(addresses[0]);
    }

    /**
     * One resolution of one name, shared by the callers that join it while it is queued or running.
     * Removed from {@link #inFlight} before its answer is published, so a later caller never joins an
     * old answer.
     */
    private final class Lookup implements Runnable {
        final String host;
        final CompletableFuture<InetAddress[]> answer = new CompletableFuture<>();
        private int waiters; // guarded by this
        private boolean skipped; // guarded by this

        Lookup(String host) {
            this.host = host;
        }

        synchronized boolean join() {
            if (skipped) {
                return false;
            }
            waiters++;
            return true;
        }

        synchronized void leave() {
            waiters--;
        }

        @Override
        public void run() {
            synchronized (this) {
                skipped = waiters == 0;
            }
            if (skipped) {
                inFlight.remove(host, this);
                answer.cancel(false);
                return;
            }
            InetAddress[] addresses = null;
            Throwable error = null;
            try {
                addresses = resolver.resolve(host);
            } catch (Exception e) {
                error = e;
            } finally {
                inFlight.remove(host, this);
            }
            if (error != null) {
                answer.completeExceptionally(error);
            } else {
                answer.complete(addresses);
            }
        }
    }
}
