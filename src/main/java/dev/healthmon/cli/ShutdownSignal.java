package dev.healthmon.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A stop request from SIGTERM or Ctrl-C (SIGINT), for a command that cleans up on its own thread.
 *
 * <p>The JVM halts as soon as its shutdown hooks return, whatever other threads are doing. A hook
 * that only says "stop" lets the JVM end while the command is still closing its broker, its
 * clients and its temporary folders, which then stay behind. So the hook asks the command to stop,
 * then waits until the command reports its cleanup done ({@link #close()}) — for at most
 * {@code cleanupLimit}, so that a stuck close cannot keep the process alive.
 *
 * <p>Use it as the OUTER resource, so that it closes after everything the command opened:
 * {@code try (ShutdownSignal signal = ShutdownSignal.install(...)) { try { ...; signal.await(); }
 * finally { cleanup } }}. Thread-safe.
 */
final class ShutdownSignal implements AutoCloseable {

    private final CountDownLatch requested = new CountDownLatch(1);
    private final CountDownLatch cleanedUp = new CountDownLatch(1);
    private final Thread hook;

    private ShutdownSignal(String name, Duration cleanupLimit) {
        this.hook = new Thread(() -> {
            requested.countDown();
            try {
                cleanedUp.await(cleanupLimit.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, name);
    }

    /** Registers the hook; from now on SIGTERM and Ctrl-C wait for {@link #close()}, up to {@code cleanupLimit}. */
    static ShutdownSignal install(String name, Duration cleanupLimit) {
        ShutdownSignal signal = new ShutdownSignal(name, cleanupLimit);
        Runtime.getRuntime().addShutdownHook(signal.hook);
        return signal;
    }

    /** Blocks until a stop is requested. */
    void await() throws InterruptedException {
        requested.await();
    }

    /** Blocks until a stop is requested or {@code limit} has passed; true when a stop was requested. */
    boolean await(Duration limit) throws InterruptedException {
        return requested.await(limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * The command has cleaned up: a waiting hook returns (and the JVM ends), or, with no signal, the hook is removed.
     */
    @Override
    public void close() {
        cleanedUp.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is exiting because of the signal; the hook is on its way out
        }
    }
}
