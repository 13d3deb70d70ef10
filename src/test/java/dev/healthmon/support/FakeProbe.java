package dev.healthmon.support;

import dev.healthmon.probe.Probe;
import dev.healthmon.probe.ProbeResult;
import dev.healthmon.registry.BackendRegistration;
import dev.healthmon.registry.CheckSettings;
import dev.healthmon.status.Observation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A probe whose results the test decides: each call returns a pending future the test completes.
 * Records every call and the largest number of concurrent checks per backend.
 */
public final class FakeProbe implements Probe {

    public record Call(BackendRegistration registration, CompletableFuture<ProbeResult> result) {
        public void answer(Observation observation) {
            result.complete(ProbeResult.success(observation, Duration.ofMillis(5)));
        }

        public void answer(ProbeResult probeResult) {
            result.complete(probeResult);
        }
    }

    private final List<Call> calls = new ArrayList<>();
    private final Map<String, Integer> inFlight = new HashMap<>();
    private final Map<String, Integer> maxInFlight = new HashMap<>();

    @Override
    public synchronized CompletableFuture<ProbeResult> check(BackendRegistration registration, CheckSettings settings) {
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        String id = registration.id();
        int now = inFlight.merge(id, 1, Integer::sum);
        maxInFlight.merge(id, now, Math::max);
        result.whenComplete((r, e) -> {
            synchronized (this) {
                inFlight.merge(id, -1, Integer::sum);
            }
        });
        calls.add(new Call(registration, result));
        return result;
    }

    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    public synchronized Call last() {
        return calls.get(calls.size() - 1);
    }

    public synchronized int maxConcurrent(String id) {
        return maxInFlight.getOrDefault(id, 0);
    }
}
