package dev.healthmon.probe;

import dev.healthmon.registry.TargetPolicy;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Resolves a probe's host and applies the {@link TargetPolicy} to every address it resolves to,
 * before anything connects. Resolution blocks in the JDK, so it runs on {@code executor}, never on
 * the caller's (scheduler) thread. Thread-safe.
 */
public final class TargetVetting {

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

    public TargetVetting(TargetPolicy policy, HostResolver resolver, Executor executor) {
        this.policy = policy;
        this.resolver = resolver;
        this.executor = executor;
    }

    /** Completes normally in every case: with the first allowed address, or a DNS or policy failure. */
    public CompletableFuture<Vetted> vet(String host) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (isLiteral(bare)) {
            // No lookup to wait for: vet on the caller's thread instead of hopping to the resolver pool.
            try {
                return CompletableFuture.completedFuture(judge(host, new InetAddress[] {InetAddress.getByName(bare)}, null));
            } catch (UnknownHostException e) {
                return CompletableFuture.completedFuture(judge(host, null, e));
            }
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                return resolver.resolve(bare);
            } catch (UnknownHostException e) {
                throw new CompletionException(e);
            }
        }, executor).handle((addresses, error) -> judge(host, addresses, error));
    }

    private Vetted judge(String host, InetAddress[] addresses, Throwable error) {
        if (error != null) {
            return Vetted.refused(Failures.classify(error));
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

    /** An IPv4 dotted quad or an IPv6 address: {@link InetAddress#getByName} parses these without any lookup. */
    static boolean isLiteral(String host) {
        return host.indexOf(':') >= 0 || IPV4.matcher(host).matches();
    }

    private static final java.util.regex.Pattern IPV4 = java.util.regex.Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
}
