package dev.courier.samples.ordering;

import dev.courier.MessageContext;
import dev.courier.NonRetryableException;
import dev.courier.spi.Headers;

/**
 * Who is asking, when a request comes from a browser through a WebSocket hub. The hub lets a
 * customer receive replies only at its own addresses, {@code ~<principal>.<tab>} (besides that
 * principal, only a backend whose {@code reply:} or {@code service:} grants match may), so the reply
 * address of a request names the principal that will read the answer. A service compares it with the
 * customer the request is about: nobody reads, or acts on, another customer's orders. Requests from
 * services (reply address {@code <service>.<instance>}) are trusted as before.
 */
public final class Requester {
    private Requester() {
    }

    /** A browser's request about another customer; non-retryable, the requester gets the message. */
    public static final class NotYours extends NonRetryableException {
        public NotYours(String message) {
            super(message);
        }
    }

    /** @return the hub principal behind the request being handled, or null when it is not a browser's request */
    public static String browserPrincipal(MessageContext ctx) {
        String replyTo = ctx.envelope().header(Headers.REPLY_TO);
        if (replyTo == null || !replyTo.startsWith("~")) {
            return null;
        }
        int tab = replyTo.lastIndexOf('.');
        return tab > 1 ? replyTo.substring(1, tab) : replyTo.substring(1);
    }

    /**
     * Refuses (non-retryable, the requester gets the reason) a browser's request about another customer.
     *
     * @param customerId the customer the request is about
     * @param ctx        the handled request
     * @param what       what the customer may only do for themselves, e.g. "ask for their own orders"
     */
    public static void requireOwn(String customerId, MessageContext ctx, String what) {
        String principal = browserPrincipal(ctx);
        String replyTo = ctx.envelope().header(Headers.REPLY_TO);
        if (principal != null && !replyTo.startsWith("~" + customerId + ".")) {
            throw new NotYours(principal + " may only " + what + ", not " + customerId + "'s");
        }
    }
}
