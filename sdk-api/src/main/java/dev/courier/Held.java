package dev.courier;

import dev.courier.spi.Address;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A message a handler produced, held back until the handler succeeds. Internal. */
record Held(Address to, Map<String, String> headers, byte[] body, String type, CompletableFuture<Void> sent) {
}
