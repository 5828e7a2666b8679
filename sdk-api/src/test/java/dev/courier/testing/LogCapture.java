package dev.courier.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Captures what one logger (and its children) logs while a test runs, so a test named for a
 * warning can assert the warning. Logback is the test back end of sdk-api; use it in a
 * try-with-resources block:
 *
 * <pre>{@code
 * try (LogCapture log = LogCapture.of("dev.courier")) {
 *     ...
 *     assertEquals(1, log.count(Level.WARN, "without declaring it"));
 * }
 * }</pre>
 */
public final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    private LogCapture(String loggerName) {
        this.logger = (Logger) LoggerFactory.getLogger(loggerName);
        appender.setName("capture-" + System.identityHashCode(this));
        appender.start();
        logger.addAppender(appender);
    }

    /** Starts capturing {@code loggerName} and everything below it, at the levels the test configuration enables. */
    public static LogCapture of(String loggerName) {
        return new LogCapture(loggerName);
    }

    /** Every event captured so far. */
    public List<ILoggingEvent> events() {
        synchronized (appender) { // AppenderBase appends under the appender's own lock
            return List.copyOf(appender.list);
        }
    }

    /** The formatted messages at {@code level} that contain {@code text}. */
    public List<String> messages(Level level, String text) {
        return events().stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains(text)).collect(Collectors.toList());
    }

    /** How many events at {@code level} contain {@code text}. */
    public int count(Level level, String text) {
        return messages(level, text).size();
    }

    /** Everything captured, one event a line, for failure messages. */
    public String dump() {
        return events().stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).collect(Collectors.joining("\n"));
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
