package dev.courier.websocket.hub;

/**
 * Decides, per frame, whether a principal may do an operation on a name. A refused operation is
 * answered with an error frame ({@code forbidden}) and has no effect.
 */
@FunctionalInterface
public interface Authorizer {

    /** What a client asks to do. */
    enum Operation {
        /** Publish an event; name = the message name. */
        PUBLISH,
        /** Send a command or request; name = the message name. */
        SEND,
        /** Subscribe to an event as itself (personal, filtered); name = the message name. */
        SUBSCRIBE,
        /** Act as a member of a service: consume with its group, replay to it, read its dead letters; name = the service. */
        SERVICE,
        /** Send a reply to a requester; name = the reply address. */
        REPLY,
        /**
         * Receive the replies sent to a reply address (subscribe {@code reply:<address>}); name = the
         * address. A Courier service's instances use {@code <service>.<instance>}; a principal's own
         * addresses start with {@link #personalReplyPrefix}.
         */
        RECEIVE_REPLIES,
        /**
         * Use the hub's operations page ({@link Operations}) for a service: see, replay and discard its
         * dead letters and see its traffic; name = the service. The default reads {@code operate:} grants.
         */
        OPERATE
    }

    /**
     * The reply addresses that belong to {@code principal}: {@code ~<name>.} (no service name starts with {@code ~}).
     *
     * @param principal the principal
     * @return {@code ~<name>.}
     */
    static String personalReplyPrefix(WebSocketPrincipal principal) {
        return "~" + principal.name() + ".";
    }

    /**
     * True when {@code principal} may do {@code operation} on {@code name}. Must be quick.
     *
     * @param principal who asks; never null
     * @param operation what it wants to do
     * @param name the message name, service or reply address it concerns
     * @return true to allow; false refuses the frame with an error
     */
    boolean allows(WebSocketPrincipal principal, Operation operation, String name);

    /**
     * The default: reads {@link WebSocketPrincipal#grants()} ({@code publish:}, {@code send:},
     * {@code subscribe:}, {@code service:}, {@code reply:}, {@code operate:} patterns). Replying is also allowed to any
     * principal holding a {@code service:} grant. Receiving replies at an address is allowed for the
     * principal's own addresses ({@code ~<name>.*}), for addresses a {@code reply:} grant matches, and
     * for {@code <service>.<instance>} when a {@code service:} grant matches the service.
     */
    Authorizer GRANTS = (principal, operation, name) -> {
        if (operation == Operation.RECEIVE_REPLIES) {
            if (name.startsWith(personalReplyPrefix(principal))) {
                return true;
            }
            int dot = name.indexOf('.');
            String service = dot > 0 ? name.substring(0, dot) : name;
            for (String g : principal.grants()) {
                if (g.startsWith("reply:") && Glob.matches(g.substring("reply:".length()), name)) {
                    return true;
                }
                if (g.startsWith("service:") && Glob.matches(g.substring("service:".length()), service)) {
                    return true;
                }
            }
            return false;
        }
        String prefix = operation.name().toLowerCase(java.util.Locale.ROOT) + ":";
        for (String g : principal.grants()) {
            if (g.startsWith(prefix) && Glob.matches(g.substring(prefix.length()), name)) {
                return true;
            }
            if (operation == Operation.REPLY && g.startsWith("service:")) {
                return true;
            }
        }
        return false;
    };
}
