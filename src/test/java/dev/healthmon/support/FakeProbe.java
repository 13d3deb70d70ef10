package dev.healthmon.support;

import dev.healthmon.probe.Probe;
import dev.healthmon.probe.ProbeResult;
import dev.healthmon.probe.ProbeSession;
import dev.healthmon.registration.BackendRegistration;
import dev.healthmon.registration.CheckSettings;
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
    private int sessionsOpened;
    private int sessionsClosed;

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

    @Override
    public ProbeSession openSession(CheckSettings settings) {
        synchronized (this) {
            sessionsOpened++;
        }
        ProbeSession stateless = Probe.super.openSession(settings);
        return new ProbeSession() {
            private boolean closed;

            @Override
            public CompletableFuture<ProbeResult> check(BackendRegistration registration) {
                return stateless.check(registration);
            }

            @Override
            public void close() {
                synchronized (FakeProbe.this) {
                    if (!closed) {
                        closed = true;
                        sessionsClosed++;
                    }
                }
            }
        };
    }

    /** Sessions opened and not yet closed. */
    public synchronized int openSessions() {
        return sessionsOpened - sessionsClosed;
    }

    public synchronized int sessionsOpened() {
        return sessionsOpened;
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
