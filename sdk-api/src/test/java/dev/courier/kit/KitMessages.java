package dev.courier.kit;

import dev.courier.Command;
import dev.courier.Event;
import dev.courier.MessageName;

/** The message types the conformance kit uses. */
public final class KitMessages {
    private KitMessages() {
    }

    /**
     * An event the cases publish.
     *
     * @param n a sequence number
     * @param text free text
     */
    @MessageName("v1.kit.pinged")
    public record Pinged(int n, String text) implements Event {
    }

    /**
     * A command the cases send or request.
     *
     * @param n a sequence number
     */
    @MessageName("v1.kit.ping")
    public record Ping(int n) implements Command {
    }

    /**
     * The reply to a {@link Ping}.
     *
     * @param n the ping's number
     */
    public record Pong(int n) {
    }

    /**
     * A command the cases send along chains of handlers.
     *
     * @param step the hop's number
     */
    @MessageName("v1.kit.hop")
    public record Hop(int step) implements Command {
    }

    /**
     * An event with free-form data (large bodies, a second event in a chain).
     *
     * @param data the payload
     */
    @MessageName("v1.kit.blob.stored")
    public record BlobStored(String data) implements Event {
    }
}
