package dev.healthmon.probe;

import dev.healthmon.events.Failure;
import dev.healthmon.events.FailureKind;
import dev.healthmon.registration.BackendRegistration;
import dev.healthmon.registration.CheckSettings;
import dev.healthmon.registration.CheckType;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.target.TargetPolicy;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Dispatches a check to the probe of its {@link CheckType}. A type with no probe in this build
 * yields an INTERNAL failure that says so, rather than a silent success.
 */
public final class Probes implements Probe, AutoCloseable {

    /**
     * Threads for blocking name resolution (the JDK has no asynchronous resolver). The bound: a hung
     * name holds at most one of them (TargetVetting shares one lookup per name), so other names keep
     * resolving while fewer than this many distinct names hang; idle threads end after a minute.
     */
    private static final int RESOLVER_THREADS = 16;

    private final Map<CheckType, Probe> byType;
    private final ExecutorService resolver;
    private final PlainHttpClient plainHttp;

    private Probes(Map<CheckType, Probe> byType, ExecutorService resolver, PlainHttpClient plainHttp) {
        this.byType = new EnumMap<>(byType);
        this.resolver = resolver;
        this.plainHttp = plainHttp;
    }

    public Probes(Map<CheckType, Probe> byType) {
        this(byType, null, null);
    }

    /** The probes of this build, {@code mcp}, {@code http} and {@code tcp}: default target policy, no secrets. */
    public static Probes standard() {
        return standard(TargetPolicy.DEFAULT);
    }

    /** The probes of this build with no declared secrets: a registration with {@code auth} fails its checks. */
    public static Probes standard(TargetPolicy targets) {
        return standard(targets, SecretCatalog.EMPTY);
    }

    /**
     * The probes of this build, {@code mcp}, {@code http} and {@code tcp}, refusing what
     * {@code targets} refuses, sending only the {@code secrets} the operator declared, each only to
     * its allowed targets. HTTP checks, {@code http://} and {@code https://}, share one
     * {@link PlainHttpClient} (TLS with the JVM's default trust), all MCP sessions one JDK client
     * (one selector thread each).
     */
    public static Probes standard(TargetPolicy targets, SecretCatalog secrets) {
        return standard(targets, secrets, true);
    }

    /**
     * As above; {@code mcpLean}: the ping of a kept streamable-HTTP session and fresh-session ping checks go through
     * the HTTP checks' client (design.md §10.26, §10.28); false: every MCP request goes through the SDK.
     */
    public static Probes standard(TargetPolicy targets, SecretCatalog secrets, boolean mcpLean) {
        ThreadPoolExecutor resolver = new ThreadPoolExecutor(RESOLVER_THREADS, RESOLVER_THREADS, 1, TimeUnit.MINUTES,
                new LinkedBlockingQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, "healthmon-resolver");
                    thread.setDaemon(true);
                    return thread;
                });
        resolver.allowCoreThreadTimeOut(true);
        TargetVetting vetting = new TargetVetting(targets, InetAddress::getAllByName, resolver);
        PlainHttpClient plainHttp = new PlainHttpClient();
        SecretResolver credentials = new SecretResolver(secrets);
        // The MCP SDK runs its Reactor pipelines on the client's executor: keep those off the selector thread.
        HttpClient mcpHttp = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1).build();
        // The ping of an initialized streamable-HTTP session, and fresh-session ping checks, go through the HTTP
        // checks' client (§10.26, §10.28) unless the operator asked for the SDK.
        McpProbe mcp = new McpProbe(mcpHttp, mcpLean ? Optional.of(plainHttp) : Optional.empty(), credentials,
                vetting);
        mcp.warmUp();
        return new Probes(Map.of(
                CheckType.MCP, mcp,
                CheckType.HTTP, new HttpProbe(plainHttp, credentials, vetting),
                CheckType.TCP, new TcpProbe(vetting)), resolver, plainHttp);
    }

    @Override
    public void close() {
        if (resolver != null) {
            resolver.shutdownNow();
        }
        if (plainHttp != null) {
            plainHttp.close();
        }
    }

    @Override
    public CompletableFuture<ProbeResult> check(BackendRegistration registration, CheckSettings settings) {
        Probe probe = byType.get(settings.type());
        if (probe == null) {
            return CompletableFuture.completedFuture(ProbeResult.unhealthy(Duration.ZERO,
                    Failure.of(FailureKind.INTERNAL,
                    "no " + settings.type().wireName() + " probe configured")));
        }
        return probe.check(registration, settings);
    }

    @Override
    public ProbeSession openSession(CheckSettings settings) {
        Probe probe = byType.get(settings.type());
        return probe == null ? Probe.super.openSession(settings) : probe.openSession(settings);
    }
}
