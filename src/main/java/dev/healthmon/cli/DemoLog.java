package dev.healthmon.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * Where the demo's log goes. The demo's terminal is for what its user asked for — the addresses, the status
 * changes, the table — so by default the log (the broker's and Kafka Streams' warnings, the monitor's and the
 * aggregator's own lines) is written to a file in the demo's folder instead; only healthmon's own errors still
 * reach the terminal (a Kafka error, with its stack trace, is the file's: what went wrong for the user, such as a
 * port in use, the demo says in its own words). {@code --verbose} leaves the log on stderr, as {@code monitor}
 * and {@code aggregate} have it.
 *
 * <p>Changes the process's Logback configuration while open and restores it on {@link #close()}: the tests run
 * the demo in a JVM that goes on. Open and close it on one thread; what it installs is used from any thread.
 */
final class DemoLog implements AutoCloseable {

    /** The appender {@code logback.xml} writes the terminal's log with. */
    private static final String TERMINAL = "STDERR";
    /** healthmon's own loggers: named after its classes. */
    private static final String OURS = "dev.healthmon.";

    private final Optional<Path> file;
    private final Runnable restore;

    private DemoLog(Optional<Path> file, Runnable restore) {
        this.file = file;
        this.restore = restore;
    }

    /** The log as configured: on stderr. */
    static DemoLog onTerminal() {
        return new DemoLog(Optional.empty(), () -> { });
    }

    /**
     * Everything the loggers pass goes to {@code file} in {@code format}; the terminal keeps only healthmon's
     * errors. With
     * another SLF4J backend than Logback nothing changes, and {@link #file()} says so.
     */
    static DemoLog toFile(Path file, LogFormat format) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return onTerminal();
        }
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        FileAppender<ILoggingEvent> toFile = new FileAppender<>();
        toFile.setContext(context);
        toFile.setName("DEMO_FILE");
        toFile.setFile(file.toString());
        toFile.setEncoder(format.encoder(context));
        toFile.start();
        root.addAppender(toFile);

        Appender<ILoggingEvent> terminal = root.getAppender(TERMINAL);
        List<Filter<ILoggingEvent>> terminalFilters = terminal == null ? List.of()
                : terminal.getCopyOfAttachedFiltersList();
        if (terminal != null) {
            terminal.addFilter(new OurErrorsOnly());
        }
        return new DemoLog(Optional.of(file), () -> {
            if (terminal != null) {
                terminal.clearAllFilters();
                terminalFilters.forEach(terminal::addFilter);
            }
            root.detachAppender(toFile);
            toFile.stop();
        });
    }

    /** Passes the errors of healthmon's own loggers, denies everything else. */
    private static final class OurErrorsOnly extends Filter<ILoggingEvent> {

        OurErrorsOnly() {
            start();
        }

        @Override
        public FilterReply decide(ILoggingEvent event) {
            return event.getLevel().isGreaterOrEqual(Level.ERROR) && event.getLoggerName().startsWith(OURS)
                    ? FilterReply.NEUTRAL : FilterReply.DENY;
        }
    }

    /** The file the log goes to; empty when it stays on the terminal. */
    Optional<Path> file() {
        return file;
    }

    @Override
    public void close() {
        restore.run();
    }
}
