package dev.courier.cli;

import dev.courier.spi.Transport;

import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * What one run of {@code courier} works with besides its arguments: the environment (credentials),
 * the terminal (prompts) and the secrets to keep out of its output. Tests give their own, and may
 * give {@code transports}: the transport for a URI (null: found by the URI's scheme, as a bus does).
 */
record Context(Map<String, String> env, Terminal terminal, Set<String> secrets, Function<String, Transport> transports) {
    Context(Map<String, String> env, Terminal terminal, Set<String> secrets) {
        this(env, terminal, secrets, null);
    }
}
