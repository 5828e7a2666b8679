package dev.courier.cli;

import java.util.Map;
import java.util.Set;

/**
 * What one run of {@code courier} works with besides its arguments: the environment (credentials),
 * the terminal (prompts) and the secrets to keep out of its output. Tests give their own.
 */
record Context(Map<String, String> env, Terminal terminal, Set<String> secrets) {
}
