package dev.healthmon.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;

/**
 * Sends GET requests at a fixed rate for a while, with at most {@code maxInFlight} outstanding (the JDK client keeps
 * that many keep-alive connections at most), and counts what came back: the load run drives blackbox_exporter's
 * {@code /probe} with it at the monitor's rate. A request that falls due while {@code maxInFlight} are outstanding is
 * not sent and counted as {@code skipped}: the server could not keep the rate.
 *
 * <p>Thread: {@link #drive} blocks its caller for the duration plus the last answers (at most the request timeout);
 * the client's threads count the answers.
 */
final class ProbeDriver {

    /** What one drive did; {@code seconds} from the first send to the last answer. */
    record Result(long scheduled, long sent, long answered, long succeeded, long skipped, double seconds) {

        double answeredPerSecond() {
            return answered / seconds;
        }
    }

    private final HttpClient client;
    private final int maxInFlight;
    private final Duration requestTimeout;

    ProbeDriver(HttpClient client, int maxInFlight, Duration requestTimeout) {
        this.client = client;
        this.maxInFlight = maxInFlight;
        this.requestTimeout = requestTimeout;
    }

    /** blackbox_exporter's answer says the probe succeeded: its {@code probe_success} gauge is 1. */
    static boolean probeSucceeded(int status, String body) {
        return status == 200 && body.lines().anyMatch(line -> line.equals("probe_success 1"));
    }

    /** Sends request n (0, 1, …) to {@code uri.apply(n)}, {@code perSecond} a second for {@code duration}. */
    Result drive(LongFunction<URI> uri, double perSecond, Duration duration) throws InterruptedException {
        Semaphore inFlight = new Semaphore(maxInFlight);
        AtomicLong answered = new AtomicLong();
        AtomicLong succeeded = new AtomicLong();
        long sent = 0;
        long skipped = 0;
        long scheduled = Math.round(perSecond * duration.toNanos() / 1e9);
        long start = System.nanoTime();
        for (long n = 0; n < scheduled; n++) {
            long dueAt = start + Math.round(n * 1e9 / perSecond);
            for (long wait = dueAt - System.nanoTime(); wait > 0; wait = dueAt - System.nanoTime()) {
                LockSupport.parkNanos(wait);
            }
            if (!inFlight.tryAcquire()) {
                skipped++;
                continue;
            }
            sent++;
            client.sendAsync(HttpRequest.newBuilder(uri.apply(n)).timeout(requestTimeout).build(),
                    HttpResponse.BodyHandlers.ofString()).whenComplete((response, failure) -> {
                        answered.incrementAndGet();
                        if (response != null && probeSucceeded(response.statusCode(), response.body())) {
                            succeeded.incrementAndGet();
                        }
                        inFlight.release();
                    });
        }
        // The last answers: every permit back means every request sent has been answered or has failed.
        boolean drained = inFlight.tryAcquire(maxInFlight, requestTimeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (!drained) {
            throw new IllegalStateException("requests still outstanding " + requestTimeout + " after the last send");
        }
        return new Result(scheduled, sent, answered.get(), succeeded.get(), skipped, seconds);
    }
}
