package dev.courier.kit;

import dev.courier.Command;
import dev.courier.Event;
import dev.courier.MessageName;

/** The message types the conformance kit uses. */
public final class KitMessages {
    private KitMessages() {
    }

    @MessageName("v1.kit.pinged")
    public record Pinged(int n, String text) implements Event {
    }

    @MessageName("v1.kit.ping")
    public record Ping(int n) implements Command {
    }

    public record Pong(int n) {
    }

    @MessageName("v1.kit.hop")
    public record Hop(int step) implements Command {
    }

    @MessageName("v1.kit.blob.stored")
    public record BlobStored(String data) implements Event {
    }
}
