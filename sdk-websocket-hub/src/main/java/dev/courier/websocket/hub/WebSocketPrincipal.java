package dev.courier.websocket.hub;

import java.util.Objects;
import java.util.Set;

/**
 * Who is on the other end of a hub connection, as the {@link Authenticator} established it.
 *
 * <p>{@code grants} are {@code operation:pattern} strings that the default {@link Authorizer#GRANTS}
 * reads; {@code *} in a pattern matches any run of characters:
 * <ul>
 *   <li>{@code publish:v1.order.*} — publish events whose name matches;</li>
 *   <li>{@code send:v1.order.place} — send (or request) commands whose name matches;</li>
 *   <li>{@code subscribe:v1.order.*} — subscribe to events as itself (a browser tab), seeing only the
 *       events meant for it (see {@link WebSocketHub});</li>
 *   <li>{@code service:ordering} — act as a member of the service (consumer group) {@code ordering}:
 *       consume its events and commands, reply to requests, read its dead letters;</li>
 *   <li>{@code operate:billing} — use the hub's operations page ({@link Operations}, {@code /ops/}) for
 *       the service {@code billing}: its dead letters (see, replay, discard) and its traffic;</li>
 *   <li>{@code subject:*} — see every personal event, whatever its CloudEvents {@code subject}
 *       (an operator's dashboard).</li>
 * </ul>
 *
 * @param name   the principal's name; events whose {@code subject} equals it are delivered to its
 *               personal subscriptions
 * @param grants what it may do
 */
public record WebSocketPrincipal(String name, Set<String> grants) {
    /**
     * Checks the name and copies the grants.
     *
     * @param name not empty
     * @param grants grant patterns; copied
     * @throws IllegalArgumentException when the name is empty
     */
    public WebSocketPrincipal {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("principal name must not be empty");
        }
        grants = Set.copyOf(grants);
    }

    /**
     * A principal with the given grants.
     *
     * @param name the principal's name, not empty
     * @param grants grant patterns such as {@code publish:v1.chat.*}
     * @return the principal
     */
    public static WebSocketPrincipal of(String name, String... grants) {
        return new WebSocketPrincipal(name, Set.of(grants));
    }

    /** Never shows grants or credentials. */
    @Override
    public String toString() {
        return "principal " + name;
    }
}
