package dev.courier.cli;

import dev.courier.ConfigurationException;
import dev.courier.MessageBus;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Which broker and service a command works on (the options every {@code dlq} command shares), and
 * the connection: a {@link MessageBus} of that service with no handlers, so it consumes nothing and
 * replays only to that service (the API's rule).
 */
final class Target {
    @Parameters(index = "0", paramLabel = "<uri>", description = {
            "The broker, as the service's own transport URI: amqp://host:5672/vhost, mqtt://host:1883,"
                    + " kafka://host:9092, ws://host:8080/ (and amqps://, mqtts://, wss://), with the same parameters (namespace=,"
                    + " prefix=, version=, ...). memory: is refused: an in-memory bus's dead letters live inside"
                    + " its own process."})
    String uri;

    @Option(names = {"-s", "--service"}, required = true, paramLabel = "<service>",
            description = "The service whose dead letters these are (its consumer group name, as in MessageBus.builder(\"billing\")).")
    String service;

    @Option(names = {"-u", "--user"}, paramLabel = "<name>",
            description = "User name for the broker (default: the URI's, else $COURIER_USERNAME). The password comes from the"
                    + " URI, $COURIER_PASSWORD or a prompt; it is never echoed, printed or logged.")
    String user;

    @Option(names = "--ask-password",
            description = "Ask for the password (ws://, wss://: the bearer token) on the terminal, not echoed, even if one is set.")
    boolean askPassword;

    @Option(names = "--timeout", paramLabel = "<duration>", defaultValue = "PT30S", converter = Durations.class,
            description = "How long one broker operation (a replay's confirm, a read) may take: 30s, 2m, PT1M (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--connect-timeout", paramLabel = "<duration>", defaultValue = "PT10S", converter = Durations.class,
            description = "How long to try to reach and log in to the broker before giving up with exit code 3"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration connectTimeout;

    /** Connects as the service; the caller closes the bus. */
    MessageBus connect(Context ctx) {
        String scheme = uri.contains(":") ? uri.substring(0, uri.indexOf(':')).toLowerCase(Locale.ROOT) : "";
        if (scheme.equals("memory")) {
            throw new CliException(ExitCodes.USAGE, "memory: cannot be inspected from another process: an in-memory bus keeps"
                    + " its dead letters inside the process that runs it, so courier would only see an empty broker of its own."
                    + " Use that bus's deadLetters() API, or run the service on a broker (amqp://, mqtt://, kafka://, ws://).");
        }
        String full = Credentials.apply(uri, user, askPassword, ctx.env(), ctx.terminal(), ctx.secrets());
        MessageBus bus;
        try {
            MessageBus.Builder b = MessageBus.builder(service);
            if (ctx.transports() != null) {
                b.transport(ctx.transports().apply(full));
            } else {
                b.transport(full);
            }
            bus = b.publishTimeout(timeout)
                    .closeTimeout(Duration.ofSeconds(5))
                    .concurrency(1)
                    .build();
        } catch (ConfigurationException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
        MessageBus starting = bus;
        CompletableFuture<Void> started = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                starting.start();
                started.complete(null);
            } catch (Throwable e) {
                started.completeExceptionally(e);
            }
        }, "courier-cli-connect");
        t.setDaemon(true);
        t.start();
        try {
            started.get(connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            started.whenComplete((v, err) -> starting.close()); // a transport still trying is closed when it gives up
            throw new CliException(ExitCodes.CONNECTION, "could not connect to " + redact(uri) + " as service '" + service
                    + "' within --connect-timeout " + Durations.format(connectTimeout));
        } catch (ExecutionException e) {
            bus.close();
            throw new CliException(ExitCodes.CONNECTION, "could not connect to " + redact(uri) + " as service '" + service
                    + "': " + describe(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            started.whenComplete((v, err) -> starting.close());
            throw new CliException(ExitCodes.CONNECTION, "interrupted while connecting to " + redact(uri));
        }
        return bus;
    }

    static String describe(Throwable e) {
        Throwable t = e;
        while ((t.getMessage() == null || t.getMessage().isBlank()) && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** The URI without its secrets, for messages (Courier's one redactor). */
    static String redact(String uri) {
        return uri == null ? null : dev.courier.spi.support.TransportUri.redact(uri);
    }
}
