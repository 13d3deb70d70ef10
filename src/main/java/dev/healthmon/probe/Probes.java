package dev.healthmon.probe;

import dev.healthmon.registry.BackendRegistration;
import dev.healthmon.registry.CheckSettings;
import dev.healthmon.registry.CheckType;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Dispatches a check to the probe of its {@link CheckType}. A type with no probe in this build
 * yields an INTERNAL failure that says so, rather than a silent success.
 */
public final class Probes implements Probe {

    private final Map<CheckType, Probe> byType;

    public Probes(Map<CheckType, Probe> byType) {
        this.byType = new EnumMap<>(byType);
    }

    /** The probes of this build: {@code http}. */
    public static Probes standard() {
        return new Probes(Map.of(CheckType.HTTP, new HttpProbe(HttpProbe.defaultClient(), new SecretResolver())));
    }

    @Override
    public CompletableFuture<ProbeResult> check(BackendRegistration registration, CheckSettings settings) {
        Probe probe = byType.get(settings.type());
        if (probe == null) {
            return CompletableFuture.completedFuture(ProbeResult.unhealthy(Duration.ZERO, Failure.of(FailureKind.INTERNAL,
                    "no " + settings.type().wireName() + " probe in this build; set healthCheck.type to http")));
        }
        return probe.check(registration, settings);
    }
}
