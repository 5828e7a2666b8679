package dev.courier;

/**
 * Marks a type as a command: something to do, named in the present tense ({@code v1.order.place}).
 * Exactly one handler across all instances of the handling service gets it. Give the type its wire
 * name with {@link MessageName}.
 */
public interface Command {
}
