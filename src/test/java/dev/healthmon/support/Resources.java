package dev.healthmon.support;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a test opened, closed by its {@code @AfterEach} in reverse order (what was opened last may use what was opened
 * before it). Every resource is closed even when one fails; the first failure is thrown with the others suppressed.
 * Used from the test's own thread only.
 */
public final class Resources implements AutoCloseable {

    private final Deque<AutoCloseable> open = new ArrayDeque<>();

    /** {@code resource}, to be closed by {@link #close()}. */
    public <T extends AutoCloseable> T closeLater(T resource) {
        open.push(resource);
        return resource;
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        while (!open.isEmpty()) {
            try {
                open.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
