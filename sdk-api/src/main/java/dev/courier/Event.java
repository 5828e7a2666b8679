package dev.courier;

/**
 * Marks a type as an event: something that happened, named in the past tense
 * ({@code v1.order.placed}). Every subscribing service gets each event once; instances of one
 * service compete for it. Give the type its wire name with {@link MessageName}.
 */
public interface Event {
}
